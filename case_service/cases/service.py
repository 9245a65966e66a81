"""Case operations: submission, actions through the state machine, deadlines, materials, evaluations.

Every function works inside the caller's session (one transaction per request) and writes the audit
trail in that same transaction, so an action and its audit entry are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from case_service.auth.tokens import SYSTEM, Principal, PrincipalKind
from case_service.catalogue import service as catalogue
from case_service.domain import deadlines, transitions
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.completeness import CompletenessReport, Defect, MaterialRequirement, check
from case_service.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from case_service.domain.identity import normalise_id_number
from case_service.domain.states import (
    Action,
    CaseState,
    Role,
    require_role,
)
from case_service.domain.transitions import ActionInput
from case_service.storage import audit
from case_service.storage.fastread import RawSelect
from case_service.storage.models import (
    Case,
    CaseMaterial,
    Evaluation,
    Item,
    Material,
    MaterialBlob,
    utcnow,
)
from case_service.storage.rawsql import RawStatement, RawTransaction
from hall.privacy import DecryptionError, PiiCipher

log = logging.getLogger(__name__)

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
ID_CONTEXT = "case.applicant_id"
PHONE_CONTEXT = "case.applicant_phone"


_CASES = cast(Table, Case.__table__)


@dataclass(frozen=True)
class Context:
    session: Session
    calendar: WorkingCalendar
    cipher: PiiCipher
    today: dt.date
    principal: Principal
    index_keys: tuple[PiiCipher, ...] = ()  # one cipher per PII key, for look-ups across rotations


@dataclass(frozen=True)
class Filer:
    """A Context without a session: what filing a case reads besides its RawTransaction."""

    calendar: WorkingCalendar
    cipher: PiiCipher
    today: dt.date
    principal: Principal
    index_keys: tuple[PiiCipher, ...] = ()


class Viewer(Protocol):
    """What presenting a case reads of a Context (or a Filer)."""

    @property
    def calendar(self) -> WorkingCalendar: ...
    @property
    def cipher(self) -> PiiCipher: ...
    @property
    def today(self) -> dt.date: ...
    @property
    def principal(self) -> Principal: ...


@dataclass(frozen=True, slots=True)
class FiledCase:
    """A case as just filed: the very values inserted, and the columns left empty. What `submit`
    returns in place of an ORM Case, which costs several times more to build and is not needed."""

    id: int
    number: str
    item_id: int
    item_code: str
    item_version: int
    item_name: str
    department: str
    channel: str
    applicant_name: str
    applicant_id_enc: str
    applicant_index: str
    applicant_phone_enc: str | None
    state: str
    is_open: bool
    submitted_at: dt.datetime
    submitted_on: dt.date
    auto_accepted: bool
    stage: str | None
    stage_entered_on: dt.date | None
    stage_due_on: dt.date | None
    due_estimated: bool
    paused_days: int
    extended: bool
    created_by: str
    updated_at: dt.datetime
    resume_to: str | None = None
    accepted_on: dt.date | None = None
    decision_due_on: dt.date | None = None
    legal_due_on: dt.date | None = None
    decided_on: dt.date | None = None
    suspended_on: dt.date | None = None
    suspension_reason: str | None = None
    not_accepted_reason: str | None = None
    decision_reasons: str | None = None
    release_channel: str | None = None
    delivery_receipt: dict[str, Any] | None = None
    supplement_notice: dict[str, Any] | None = None


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str | None = None


def snapshot(case: Case | FiledCase) -> dict[str, Any]:
    """What the audit trail records of a case (no personal data)."""
    return {
        "state": case.state,
        "stage": case.stage,
        "stage_due_on": case.stage_due_on.isoformat() if case.stage_due_on else None,
        "decision_due_on": case.decision_due_on.isoformat() if case.decision_due_on else None,
        "paused_days": case.paused_days,
        "extended": case.extended,
        "release_channel": case.release_channel,
    }


# Reading ----------------------------------------------------------------------------------------------


def applicant_index(cipher: PiiCipher, id_number: str) -> str:
    return cipher.blind_index(id_number)


class Scoped(Protocol):
    """What the scope check reads of a case: a loaded Case, or the status query's row."""

    @property
    def id(self) -> int: ...
    @property
    def applicant_index(self) -> str: ...
    @property
    def department(self) -> str: ...


def check_scope(principal: Principal, case: Scoped) -> None:
    """Applicants see only their own cases; department staff only their department's."""
    if principal.kind is PrincipalKind.APPLICANT and case.applicant_index not in principal.applicant_indexes:
        raise NotFoundError(f"no case {case.id}")  # not 403: do not confirm that the case exists
    if principal.kind is PrincipalKind.DEVICE and Role.KIOSK in principal.roles:
        raise ForbiddenError("a kiosk reads cases only with an applicant token")
    departmental = {Role.REVIEWER, Role.APPROVER}
    if (
        principal.kind is PrincipalKind.STAFF
        and principal.department
        and principal.roles <= departmental
        and case.department != principal.department
    ):
        raise ForbiddenError(f"case {case.id} belongs to {case.department}, not to {principal.department}")


def _parse_ref(case_ref: int | str) -> int | str:
    # isascii: str.isdigit also accepts "²" and other digits int() refuses.
    if isinstance(case_ref, str) and case_ref.isascii() and case_ref.isdigit() and len(case_ref) < 19:
        return int(case_ref)
    return case_ref


def load(ctx: Context, case_ref: int | str, *, for_update: bool = False) -> Case:
    """`case_ref`: the numeric id, or the case number (what is printed on notices and receipts)."""
    case_ref = _parse_ref(case_ref)
    if isinstance(case_ref, int):
        query = select(Case).where(Case.id == case_ref)
    else:
        query = select(Case).where(Case.number == case_ref)
    case_id = case_ref
    if for_update:
        query = query.with_for_update()
    case = ctx.session.scalar(query)
    if case is None:
        raise NotFoundError(f"no case {case_id}", details={"case_id": case_id})
    check_scope(ctx.principal, case)
    return case


@dataclass(frozen=True)
class StatusRow:
    """The columns a status poll needs, and those the scope check reads."""

    id: int
    number: str
    state: str
    stage: str | None
    stage_due_on: dt.date | None
    decision_due_on: dt.date | None
    due_estimated: bool
    release_channel: str | None
    is_open: bool
    applicant_index: str
    department: str


_STATUS_FIELDS = tuple(StatusRow.__dataclass_fields__)
_STATUS_BY_ID = RawSelect(
    select(*(_CASES.c[name] for name in _STATUS_FIELDS)).where(_CASES.c.id == bindparam("ref"))
)
_STATUS_BY_NUMBER = RawSelect(
    select(*(_CASES.c[name] for name in _STATUS_FIELDS)).where(_CASES.c.number == bindparam("ref"))
)


def load_status(engine: Engine, principal: Principal, case_ref: int | str) -> StatusRow:
    """The polling read (kiosks, hall controllers): one query of the few columns a status needs, on a
    DBAPI connection (storage.fastread), with the same scope rules as `load`; no session, no ORM."""
    case_ref = _parse_ref(case_ref)
    query = _STATUS_BY_ID if isinstance(case_ref, int) else _STATUS_BY_NUMBER
    row = query.first(engine, {"ref": case_ref})
    if row is None:
        raise NotFoundError(f"no case {case_ref}", details={"case_id": case_ref})
    status = StatusRow(*row)
    check_scope(principal, status)
    return status


def assess_deadline(
    calendar: WorkingCalendar, today: dt.date, stage_due_on: dt.date | None, is_open: bool
) -> deadlines.DeadlineStatus | None:
    if stage_due_on is None or not is_open:
        return None
    return deadlines.assess(calendar, stage_due_on, today)


def list_cases(
    ctx: Context,
    *,
    states: Sequence[str] = (),
    department: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Case], int]:
    query = select(Case)
    if ctx.principal.kind is PrincipalKind.APPLICANT:
        query = query.where(Case.applicant_index.in_(ctx.principal.applicant_indexes))
    elif ctx.principal.kind is PrincipalKind.DEVICE and Role.KIOSK in ctx.principal.roles:
        raise ForbiddenError("a kiosk lists cases only with an applicant token")
    if states:
        query = query.where(Case.state.in_(list(states)))
    if department:
        query = query.where(Case.department == department)
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def find_by_number(ctx: Context, number: str) -> Case:
    case = ctx.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFoundError(f"no case numbered {number!r}")
    check_scope(ctx.principal, case)
    return case


def deadline_of(ctx: Viewer, case: Case | FiledCase) -> deadlines.DeadlineStatus | None:
    return assess_deadline(ctx.calendar, ctx.today, case.stage_due_on, case.is_open)


RELEASE_CONTACT_STATES = frozenset({CaseState.READY_FOR_RELEASE, CaseState.READY_FOR_PICKUP})


@dataclass(frozen=True)
class ReleaseContact:
    case_id: str
    item_name: str
    phone: str
    id_number: str


def release_contact(ctx: Context, case_ref: int | str) -> ReleaseContact:
    """The applicant's full phone and ID number for a hall controller releasing the case into a locker
    (pickup SMS, ID-card pickup). Only controllers, only locker releases; every read is audited."""
    if ctx.principal.kind is not PrincipalKind.DEVICE or Role.CONTROLLER not in ctx.principal.roles:
        raise ForbiddenError("the release contact is given only to a hall controller")
    case = load(ctx, case_ref)
    state = CaseState(case.state)
    if state not in RELEASE_CONTACT_STATES or case.release_channel != "locker":
        raise ConflictError(
            f"case {case.number} is {state.value} by {case.release_channel or 'no channel'}; the release "
            "contact is given only for a case ready for release or pickup by locker",
            details={"state": state.value, "release_channel": case.release_channel},
        )
    try:
        phone = (
            ctx.cipher.decrypt(case.applicant_phone_enc, context=PHONE_CONTEXT)
            if case.applicant_phone_enc
            else ""
        )
        id_number = ctx.cipher.decrypt(case.applicant_id_enc, context=ID_CONTEXT)
    except DecryptionError as err:
        raise ConflictError(
            f"case {case.number}: the stored contact does not decrypt with the PII keys"
        ) from err
    contact = ReleaseContact(str(case.id), case.item_name, phone, id_number)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.release_contact.read",
        subject_type="case",
        subject_id=case.id,
        after={"document": "release_contact", "fields": ["phone", "id_number"], "state": state.value},
    )
    return contact


# Submission -------------------------------------------------------------------------------------------


def _new_number(today: dt.date) -> str:
    """e.g. 20250926-1A2B3C4D: the dash keeps it apart from numeric ids in paths."""
    return f"{today:%Y%m%d}-{secrets.token_hex(4).upper()}"


_CASE_VALUES = (
    "number",
    "item_id",
    "item_code",
    "item_version",
    "item_name",
    "department",
    "channel",
    "applicant_name",
    "applicant_id_enc",
    "applicant_index",
    "applicant_phone_enc",
    "state",
    "is_open",
    "submitted_at",
    "submitted_on",
    "auto_accepted",
    "stage",
    "stage_entered_on",
    "stage_due_on",
    "due_estimated",
    "paused_days",
    "extended",
    "created_by",
    "updated_at",
)
_INSERT_CASE = RawStatement(insert(_CASES).returning(_CASES.c.id), keys=_CASE_VALUES)
_INSERT_CASE_WITH_ID = RawStatement(insert(_CASES), keys=("id", *_CASE_VALUES))
# PostgreSQL only: the id the INSERT would take from the column's sequence.
_NEXT_CASE_ID = RawStatement(select(func.nextval(func.pg_get_serial_sequence("cases", "id"))))
_MATERIALS = cast(Table, Material.__table__)
# The applicant's library by name, one owner (blind index) at a time: a fixed statement, compiled once,
# where an IN list of owners and names would be compiled on every call.
_LIBRARY = RawStatement(
    select(_MATERIALS.c.name, func.max(_MATERIALS.c.id))
    .where(_MATERIALS.c.owner_index == bindparam("owner"))
    .group_by(_MATERIALS.c.name)
)
_LINK_MATERIAL = RawStatement(
    insert(cast(Table, CaseMaterial.__table__)), keys=("case_id", "material_id", "reused")
)


def submission_reads(
    tx: RawTransaction, filer: Filer, *, item_code: str, applicant: Applicant
) -> list[tuple[RawStatement, dict[str, Any]]]:
    """The reads `submit` will make in `tx` before it writes (the item, the applicant's library under
    each PII key, on PostgreSQL the case's id): for RawTransaction.prefetch, which runs them in one
    round trip. None for an ID number `submit` will refuse."""
    try:
        id_number = normalise_id_number(applicant.id_number)
    except InvalidInputError:
        return []
    owners = dict.fromkeys(cipher.blind_index(id_number) for cipher in (filer.cipher, *filer.index_keys[1:]))
    return [
        catalogue.filing_read(item_code),
        *((_LIBRARY, {"owner": owner}) for owner in owners),
        *([(_NEXT_CASE_ID, {})] if tx.defers_writes else []),
    ]


def submit(
    tx: RawTransaction, filer: Filer, *, item_code: str, channel: str, applicant: Applicant
) -> FiledCase:
    """Files a case. The hot path of the service: Core statements run raw (storage.rawsql) in the
    caller's transaction, and what it returns is built from the very values inserted (FiledCase).
    The audit entry waits in `tx` for audit.write_and_commit."""
    item = catalogue.for_filing_raw(tx, item_code)
    name, id_number = transitions.admit(
        item.code,
        status=item.status,
        channels=item.channels,
        channel=channel,
        name=applicant.name,
        id_number=applicant.id_number,
    )
    progress = transitions.opened(_new_number(filer.today), item.stage_budgets, filer.calendar, filer.today)
    now = utcnow()
    values: dict[str, Any] = {
        "number": progress.number,
        "item_id": item.id,
        "item_code": item.code,
        "item_version": item.version,
        "item_name": item.name,
        "department": item.department,
        "channel": channel,
        "applicant_name": name,
        "applicant_id_enc": filer.cipher.encrypt(id_number, context=ID_CONTEXT),
        "applicant_index": applicant_index(filer.cipher, id_number),
        "applicant_phone_enc": filer.cipher.encrypt(applicant.phone, context=PHONE_CONTEXT)
        if applicant.phone
        else None,
        "state": progress.state.value,
        "is_open": progress.is_open,
        "submitted_at": now,
        "submitted_on": progress.submitted_on,
        "auto_accepted": progress.auto_accepted,
        "stage": progress.stage,
        "stage_entered_on": progress.stage_entered_on,
        "stage_due_on": progress.stage_due_on,
        "due_estimated": progress.due_estimated,
        "paused_days": progress.paused_days,
        "extended": progress.extended,
        "created_by": filer.principal.actor,
        "updated_at": now,
    }
    if tx.defers_writes:
        # PostgreSQL: the id comes from the sequence (read ahead with the other reads), and the row
        # goes in with the COMMIT's round trip.
        ((case_id,),) = tx.execute(_NEXT_CASE_ID)
        tx.later(_INSERT_CASE_WITH_ID, [{"id": case_id, **values}])
    else:
        ((case_id,),) = tx.execute(_INSERT_CASE, values)
    case = FiledCase(id=case_id, **values)
    older = tuple(cipher.blind_index(id_number) for cipher in filer.index_keys[1:])
    reused = _reuse_library(tx, case, item.material_names, older)
    audit.append_raw(
        tx,
        actor=filer.principal.actor,
        action="case.submit",
        subject_type="case",
        subject_id=case.id,
        after={**snapshot(case), "item": f"{item.code}@v{item.version}", "reused_materials": reused},
    )
    return case


def _reuse_library(
    tx: RawTransaction, case: FiledCase, names: Sequence[str], older_indexes: tuple[str, ...] = ()
) -> list[str]:
    """Links the applicant's latest material of each listed name: what was given once is not asked again.
    `older_indexes`: the applicant's blind indexes under PII keys before a rotation."""
    if not names:
        return []
    wanted = set(names)
    latest: dict[str, int] = {}
    for owner in dict.fromkeys((case.applicant_index, *older_indexes)):
        for name, material_id in tx.execute(_LIBRARY, {"owner": owner}):
            if name in wanted and material_id > latest.get(name, 0):
                latest[name] = material_id
    if latest:
        tx.later(
            _LINK_MATERIAL,
            [
                {"case_id": case.id, "material_id": material_id, "reused": True}
                for material_id in latest.values()
            ],
        )
    return sorted(latest)


# Materials --------------------------------------------------------------------------------------------

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
    if listed and name not in listed:
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
        )
        for material in item.materials
    ]


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


# Actions ----------------------------------------------------------------------------------------------


def progress_of(case: Case) -> transitions.Progress:
    """The case's legal progress, as the rules (domain.transitions) read it."""
    values = {name: getattr(case, name) for name in transitions.PROGRESS_FIELDS}
    values["state"] = CaseState(case.state)
    values["resume_to"] = CaseState(case.resume_to) if case.resume_to else None
    return transitions.Progress(**values)


def _store(case: Case, progress: transitions.Progress) -> None:
    """Writes the fields the rules changed onto the loaded case (flushed with the session)."""
    for name in transitions.PROGRESS_FIELDS:
        value = getattr(progress, name)
        if isinstance(value, CaseState):
            value = value.value
        if getattr(case, name) != value:
            setattr(case, name, value)


def _terms(item: Item) -> transitions.Terms:
    return transitions.Terms(item.promised_limit_days, item.legal_limit_days, item.stage_budgets)


def _step(ctx: Context, case: Case, item: Item, action: Action, data: ActionInput) -> None:
    report = None
    if action is Action.REQUEST_SUPPLEMENT:
        report = completeness(ctx, case, defects=data.defects, conditions_met=data.conditions_met)
    moved = transitions.step(
        progress_of(case),
        action,
        data,
        terms=_terms(item),
        calendar=ctx.calendar,
        today=ctx.today,
        now=dt.datetime.now(CHINA),
        report=report,
    )
    _store(case, moved)


def act(ctx: Context, case_id: int | str, action: Action, data: ActionInput) -> Case:
    case = load(ctx, case_id, for_update=True)
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    if action is not Action.AUTO_ACCEPT:
        require_role(action, ctx.principal.roles)
        if (
            ctx.principal.kind is PrincipalKind.APPLICANT
            and case.applicant_index not in ctx.principal.applicant_indexes
        ):
            raise NotFoundError(f"no case {case_id}")
        _auto_accept_if_lapsed(ctx, case, item)
    before = snapshot(case)
    _step(ctx, case, item, action, data)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action=f"case.{action.value}",
        subject_type="case",
        subject_id=case.id,
        before=before,
        after={**snapshot(case), **({"reason": data.reason} if data.reason else {})},
    )
    ctx.session.flush()
    return case


def _auto_accept_if_lapsed(ctx: Context, case: Case, item: Item) -> bool:
    """Art. 32 (transitions.lapsed): accepts the case as the system, audited, before anyone acts on it."""
    if not transitions.lapsed(progress_of(case), ctx.calendar, ctx.today):
        return False
    before = snapshot(case)
    _step(ctx, case, item, Action.AUTO_ACCEPT, ActionInput())
    audit.append(
        ctx.session,
        actor=SYSTEM.actor,
        action="case.auto_accept",
        subject_type="case",
        subject_id=case.id,
        before=before,
        after={**snapshot(case), "basis": transitions.AUTO_ACCEPT_BASIS},
    )
    return True


def sweep(session: Session, calendar: WorkingCalendar, cipher: PiiCipher, today: dt.date) -> int:
    """Accepts every submitted case whose 5-day notice period lapsed; returns how many."""
    ctx = Context(session, calendar, cipher, today, SYSTEM)
    cutoff_candidates = session.scalars(
        select(Case)
        .where(
            Case.state == CaseState.SUBMITTED.value,
            Case.stage_due_on < today,
            Case.supplement_notice.is_(None),
        )
        .with_for_update()
    ).all()
    accepted = 0
    for case in cutoff_candidates:
        item = session.get(Item, case.item_id)
        assert item is not None
        accepted += _auto_accept_if_lapsed(ctx, case, item)
    return accepted


def evaluate(
    ctx: Context, case: Case, *, score: int, comment: str, window: str | None, clerk: str | None
) -> Evaluation:
    if not 1 <= score <= 5:
        raise InvalidInputError("score must be 1 (非常不满意) to 5 (非常满意)")
    evaluation = Evaluation(
        case_id=case.id, score=score, comment=comment, source=ctx.principal.actor, window=window, clerk=clerk
    )
    ctx.session.add(evaluation)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.evaluate",
        subject_type="case",
        subject_id=case.id,
        after={"score": score, "window": window, "clerk": clerk},
    )
    return evaluation
