"""HTTP routes for certificates: make, PDF, print once (audited), verify (public), revoke, reissue.

Thin: each route converts the request, calls `service`, and maps `CertificateError` to 404/409/422.
Who may do what is decided by the dependencies `staff_actor`, `approver_actor` and `station_actor`, which
ask the app's authentication (`app.state.certificate_actors`, an `ActorSource`); unconfigured they refuse
everyone. Revoke and reissue: an approver of the case's department. Reading a certificate and its prints:
the holder's own applicant token (ownership checked here) or staff whose roles need it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from case_service.certificates import service
from case_service.certificates.models import CertificatePrint, CertificateRecord
from case_service.certificates.print_rules import ALTERNATIVE_TEXT, PrintStatus, alternatives_for
from case_service.certificates.service import Actor, CertificateContext, CertificateError, IssueRequest
from hall.models import Strict
from hall.signing import MAX_TOKEN_LENGTH, Ed25519Verifier

STATUS_FOR_KIND = {"not-found": 404, "conflict": 409, "invalid": 422, "forbidden": 403}
MAX_PRINT_ID = 2**31 - 1  # the databases' integer columns

router = APIRouter(tags=["certificates"])


def certificate_context(request: Request) -> CertificateContext:
    context: CertificateContext | None = getattr(request.app.state, "certificates", None)
    if context is None:
        raise HTTPException(503, "certificates are not configured on this server")
    return context


def certificate_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the answer is sent (scope="function" below): a client
    that acts on the answer (a sealer right after the certificate is made) sees what it reports."""
    with request.app.state.sessions() as session, session.begin():
        yield session


class ActorSource(Protocol):
    """The app's authentication, set as `app.state.certificate_actors`."""

    def staff(self, request: Request) -> Actor: ...
    def approver(self, request: Request) -> Actor: ...
    def station(self, request: Request) -> Actor: ...


# Resolved through app.state rather than app.dependency_overrides: while any override is registered,
# FastAPI re-inspects every dependency of every route of the app on every request (~0.5 ms each).
async def staff_actor(request: Request) -> Actor:
    """The app's staff authentication (clerks, approvers, sealers); unconfigured it refuses everyone."""
    source: ActorSource | None = getattr(request.app.state, "certificate_actors", None)
    if source is None:
        raise HTTPException(401, "sign in as staff first")
    return source.staff(request)


async def approver_actor(request: Request) -> Actor:
    """An approver (with their department), for revocations and reissues."""
    source: ActorSource | None = getattr(request.app.state, "certificate_actors", None)
    if source is None:
        raise HTTPException(401, "sign in as an approver first")
    return source.approver(request)


async def station_actor(request: Request) -> Actor:
    """The holder's applicant token (at a kiosk) or certificate staff (at a window); unconfigured it
    refuses everyone."""
    source: ActorSource | None = getattr(request.app.state, "certificate_actors", None)
    if source is None:
        raise HTTPException(401, "this needs the applicant's sign-in or a staff credential")
    return source.station(request)


ContextDep = Annotated[CertificateContext, Depends(certificate_context)]
SessionDep = Annotated[Session, Depends(certificate_session, scope="function")]
StaffDep = Annotated[Actor, Depends(staff_actor)]
StationDep = Annotated[Actor, Depends(station_actor)]
ApproverDep = Annotated[Actor, Depends(approver_actor)]
PrintId = Annotated[int, Path(ge=1, le=MAX_PRINT_ID)]


class Stripped(Strict):
    model_config = ConfigDict(str_strip_whitespace=True)


class IssueIn(Stripped):
    # Both default to the item's certificate template.
    certificate_name: str | None = Field(default=None, min_length=1, max_length=100)
    scope: str = Field(min_length=1, max_length=2000)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    authority: str | None = Field(default=None, min_length=1, max_length=100)


class ReissueIn(IssueIn):
    reason: str = Field(min_length=1, max_length=500)


class RevokeIn(Stripped):
    reason: str = Field(min_length=1, max_length=500)


class PrintRequestIn(Stripped):
    station: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class PrintResultIn(Stripped):
    outcome: Literal["completed", "failed", "cancelled"]
    reason: str = Field(default="", max_length=500)


class PrintOut(BaseModel):
    id: int
    sequence: int
    kind: str
    status: str
    station: str
    reason: str
    pdf_url: str


class CertificateOut(BaseModel):
    number: str
    case_number: str
    certificate_name: str
    item_name: str
    holder: str
    scope: str
    valid_from: dt.date
    valid_until: dt.date | None
    authority: str
    issued_on: dt.date
    revision: int
    status: str
    status_reason: str
    superseded_by: str | None
    sealed: bool
    print_state: str
    # When not printed: the other ways offered to the applicant (another kiosk, locker, window).
    alternatives: list[dict[str, str]]
    qr_text: str


class VerificationOut(BaseModel):
    valid: bool
    reason: str
    detail: str
    status: str | None = None
    superseded_by: str | None = None
    certificate: dict[str, str | int | None] | None = None
    printed: dict[str, str] | None = Field(
        default=None, description="online: the certificate's name, authority and start as printed"
    )


def _fail(err: CertificateError) -> HTTPException:
    return HTTPException(STATUS_FOR_KIND.get(err.kind, 400), err.message)


def _out(session: Session, context: CertificateContext, record: CertificateRecord) -> CertificateOut:
    state = service.print_state(session, record)
    return CertificateOut(
        number=record.number,
        case_number=record.case_number,
        certificate_name=record.certificate_name,
        item_name=record.item_name,
        holder=record.holder_name,
        scope=record.scope,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        authority=record.authority,
        issued_on=record.issued_on,
        revision=record.revision,
        status=record.status,
        status_reason=record.status_reason,
        superseded_by=record.superseded_by,
        sealed=service.is_sealed(session, context, record),
        print_state=state.value,
        alternatives=[{"way": way, "text": ALTERNATIVE_TEXT[way]} for way in alternatives_for(state)],
        qr_text=service.qr_text(context, record.token),
    )


def _print_out(request: Request, number: str, entry: CertificatePrint) -> PrintOut:
    return PrintOut(
        id=entry.id,
        sequence=entry.sequence,
        kind=entry.kind,
        status=entry.status,
        station=entry.station,
        reason=entry.reason,
        pdf_url=request.url_for("print_pdf", number=number, print_id=entry.id).path,
    )


@router.post("/cases/{case_number}/certificate", status_code=201, response_model=CertificateOut)
def make_certificate(
    case_number: str, body: IssueIn, session: SessionDep, context: ContextDep, actor: StaffDep
) -> CertificateOut:
    request = IssueRequest(
        body.certificate_name, body.scope, body.valid_until, body.valid_from, body.authority
    )
    try:
        record = service.issue(session, context, case_number, request, actor=actor)
    except CertificateError as err:
        raise _fail(err) from err
    return _out(session, context, record)


@router.get("/cases/{case_number}/certificate", response_model=CertificateOut)
def certificate_of_case(
    case_number: str, session: SessionDep, context: ContextDep, actor: StationDep
) -> CertificateOut:
    record = service.active_for_case(session, case_number)
    try:
        service.check_reader(session, context, actor, case_number)
    except CertificateError as err:
        raise _fail(err) from err
    if record is None:
        raise HTTPException(404, f"case {case_number} has no valid certificate")
    return _out(session, context, record)


@router.get("/certificates/verify", response_model=VerificationOut)
def verify(
    session: SessionDep,
    context: ContextDep,
    t: Annotated[str, Query(min_length=1, max_length=MAX_TOKEN_LENGTH)],
) -> VerificationOut:
    """Public: anyone holding the paper can check it. The holder's name is shown masked."""
    result = service.verify_scan(session, context, t)
    return VerificationOut(
        valid=result.valid,
        reason=result.reason,
        detail=result.detail,
        status=result.status,
        superseded_by=result.superseded_by,
        certificate=service.public_claims(result.claims) if result.claims else None,
        printed=result.printed,
    )


@router.get("/certificates/keys")
def public_keys(context: ContextDep) -> dict[str, list[dict[str, str]]]:
    """Public keys for offline verification (the current and any still-trusted retired ones)."""
    keys = [
        {"key_id": key_id, "algorithm": verifier.algorithm, "pem": verifier.pem().decode("ascii")}
        for key_id, verifier in context.verifiers.items()
        if isinstance(verifier, Ed25519Verifier)
    ]
    return {"keys": keys}


@router.get("/certificates/{number}", response_model=CertificateOut)
def get_certificate(
    number: str, session: SessionDep, context: ContextDep, actor: StationDep
) -> CertificateOut:
    try:
        record = service.get(session, number)
        service.check_reader(session, context, actor, record.case_number)
        return _out(session, context, record)
    except CertificateError as err:
        raise _fail(err) from err


@router.get("/certificates/{number}/pdf", response_class=Response)
def certificate_pdf(number: str, session: SessionDep, context: ContextDep, _: StaffDep) -> Response:
    """The certificate for staff to look at (sealed once the case is sealed); prints go through /prints."""
    try:
        record = service.get(session, number)
    except CertificateError as err:
        raise _fail(err) from err
    pdf = service.render(session, context, record)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}.pdf"'}
    )


@router.post("/certificates/{number}/prints", status_code=201, response_model=PrintOut)
def request_print(  # noqa: PLR0917 - FastAPI passes dependencies by name
    number: str,
    body: PrintRequestIn,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    actor: StationDep,
) -> PrintOut:
    try:
        entry = service.request_print(session, context, number, station=body.station, actor=actor)
    except CertificateError as err:
        raise _fail(err) from err
    return _print_out(request, number, entry)


@router.get("/certificates/{number}/prints", response_model=list[PrintOut])
def list_prints(number: str, request: Request, session: SessionDep, _: StaffDep) -> list[PrintOut]:
    try:
        record = service.get(session, number)
    except CertificateError as err:
        raise _fail(err) from err
    return [_print_out(request, number, entry) for entry in service.prints_of(session, record)]


@router.get("/certificates/{number}/prints/{print_id}/pdf", response_class=Response)
def print_pdf(
    number: str, print_id: PrintId, session: SessionDep, context: ContextDep, actor: StationDep
) -> Response:
    try:
        pdf = service.print_pdf(session, context, number, print_id, actor=actor)
    except CertificateError as err:
        raise _fail(err) from err
    return Response(pdf, media_type="application/pdf")


@router.post("/certificates/{number}/prints/{print_id}/result", response_model=PrintOut)
def print_result(  # noqa: PLR0917 - FastAPI passes dependencies by name
    number: str,
    print_id: PrintId,
    body: PrintResultIn,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    actor: StationDep,
) -> PrintOut:
    outcome = PrintStatus(body.outcome)
    try:
        entry = service.finish_print(
            session, context, number, print_id, outcome, actor=actor, reason=body.reason
        )
    except CertificateError as err:
        raise _fail(err) from err
    return _print_out(request, number, entry)


@router.post("/certificates/{number}/revoke", response_model=CertificateOut)
def revoke(
    number: str, body: RevokeIn, session: SessionDep, context: ContextDep, actor: ApproverDep
) -> CertificateOut:
    try:
        record = service.revoke(session, context, number, reason=body.reason, actor=actor)
    except CertificateError as err:
        raise _fail(err) from err
    return _out(session, context, record)


@router.post("/certificates/{number}/reissue", status_code=201, response_model=CertificateOut)
def reissue(
    number: str, body: ReissueIn, session: SessionDep, context: ContextDep, actor: ApproverDep
) -> CertificateOut:
    request = IssueRequest(
        body.certificate_name, body.scope, body.valid_until, body.valid_from, body.authority
    )
    try:
        record = service.reissue(session, context, number, request, actor=actor, reason=body.reason)
    except CertificateError as err:
        raise _fail(err) from err
    return _out(session, context, record)
