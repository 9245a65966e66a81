"""Reading cases within the reader's scope: one case, the status poll, lists, the release contact."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, Select, func, or_, select

from case_service.auth.tokens import Principal, PrincipalKind
from case_service.cases.context import ID_CONTEXT, PHONE_CONTEXT, Context, Viewer
from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import ConflictError, ForbiddenError, NotFoundError
from case_service.domain.states import CaseState, Role
from case_service.storage import audit, case_rows
from case_service.storage.case_rows import StatusRow
from case_service.storage.models import AuditEntry, Case
from hall.privacy import DecryptionError, queue_person


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
    own = department_scope(principal)
    if own is not None and case.department != own:
        raise ForbiddenError(f"case {case.id} belongs to {case.department}, not to {own}")


def department_scope(principal: Principal) -> str | None:
    """The one department a principal's reads and lists are limited to (department reviewers and
    approvers), or None."""
    departmental = {Role.REVIEWER, Role.APPROVER}
    if principal.kind is PrincipalKind.STAFF and principal.department and principal.roles <= departmental:
        return principal.department
    return None


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


def load_status(engine: Engine, principal: Principal, case_ref: int | str) -> StatusRow:
    """The polling read (kiosks, hall controllers): one query of the few columns a status needs, on a
    pooled connection (storage.case_rows), with the same scope rules as `load`; no session, no ORM."""
    case_ref = _parse_ref(case_ref)
    status = case_rows.read_status(engine, case_ref)
    if status is None:
        raise NotFoundError(f"no case {case_ref}", details={"case_id": case_ref})
    check_scope(principal, status)
    return status


def assess_deadline(
    calendar: WorkingCalendar, today: dt.date, stage_due_on: dt.date | None, is_open: bool
) -> deadlines.DeadlineStatus | None:
    if stage_due_on is None or not is_open:
        return None
    return deadlines.assess(calendar, stage_due_on, today)


ID_TAIL_LENGTHS = range(4, 7)


@dataclass(frozen=True)
class CaseQuery:
    """A work list's search and filters. `text`: a case number or its part, an applicant's name, the
    last 4-6 characters of the applicant's ID number, or an item's code or name."""

    text: str = ""
    item_code: str | None = None
    applicant_index: str | None = None  # one person's cases (the blind index of their ID number)
    overdue: bool = False
    by_deadline: bool = False  # most urgent first (the stage's due day), else newest first


def _id_tail_matches(ctx: Context, query: Select[Case], tail: str) -> list[int]:
    """IDs are stored encrypted: the tail is matched after decryption, within the already filtered
    rows (a work list's scope), never across the whole table."""
    rows = ctx.session.execute(query.with_only_columns(Case.id, Case.applicant_id_enc)).all()
    matches = []
    for case_id, token in rows:
        try:
            plain = ctx.cipher.decrypt(token, context=ID_CONTEXT)
        except DecryptionError:
            continue
        if plain.upper().endswith(tail):
            matches.append(case_id)
    return matches


def _search(ctx: Context, query: Select[Case], text: str) -> Select[Case]:
    text = text.strip()[:64]
    if not text:
        return query
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matches = [
        Case.number.ilike(pattern, escape="\\"),
        Case.applicant_name.ilike(pattern, escape="\\"),
        Case.item_name.ilike(pattern, escape="\\"),
        Case.item_code.ilike(pattern, escape="\\"),
    ]
    tail = text.upper()
    if len(tail) in ID_TAIL_LENGTHS and tail[:-1].isdigit() and (tail[-1].isdigit() or tail[-1] == "X"):
        ids = _id_tail_matches(ctx, query, tail)
        if ids:
            matches.append(Case.id.in_(ids))
    return query.where(or_(*matches))


def list_cases(
    ctx: Context,
    *,
    states: Sequence[str] = (),
    department: str | None = None,
    limit: int = 20,
    offset: int = 0,
    search: CaseQuery | None = None,
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
    own = department_scope(ctx.principal)
    if own is not None:
        query = query.where(Case.department == own)
    order: tuple[Any, ...] = (Case.id.desc(),)
    if search is not None:
        if search.item_code:
            query = query.where(Case.item_code == search.item_code)
        if search.applicant_index:
            query = query.where(Case.applicant_index == search.applicant_index)
        if search.overdue:
            query = query.where(Case.is_open.is_(True), Case.stage_due_on < ctx.today)
        query = _search(ctx, query, search.text)
        if search.by_deadline:
            order = (Case.is_open.desc(), Case.stage_due_on.asc().nulls_last(), Case.id.asc())
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.session.scalars(query.order_by(*order).limit(limit).offset(offset)).all()
    return list(rows), total


def open_cases_of_queue_person(ctx: Context, person: str, limit: int = 50) -> list[Case]:
    """The open cases (within the reader's scope) of the person a queue ticket is bound to: `person` is
    the controller's keyed index (hall.privacy.queue_person), matched after decrypting each open case's
    ID number, as the ID-tail search does; most urgent first."""
    query = select(Case).where(Case.is_open.is_(True))
    own = department_scope(ctx.principal)
    if own is not None:
        query = query.where(Case.department == own)
    matches = []
    for case_id, token in ctx.session.execute(query.with_only_columns(Case.id, Case.applicant_id_enc)):
        try:
            plain = ctx.cipher.decrypt(token, context=ID_CONTEXT)
        except DecryptionError:
            continue
        if hmac.compare_digest(queue_person(ctx.cipher, plain), person):
            matches.append(case_id)
    if not matches:
        return []
    ordered = query.where(Case.id.in_(matches)).order_by(Case.stage_due_on.asc().nulls_last(), Case.id)
    return list(ctx.session.scalars(ordered.limit(limit)))


def history(ctx: Context, case: Case) -> list[AuditEntry]:
    """The case's audit entries, oldest first: every action, document and material read on it."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == "case", AuditEntry.subject_id == str(case.id))
        .order_by(AuditEntry.seq)
    )
    return list(ctx.session.scalars(query))


def find_by_number(ctx: Context, number: str) -> Case:
    case = ctx.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFoundError(f"no case numbered {number!r}")
    check_scope(ctx.principal, case)
    return case


def deadline_of(ctx: Viewer, case: Case) -> deadlines.DeadlineStatus | None:
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
