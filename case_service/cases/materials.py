"""A case's materials: uploads (stored once per content), the applicant's library, completeness."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.auth.tokens import PrincipalKind
from case_service.cases.context import Context
from case_service.domain.completeness import CompletenessReport, Defect, MaterialRequirement, check
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from case_service.domain.flows import Flow
from case_service.domain.states import Action, CaseState, require_role
from case_service.storage import audit
from case_service.storage.models import Case, CaseMaterial, Item, Material, MaterialBlob

# The higher authority's result on a forwarded case (审核转报), uploaded by staff before they record it.
RESULT_MATERIAL = "上级机关办理结果"
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff_type(data: bytes) -> str | None:
    for content_type, prefixes in SIGNATURES.items():
        if any(data.startswith(prefix) for prefix in prefixes):
            return content_type
    return None


def add_material(
    ctx: Context, case: Case, *, name: str, filename: str, content_type: str, data: bytes
) -> Material:
    """The caller checked size and type; names must be on the case's item version's list."""
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    listed = {material["name"] for material in item.materials}
    if name == RESULT_MATERIAL and case.flow == Flow.FORWARDING:
        if case.state != CaseState.FORWARDED:
            raise ConflictError(f"case {case.number} is not waiting for the higher authority's result")
        require_role(Action.RECORD_RESULT, ctx.principal.roles)  # the staff who record it, no one else
    elif listed and name not in listed:
        raise InvalidInputError(
            f"{name!r} is not a material of {item.name}; expected one of: {', '.join(sorted(listed))}",
            details={"expected": sorted(listed)},
        )
    if not case.is_open:
        raise ConflictError(f"case {case.number} is closed ({case.state}); it takes no more materials")
    digest = hashlib.sha256(data).hexdigest()
    if ctx.session.get(MaterialBlob, digest) is None:
        ctx.session.add(MaterialBlob(sha256=digest, content_type=content_type, size=len(data), data=data))
        ctx.session.flush()
    material = ctx.session.scalar(
        select(Material).where(
            Material.owner_index == case.applicant_index, Material.name == name, Material.sha256 == digest
        )
    )
    if material is None:
        material = Material(
            owner_index=case.applicant_index, name=name, sha256=digest, filename=filename[:200]
        )
        ctx.session.add(material)
        ctx.session.flush()
    linked = ctx.session.scalar(
        select(CaseMaterial).where(CaseMaterial.case_id == case.id, CaseMaterial.material_id == material.id)
    )
    if linked is None:
        ctx.session.add(CaseMaterial(case_id=case.id, material_id=material.id, reused=False))
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="material.upload",
        subject_type="case",
        subject_id=case.id,
        after={"material": name, "sha256": digest, "size": len(data), "content_type": content_type},
    )
    ctx.session.flush()
    return material


def case_materials(session: Session, case: Case) -> list[tuple[Material, MaterialBlob, bool]]:
    rows = session.execute(
        select(Material, MaterialBlob, CaseMaterial.reused)
        .join(CaseMaterial, CaseMaterial.material_id == Material.id)
        .join(MaterialBlob, MaterialBlob.sha256 == Material.sha256)
        .where(CaseMaterial.case_id == case.id)
        .order_by(Material.id)
    ).all()
    return [(row[0], row[1], bool(row[2])) for row in rows]


def requirements(item: Item) -> list[MaterialRequirement]:
    return [
        MaterialRequirement(
            name=material["name"],
            required=bool(material.get("required", True)),
            form=material.get("form", "original"),
            copies=int(material.get("copies", 1)),
            condition=material.get("condition", ""),
            tolerated=bool(material.get("tolerated", False)),
        )
        for material in item.materials
    ]


def item_material_names(ctx: Context, case: Case) -> list[str]:
    """The case's item's material list (of the version it was filed under), by name."""
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    return [str(material["name"]) for material in item.materials]


def completeness(
    ctx: Context, case: Case, *, defects: Sequence[Defect] = (), conditions_met: Sequence[str] = ()
) -> CompletenessReport:
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    provided: dict[str, int] = {}
    for material, _blob, _reused in case_materials(ctx.session, case):
        provided[material.name] = provided.get(material.name, 0) + 1
    return check(requirements(item), provided, defects=defects, conditions_met=conditions_met)


def read_material(ctx: Context, case: Case, material_id: int) -> tuple[Material, MaterialBlob]:
    for material, blob, _reused in case_materials(ctx.session, case):
        if material.id == material_id:
            audit.append(
                ctx.session,
                actor=ctx.principal.actor,
                action="material.read",
                subject_type="case",
                subject_id=case.id,
                after={"material_id": material_id, "sha256": blob.sha256},
            )
            return material, blob
    raise NotFoundError(f"case {case.number} has no material {material_id}")


def library(ctx: Context) -> list[Material]:
    if ctx.principal.kind is not PrincipalKind.APPLICANT:
        raise ForbiddenError("the material library is read with an applicant token")
    return list(
        ctx.session.scalars(
            select(Material)
            .where(Material.owner_index.in_(ctx.principal.applicant_indexes))
            .order_by(Material.id.desc())
        )
    )
