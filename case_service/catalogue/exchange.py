"""Import and export of the catalogue as a spreadsheet: what an import would change, and making it so."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.catalogue import spreadsheet
from case_service.catalogue.service import item_as_dict, put_version
from case_service.domain.catalogue import FIELD_LABELS, changed_fields, normalise_item, validate_item
from case_service.domain.errors import InvalidInputError
from case_service.storage import audit
from case_service.storage.models import Item

log = logging.getLogger(__name__)
NEW_ITEM_NEEDS = ("name", "department", "kind", "category", "legal_limit_days", "promised_limit_days")
NEW_ITEM_DEFAULTS: dict[str, Any] = {
    "legal_basis": "",
    "implementing_unit": "",
    "applicant_type": "",
    "materials": [],
    "stage_budgets": {},
    "fees": [],
    "unified_seal": True,
    "channels": ["window"],
    "joint_departments": [],
    "status": "active",
    "exercise_level_note": "",
    "source": "表格导入",
}


def current_items(session: Session) -> list[dict[str, Any]]:
    items = session.scalars(select(Item).where(Item.is_current.is_(True)).order_by(Item.code))
    return [item_as_dict(item) for item in items]


def export_xlsx(session: Session) -> bytes:
    return spreadsheet.to_xlsx(current_items(session))


def export_csv(session: Session, sheet: str) -> bytes:
    items = current_items(session)
    if sheet == "items":
        return spreadsheet.to_csv(spreadsheet.ITEM_HEADERS, spreadsheet.item_rows(items))
    return spreadsheet.to_csv(spreadsheet.MATERIAL_HEADERS, spreadsheet.material_rows(items))


@dataclass
class ImportPlan:
    new: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # code -> changed fields' Chinese names
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)


def plan(session: Session, read: spreadsheet.ReadResult) -> ImportPlan:
    """What importing the rows would change; every row's merged item is checked by the catalogue's rules."""
    result = ImportPlan(errors=list(read.errors))
    existing = {item["code"]: item for item in current_items(session)}
    for row, proposed in zip(read.rows, read.items, strict=True):
        current = existing.get(proposed["code"])
        if current is None:
            missing = [FIELD_LABELS[name] for name in NEW_ITEM_NEEDS if name not in proposed]
            if missing:
                result.errors.append(f"第{row}行：新事项 {proposed['code']} 缺少{'、'.join(missing)}")
                continue
            merged = normalise_item({**NEW_ITEM_DEFAULTS, **proposed})
        else:
            merged = normalise_item({**current, **proposed})
        try:
            validate_item(merged)
        except InvalidInputError as err:
            result.errors.append(f"第{row}行：{err.message}")
            continue
        if current is None:
            result.new.append(merged["code"])
        else:
            fields = changed_fields(current, merged)
            if not fields:
                result.unchanged += 1
                continue
            result.changed[merged["code"]] = [FIELD_LABELS.get(name, name) for name in fields]
        result.proposals.append(merged)
    return result


def apply(session: Session, import_plan: ImportPlan, *, actor: str, source: str) -> int:
    """Makes the planned versions (refused whole if any row has an error); the caller commits."""
    if import_plan.errors:
        raise InvalidInputError(
            f"表格有{len(import_plan.errors)}处错误,未导入任何事项:{import_plan.errors[0]}",
            details={"errors": import_plan.errors[:200]},
        )
    for proposed in import_plan.proposals:
        put_version(session, proposed, actor=actor)
    if import_plan.proposals:
        audit.append(
            session,
            actor=actor,
            action="catalogue.import",
            subject_type="catalogue",
            subject_id=source[:64],
            after={"new": import_plan.new, "changed": sorted(import_plan.changed)},
        )
        log.info(
            "catalogue import by %s: %d new, %d changed",
            actor,
            len(import_plan.new),
            len(import_plan.changed),
        )
    return len(import_plan.proposals)


def import_tables(
    session: Session,
    items_table: spreadsheet.Table,
    materials_table: spreadsheet.Table | None,
    *,
    confirm: bool,
    actor: str,
    source: str,
) -> tuple[ImportPlan, int]:
    """Reads the sheets and plans the import; with `confirm`, makes the versions (the caller commits).
    Returns the plan and how many versions were made."""
    import_plan = plan(session, spreadsheet.read_tables(items_table, materials_table))
    created = apply(session, import_plan, actor=actor, source=source) if confirm else 0
    return import_plan, created
