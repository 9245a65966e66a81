"""Catalogue storage operations: import, search, versioned changes, suspension and handing down."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from case_service.domain.catalogue import (
    GUIDE_FIELDS,
    VERSIONED_FIELDS,
    changed_fields,
    normalise_item,
    validate_item,
)
from case_service.domain.errors import NotFoundError
from case_service.domain.everyday_words import events_named
from case_service.domain.flows import Flow, flow_of
from case_service.storage import audit
from case_service.storage.models import Item
from case_service.storage.rawsql import RawStatement, RawTransaction

log = logging.getLogger(__name__)

ITEM_FIELDS = ("code", *VERSIONED_FIELDS, "source")
IMPORT_ACTOR = "system:catalogue-import"


def bundled_items() -> list[dict[str, Any]]:
    """Seed 003's 75 items, with full material lists and limits merged in for a handful of them, and the
    life events each belongs to (life_events.json: each event's items)."""
    data_dir = resources.files("case_service.catalogue") / "data"
    listing = json.loads((data_dir / "items_003.json").read_text(encoding="utf-8"))
    details = json.loads((data_dir / "details.json").read_text(encoding="utf-8"))
    by_event: dict[str, list[str]] = json.loads((data_dir / "life_events.json").read_text(encoding="utf-8"))
    items = []
    for raw in listing["items"]:
        item = {name: raw[name] for name in ITEM_FIELDS if name in raw}
        item["source"] = f"{listing['source']} 第{raw['source_seq']}项"
        item["life_events"] = [event for event, codes in by_event.items() if raw["code"] in codes]
        item.update(details.get(raw["code"], {}))
        item = normalise_item(item)
        validate_item(item)
        items.append(item)
    return items


def item_as_dict(item: Item) -> dict[str, Any]:
    """One version's fields, the guide's fields among them (normalised: a version made before the guide's
    fields existed shows them as pending verification)."""
    flat = {name: getattr(item, name) for name in ITEM_FIELDS if name not in GUIDE_FIELDS}
    flat.update(item.guide or {})
    return normalise_item(flat)


def _new_version(fields: dict[str, Any], *, version: int, made_by: str) -> Item:
    columns = {name: fields[name] for name in ITEM_FIELDS if name in fields and name not in GUIDE_FIELDS}
    guide = {name: fields[name] for name in GUIDE_FIELDS if name in fields}
    return Item(**columns, guide=guide, version=version, is_current=True, made_by=made_by)


def current(session: Session, code: str) -> Item:
    item = session.scalar(select(Item).where(Item.code == code, Item.is_current.is_(True)))
    if item is None:
        raise NotFoundError(f"no catalogue item with code {code!r}", details={"code": code})
    return item


@dataclass(frozen=True)
class FilingItem:
    """What filing a case reads of the current version of an item."""

    id: int
    code: str
    version: int
    name: str
    department: str
    status: str
    channels: list[str]
    stage_budgets: dict[str, int]
    material_names: tuple[str, ...]
    flow: Flow = Flow.LICENCE


_ITEMS = cast(Table, Item.__table__)
_FOR_FILING = select(
    *(
        _ITEMS.c[name]
        for name in ("id", "code", "version", "name", "department", "status", "channels", "stage_budgets")
    ),
    _ITEMS.c.materials,
    _ITEMS.c.kind,
    _ITEMS.c.unified_seal,
    _ITEMS.c.guide,
).where(_ITEMS.c.code == bindparam("code"), _ITEMS.c.is_current.is_(True))


def for_filing(session: Session, code: str) -> FilingItem:
    """`current` for the submission hot path: one Core row on the session's connection, no ORM object."""
    row = session.connection().execute(_FOR_FILING, {"code": code}).first()
    if row is None:
        raise NotFoundError(f"no catalogue item with code {code!r}", details={"code": code})
    return _filing_item(tuple(row))


_RAW_FOR_FILING = RawStatement(_FOR_FILING)


def filing_read(code: str) -> tuple[RawStatement, dict[str, Any]]:
    """The statement `for_filing_raw` reads the item with: for RawTransaction.prefetch."""
    return _RAW_FOR_FILING, {"code": code}


def for_filing_raw(tx: RawTransaction, code: str) -> FilingItem:
    """`for_filing` in a RawTransaction (the submission's path)."""
    rows = tx.execute(*filing_read(code))
    if not rows:
        raise NotFoundError(f"no catalogue item with code {code!r}", details={"code": code})
    return _filing_item(rows[0])


def _filing_item(row: tuple[Any, ...]) -> FilingItem:
    id_, code, version, name, department, status, channels, stage_budgets, materials, kind, seal, guide = row
    return FilingItem(
        id=id_,
        code=code,
        version=version,
        name=name,
        department=department,
        status=status,
        channels=list(channels or ()),
        stage_budgets=dict(stage_budgets or {}),
        material_names=tuple(material["name"] for material in materials or ()),
        flow=flow_of({**(guide or {}), "kind": kind, "unified_seal": seal}),
    )


def put_version(session: Session, proposed: dict[str, Any], *, actor: str) -> tuple[Item, bool]:
    """Makes a new version when anything versioned changed; returns (current item, created?)."""
    existing = session.scalar(select(Item).where(Item.code == proposed["code"], Item.is_current.is_(True)))
    before = item_as_dict(existing) if existing else {}
    merged = normalise_item({**before, **proposed})
    validate_item(merged)
    if existing is not None and not changed_fields(before, merged):
        return existing, False
    version = 1
    if existing is not None:
        version = existing.version + 1
        session.execute(update(Item).where(Item.id == existing.id).values(is_current=False))
    item = _new_version(merged, version=version, made_by=actor)
    session.add(item)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="item.version",
        subject_type="item",
        subject_id=item.code,
        before={"version": existing.version, "changed": changed_fields(before, merged)} if existing else None,
        after={"version": version, "status": item.status},
    )
    return item, True


def import_bundled(session: Session, *, actor: str = IMPORT_ACTOR) -> int:
    """Seeds an empty catalogue and adds the items it lacks; brings an item up to the bundled data only
    while its current version was made by this import, never over a version an administrator made.
    Idempotent; returns how many versions were created."""
    existing = {item.code: item for item in session.scalars(select(Item).where(Item.is_current.is_(True)))}
    created = 0
    new_codes = []
    for proposed in bundled_items():
        current_item = existing.get(proposed["code"])
        if current_item is None:
            session.add(_new_version(proposed, version=1, made_by=actor))
            new_codes.append(proposed["code"])
        elif current_item.made_by != actor:
            continue  # an administrator's version: theirs stands
        elif changed_fields(item_as_dict(current_item), proposed):
            put_version(session, proposed, actor=actor)
            created += 1
    if new_codes:
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="catalogue.import",
            subject_type="catalogue",
            subject_id="items_003",
            after={"created": new_codes},
        )
        created += len(new_codes)
    if created:
        log.info("catalogue: %d item version(s) imported", created)
    return created


def search(
    session: Session,
    *,
    q: str | None = None,
    department: str | None = None,
    category: str | None = None,
    life_event: str | None = None,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Item], int]:
    """The current items matching every filter given, by code; `life_event` is one of the item's
    life_events (a guide field, held in the version's JSON). `q` is in the name, code or department, or
    names one of the item's life events by an everyday word (开店, kd: domain.everyday_words)."""
    query = select(Item).where(Item.is_current.is_(True))
    if q:
        pattern = f"%{q.strip()}%"
        hit = or_(Item.name.like(pattern), Item.code.like(pattern), Item.department.like(pattern))
        events = events_named(q)
        if events:
            hit = or_(hit, Item.code.in_(_codes_in_events(session, query, events)))
        query = query.where(hit)
    if department:
        query = query.where(Item.department == department)
    if category:
        query = query.where(Item.category == category)
    if status:
        query = query.where(Item.status == status)
    if life_event:
        return _of_life_event(session, query, life_event, limit, offset)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(session.scalars(query.order_by(Item.code).limit(limit).offset(offset)))
    return items, total


def _of_life_event(
    session: Session, query: Select[Any], life_event: str, limit: int, offset: int
) -> tuple[list[Item], int]:
    """The items of `query` in `life_event`: filtered here, as SQLite and PostgreSQL read JSON lists
    differently (the catalogue is a few hundred items)."""
    found: list[Item] = [
        item for item in session.scalars(query.order_by(Item.code)) if _in_events(item, (life_event,))
    ]
    return found[offset : offset + limit], len(found)


def _codes_in_events(session: Session, query: Select[Any], events: tuple[str, ...]) -> list[str]:
    """The codes of `query`'s items in one of `events` (read here, as `_of_life_event` reads them)."""
    return [item.code for item in session.scalars(query) if _in_events(item, events)]


def _in_events(item: Item, events: tuple[str, ...]) -> bool:
    return any(event in events for event in (item.guide or {}).get("life_events", ()))


def versions(session: Session, code: str) -> list[Item]:
    rows = list(session.scalars(select(Item).where(Item.code == code).order_by(Item.version)))
    if not rows:
        raise NotFoundError(f"no catalogue item with code {code!r}", details={"code": code})
    return rows
