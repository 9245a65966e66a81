"""Certificate operations on a database session: issue, render, print once, verify, revoke, reissue.

The case itself belongs to the case service core; this room sees it through `CaseSource`, which gives
the few facts a certificate needs (number, item, holder, state). The seal is drawn only when the case
state says the sealer has acted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from case_service.certificates import print_rules
from case_service.certificates.models import CertificatePrint, CertificateRecord
from case_service.certificates.print_rules import PrintAttempt, PrintKind, PrintRefusedError, PrintStatus
from case_service.certificates.render import CertificateView, render_certificate
from case_service.certificates.templates import default_valid_until, template_for
from hall.privacy import PiiCipher, mask_id_number, mask_name
from hall.signing import (
    TOKEN_QUERY_PARAMETER,
    CertificateClaims,
    Signer,
    TokenRejectedError,
    Verifier,
    sign_claims,
    token_from_scan,
    verify_token,
)

log = logging.getLogger(__name__)

# Case states (owned by the core's state machine) in which a certificate may be made or reissued.
ISSUABLE_STATES = frozenset({"approved", "handled", "certificate_made"})
# The states a certificate moves on (to certificate_made): the licence's approval, a public service handled.
DECIDED_STATES = frozenset({"approved", "handled"})
# Case states in which the sealer has acted: the certificate carries the seal from then on.
SEALED_STATES = frozenset({"sealed", "ready_for_release", "ready_for_pickup", "delivered"})


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class CertificateError(Exception):
    """A certificate operation refused; `kind` says how an API should answer."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "not-found", "conflict", "invalid" or "forbidden"
        self.message = message


@dataclass(frozen=True)
class CaseFacts:
    number: str
    item_code: str
    item_name: str
    holder_name: str
    holder_id_number: str
    state: str
    departments: tuple[str, ...] = ()  # the departments whose approvers revoke and reissue
    holder_index: str = ""  # the holder's blind index, to match an applicant's sign-in


class CaseSource(Protocol):
    def get(self, session: Session, case_number: str) -> CaseFacts | None: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: the name the audit records, and the app's own principal object (opaque here)."""

    name: str
    principal: Any = None
    department: str | None = None  # staff: their department
    # Applicants: their blind indexes; they read and print only their own certificates.
    applicant_indexes: tuple[str, ...] = ()


class AuditHook(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None: ...


@dataclass
class CertificateContext:
    """Everything the certificate operations need besides the session."""

    signer: Signer
    verifiers: Mapping[str, Verifier]
    cipher: PiiCipher
    cases: CaseSource
    authority: str = "行政审批局"
    seal_code: str = ""
    # When set, the QR code holds a URL a phone can open; the kiosk extracts the token either way.
    verify_base_url: str | None = None
    today: Callable[[], dt.date] = dt.date.today
    # The app's audit trail; every issue, reissue, revocation and print is recorded through it.
    audit: AuditHook | None = None
    # Called after a certificate is made, e.g. to move the case from approved to certificate_made.
    on_issued: Callable[[Session, str, Actor], None] | None = None

    def current_day(self) -> dt.date:
        return self.today()

    def record(  # noqa: PLR0917 - mirrors the audit trail's fields
        self,
        session: Session,
        actor: Actor,
        action: str,
        number: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        if self.audit is not None:
            self.audit(
                session, actor=actor.name, action=action, subject_id=number, before=before, after=after
            )


@dataclass(frozen=True)
class IssueRequest:
    """`certificate_name` and `valid_until` default to the item's template (`templates.py`)."""

    certificate_name: str | None
    scope: str
    valid_until: dt.date | None = None
    valid_from: dt.date | None = None
    authority: str | None = None


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    detail: str
    claims: CertificateClaims | None = None
    status: str | None = None
    superseded_by: str | None = None
    # From the record, online: what the paper states besides the QR (name, authority, valid from).
    printed: dict[str, str] | None = None


def issue(
    session: Session, context: CertificateContext, case_number: str, request: IssueRequest, *, actor: Actor
) -> CertificateRecord:
    case = _case(session, context, case_number)
    if case.state not in ISSUABLE_STATES:
        raise CertificateError("conflict", f"case {case_number} is {case.state}, not approved")
    if active_for_case(session, case_number) is not None:
        raise CertificateError("conflict", f"case {case_number} already has a valid certificate; reissue it")
    record = _new_record(context, case, request, revision=1, actor=actor.name)
    session.add(record)
    _flush_unique(session)
    if context.on_issued is not None and case.state in DECIDED_STATES:
        context.on_issued(session, case_number, actor)
    context.record(session, actor, "certificate.issue", record.number, None, _snapshot(record))
    log.info("certificate %s issued for case %s by %s", record.number, case_number, actor.name)
    return record


def reissue(
    session: Session,
    context: CertificateContext,
    number: str,
    request: IssueRequest,
    *,
    actor: Actor,
    reason: str,
) -> CertificateRecord:
    """A corrected certificate: a new number and revision; the old one answers 'superseded'. Only an
    approver of the case's department reissues (the caller checks the role), with a reason; the issuing
    authority stays the one of the certificate reissued."""
    if not reason.strip():
        raise CertificateError("invalid", "a reissue needs a reason")
    old = get(session, number)
    case = _case(session, context, old.case_number)
    check_department(actor, case)
    if old.status != CertificateStatus.VALID:
        raise CertificateError(
            "conflict", f"certificate {number} is {old.status}; only a valid one is reissued"
        )
    if request.authority is not None and request.authority != old.authority:
        raise CertificateError("invalid", f"a reissue keeps the issuing authority {old.authority}")
    request = dataclasses.replace(request, authority=old.authority)
    record = _new_record(context, case, request, revision=old.revision + 1, actor=actor.name)
    session.add(record)
    before = _snapshot(old)
    old.status = CertificateStatus.SUPERSEDED
    old.status_reason = reason.strip()
    old.superseded_by = record.number
    old.status_changed_at = dt.datetime.now(dt.UTC)
    _flush_unique(session)
    why = {"reason": old.status_reason}
    context.record(session, actor, "certificate.supersede", number, before, _snapshot(old) | why)
    context.record(session, actor, "certificate.reissue", record.number, None, _snapshot(record) | why)
    log.info("certificate %s superseded by %s (%s)", number, record.number, actor.name)
    return record


def revoke(
    session: Session,
    context: CertificateContext,
    number: str,
    *,
    reason: str,
    actor: Actor,
    by_supervisor: bool = False,
) -> CertificateRecord:
    """Only an approver of the case's department revokes (the caller checks the role), with a reason;
    or (`by_supervisor`) the item's supervising department, whose signed request the caller checked."""
    if not reason.strip():
        raise CertificateError("invalid", "a revocation needs a reason")
    record = get(session, number)
    if not by_supervisor:
        check_department(actor, _case(session, context, record.case_number))
    if record.status == CertificateStatus.REVOKED:
        raise CertificateError("conflict", f"certificate {number} is already revoked")
    before = _snapshot(record)
    record.status = CertificateStatus.REVOKED
    record.status_reason = reason.strip()
    record.status_changed_at = dt.datetime.now(dt.UTC)
    session.flush()
    after = _snapshot(record) | {"reason": record.status_reason}
    context.record(session, actor, "certificate.revoke", number, before, after)
    log.info("certificate %s revoked by %s", number, actor.name)
    return record


def check_department(actor: Actor, case: CaseFacts) -> None:
    """Revocations and reissues: the actor belongs to the department that decided the case."""
    if actor.department is None or actor.department not in case.departments:
        raise CertificateError(
            "forbidden", f"only an approver of {'、'.join(case.departments) or 'the deciding department'}"
        )


def check_reader(session: Session, context: CertificateContext, actor: Actor, case_number: str) -> None:
    """An applicant reads and prints only their own certificates (others answer 'not found', which
    does not confirm that they exist); staff limited to a department (`Actor.department` on a reader)
    only that department's; the caller checks the staff roles."""
    if not actor.applicant_indexes and actor.department is None:
        return
    case = context.cases.get(session, case_number)
    if actor.applicant_indexes and (case is None or case.holder_index not in actor.applicant_indexes):
        raise CertificateError("not-found", "no such certificate of yours")
    if actor.department is not None and (case is None or actor.department not in case.departments):
        raise CertificateError(
            "forbidden", f"the certificate belongs to another department than {actor.department}"
        )


def get(session: Session, number: str) -> CertificateRecord:
    record = session.scalars(select(CertificateRecord).where(CertificateRecord.number == number)).first()
    if record is None:
        raise CertificateError("not-found", f"no certificate {number}")
    return record


def active_for_case(session: Session, case_number: str) -> CertificateRecord | None:
    return session.scalars(
        select(CertificateRecord).where(
            CertificateRecord.case_number == case_number, CertificateRecord.status == CertificateStatus.VALID
        )
    ).first()


def is_sealed(session: Session, context: CertificateContext, record: CertificateRecord) -> bool:
    case = context.cases.get(session, record.case_number)
    return case is not None and case.state in SEALED_STATES


def render(
    session: Session, context: CertificateContext, record: CertificateRecord, *, copy_label: str = ""
) -> bytes:
    holder_id = context.cipher.decrypt(record.holder_id_enc)
    view = CertificateView(
        number=record.number,
        certificate_name=record.certificate_name,
        holder=record.holder_name,
        holder_id_masked=mask_id_number(holder_id),
        item_name=record.item_name,
        scope=record.scope,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        authority=record.authority,
        issued_on=record.issued_on,
        qr_text=qr_text(context, record.token),
        seal_code=record.seal_code,
        scope_label=template_for(record.item_code).scope_label,
    )
    return render_certificate(view, sealed=is_sealed(session, context, record), copy_label=copy_label)


def qr_text(context: CertificateContext, token: str) -> str:
    if context.verify_base_url:
        return f"{context.verify_base_url.rstrip('/')}/certificates/verify?{TOKEN_QUERY_PARAMETER}={token}"
    return token


def prints_of(session: Session, record: CertificateRecord) -> list[CertificatePrint]:
    return list(
        session.scalars(
            select(CertificatePrint)
            .where(CertificatePrint.certificate_id == record.id)
            .order_by(CertificatePrint.sequence)
        )
    )


def print_state(session: Session, record: CertificateRecord) -> print_rules.PrintState:
    return print_rules.print_state(_attempts(prints_of(session, record)), _now())


def request_print(
    session: Session, context: CertificateContext, number: str, *, station: str, actor: Actor
) -> CertificatePrint:
    """Records a print before it is sent to a printer: the original the first time, a copy after."""
    record = _lock(session, number)
    check_reader(session, context, actor, record.case_number)
    if record.status != CertificateStatus.VALID:
        raise CertificateError("conflict", f"certificate {number} is {record.status} and may not be printed")
    if not is_sealed(session, context, record):
        raise CertificateError("conflict", f"certificate {number} is not sealed yet")
    existing = prints_of(session, record)
    now = _now()
    for entry in existing:
        if print_rules.abandoned(_attempt(entry), now):
            before = _print_snapshot(entry)
            entry.status = PrintStatus.FAILED
            entry.reason = "abandoned: no result from the station"
            entry.finished_at = now
            context.record(
                session, actor, "certificate.print_abandoned", number, before, _print_snapshot(entry)
            )
            log.warning("certificate %s print #%d from %s abandoned", number, entry.sequence, entry.station)
    try:
        kind = print_rules.next_print_kind(_attempts(existing), now)
    except PrintRefusedError as err:
        raise CertificateError("conflict", str(err)) from err
    sequence = (
        session.scalar(
            select(func.max(CertificatePrint.sequence)).where(CertificatePrint.certificate_id == record.id)
        )
        or 0
    ) + 1
    entry = CertificatePrint(
        certificate_id=record.id,
        sequence=sequence,
        kind=kind,
        status=PrintStatus.REQUESTED,
        station=station,
        requested_by=actor.name,
    )
    session.add(entry)
    _flush_unique(session)
    context.record(session, actor, "certificate.print", number, None, _print_snapshot(entry))
    log.info(
        "certificate %s print #%d (%s) requested at %s by %s", number, sequence, kind, station, actor.name
    )
    return entry


def finish_print(
    session: Session,
    context: CertificateContext,
    number: str,
    print_id: int,
    outcome: PrintStatus,
    *,
    actor: Actor,
    reason: str = "",
) -> CertificatePrint:
    record = get(session, number)
    check_reader(session, context, actor, record.case_number)
    entry = session.get(CertificatePrint, print_id)
    if entry is None or entry.certificate_id != record.id:
        raise CertificateError("not-found", f"no print {print_id} of certificate {number}")
    try:
        print_rules.check_finish(PrintStatus(entry.status), outcome)
    except PrintRefusedError as err:
        raise CertificateError("conflict", str(err)) from err
    before = _print_snapshot(entry)
    entry.status = outcome
    entry.reason = reason
    entry.finished_at = dt.datetime.now(dt.UTC)
    session.flush()
    context.record(session, actor, "certificate.print_result", number, before, _print_snapshot(entry))
    log.info("certificate %s print #%d %s %s", number, entry.sequence, outcome, reason)
    return entry


def print_pdf(
    session: Session, context: CertificateContext, number: str, print_id: int, *, actor: Actor
) -> bytes:
    record = get(session, number)
    check_reader(session, context, actor, record.case_number)
    entry = session.get(CertificatePrint, print_id)
    if entry is None or entry.certificate_id != record.id:
        raise CertificateError("not-found", f"no print {print_id} of certificate {number}")
    label = "" if entry.kind == PrintKind.ORIGINAL else f"副本 · 第{entry.sequence}次打印 · 原件已于此前打印"
    return render(session, context, record, copy_label=label)


def verify_scan(session: Session | None, context: CertificateContext, scanned: str) -> Verification:
    """Offline (no session: signature only) or online (also revoked / superseded / unknown)."""
    try:
        claims = verify_token(token_from_scan(scanned), context.verifiers)
    except TokenRejectedError as err:
        return Verification(False, err.reason.value, err.detail)
    if session is None:
        return Verification(True, "signature-valid", "签名有效（离线核验，未查询吊销状态）", claims)
    record = session.scalars(
        select(CertificateRecord).where(CertificateRecord.number == claims.number)
    ).first()
    if record is None:
        return Verification(False, "unknown-certificate", "签名有效，但系统中没有该证照", claims)
    printed = {
        "certificate_name": record.certificate_name,
        "authority": record.authority,
        "valid_from": record.valid_from.isoformat(),
    }
    verdict = _verdict(context, record, claims)
    return dataclasses.replace(verdict, printed=printed)


def _verdict(
    context: CertificateContext, record: CertificateRecord, claims: CertificateClaims
) -> Verification:
    if record.revision != claims.revision or record.key_id != claims.key_id:
        return Verification(False, "mismatch", "签名有效，但与系统中的证照记录不一致", claims, record.status)
    if record.status == CertificateStatus.REVOKED:
        return Verification(False, "revoked", f"证照已吊销：{record.status_reason}", claims, record.status)
    if record.status == CertificateStatus.SUPERSEDED:
        return Verification(
            False,
            "superseded",
            f"证照已被 {record.superseded_by} 替代",
            claims,
            record.status,
            record.superseded_by,
        )
    if record.valid_until is not None and record.valid_until < context.current_day():
        return Verification(False, "expired", f"证照已于{record.valid_until}过期", claims, record.status)
    return Verification(True, "valid", "证照有效", claims, record.status)


def public_claims(claims: CertificateClaims) -> dict[str, str | int | None]:
    """What a public verification page shows: the holder's name masked."""
    return {
        "number": claims.number,
        "holder": mask_name(claims.holder),
        "item": claims.item,
        "issued_on": claims.issued_on.isoformat(),
        "valid_until": claims.valid_until.isoformat() if claims.valid_until else None,
        "revision": claims.revision,
    }


def _snapshot(record: CertificateRecord) -> dict[str, Any]:
    """What the audit trail keeps of a certificate (no ID number)."""
    return {
        "case_number": record.case_number,
        "revision": record.revision,
        "status": record.status,
        "status_reason": record.status_reason,
        "superseded_by": record.superseded_by,
        "key_id": record.key_id,
    }


def _print_snapshot(entry: CertificatePrint) -> dict[str, Any]:
    return {
        "print_id": entry.id,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "status": entry.status,
        "station": entry.station,
        "reason": entry.reason,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _attempt(entry: CertificatePrint) -> PrintAttempt:
    requested_at = entry.requested_at
    if requested_at is not None and requested_at.tzinfo is None:  # SQLite gives naive UTC back
        requested_at = requested_at.replace(tzinfo=dt.UTC)
    return PrintAttempt(PrintKind(entry.kind), PrintStatus(entry.status), requested_at)


def _attempts(prints: list[CertificatePrint]) -> list[PrintAttempt]:
    return [_attempt(entry) for entry in prints]


def _case(session: Session, context: CertificateContext, case_number: str) -> CaseFacts:
    case = context.cases.get(session, case_number)
    if case is None:
        raise CertificateError("not-found", f"no case {case_number}")
    return case


def _lock(session: Session, number: str) -> CertificateRecord:
    """The record, locked for this transaction so two kiosks cannot both take the original.

    A no-op UPDATE as the transaction's first statement: a row lock on PostgreSQL, and on SQLite the
    write lock taken *before* anything is read (a read-then-write transaction in WAL mode would fail
    with "database is locked" instead of waiting its turn).
    """
    session.execute(
        update(CertificateRecord)
        .where(CertificateRecord.number == number)
        .values(status=CertificateRecord.status)
        .execution_options(synchronize_session=False)
    )
    record = session.scalars(select(CertificateRecord).where(CertificateRecord.number == number)).first()
    if record is None:
        raise CertificateError("not-found", f"no certificate {number}")
    return record


def _new_record(
    context: CertificateContext, case: CaseFacts, request: IssueRequest, *, revision: int, actor: str
) -> CertificateRecord:
    template = template_for(case.item_code)
    certificate_name = request.certificate_name or template.certificate_name
    for text, what in ((certificate_name, "certificate name"), (request.scope, "scope")):
        if not text.strip():
            raise CertificateError("invalid", f"the {what} is empty")
    today = context.current_day()
    valid_from = request.valid_from or today
    valid_until = request.valid_until or default_valid_until(template, valid_from)
    if valid_until is not None and valid_until <= valid_from:
        raise CertificateError("invalid", "the certificate would expire before it becomes valid")
    number = f"{case.item_code}-{today:%Y}-{secrets.randbelow(10**8):08d}"
    claims = CertificateClaims(
        key_id=context.signer.key_id,
        number=number,
        holder=case.holder_name,
        item=case.item_name,
        issued_on=today,
        valid_until=valid_until,
        revision=revision,
    )
    return CertificateRecord(
        number=number,
        case_number=case.number,
        certificate_name=certificate_name.strip(),
        item_code=case.item_code,
        item_name=case.item_name,
        holder_name=case.holder_name,
        holder_id_enc=context.cipher.encrypt(case.holder_id_number),
        scope=request.scope.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        authority=(request.authority or context.authority).strip(),
        seal_code=context.seal_code,
        issued_on=today,
        revision=revision,
        key_id=context.signer.key_id,
        token=sign_claims(claims, context.signer),
        status=CertificateStatus.VALID,
        created_by=actor,
    )


def _flush_unique(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as err:
        raise CertificateError("conflict", "a concurrent change got there first; try again") from err
