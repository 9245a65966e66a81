"""Cases: submit (idempotent), read within scope, act through the state machine, history, evaluations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from case_service.api import idempotency, schemas
from case_service.api.deps import ContextDep, IdempotencyKey, RowId, principal_of, services_of
from case_service.api.openapi import REQUIRES_KEY
from case_service.api.presenters import case_out, case_status, json_response
from case_service.auth.tokens import Principal, PrincipalKind
from case_service.cases import joint, result_certificate
from case_service.cases import service as cases
from case_service.domain.applicant import check_id_number, normalise_phone
from case_service.domain.completeness import Defect
from case_service.domain.errors import ForbiddenError, InvalidInputError
from case_service.domain.review import Conclusion
from case_service.domain.states import Action, Role
from case_service.runtime import Services
from case_service.storage.rawsql import RawTransaction
from hall import case_api

router = APIRouter(prefix="/cases", tags=["cases"])
CaseRef = Annotated[
    str,
    Path(
        min_length=1, max_length=32, description="numeric id or case number", examples=["20250926-1A2B3C4D"]
    ),
]
FILERS = {Role.CLERK, Role.APPLICANT}


@router.post("", status_code=201, response_model=case_api.CaseOut, openapi_extra=REQUIRES_KEY)
async def submit_case(
    body: schemas.CaseCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> Response:
    """A kiosk (applicant token) or a window clerk files an application. Requires `Idempotency-Key`.

    The hot write: the principal is read here and all database work runs in one worker-thread hop,
    without the session and context dependencies (solving them cost more than the filing's SQL)."""
    services = services_of(request)
    principal = principal_of(request, services)
    return await run_in_threadpool(_submit, services, principal, body, idempotency_key)


def _submit(
    services: Services, principal: Principal, body: schemas.CaseCreate, idempotency_key: str | None
) -> Response:
    calendar = services.calendars.cached()
    if calendar is None:
        with services.sessions() as session:
            calendar = services.calendars.get(session)
    filer = cases.Filer(calendar, services.cipher, services.today(), principal, services.index_keys)
    with RawTransaction(services.filing_engine or services.engine) as tx:
        return _file(tx, filer, body, idempotency_key)


def applicant_of(ctx: cases.Filer, given: schemas.ApplicantIn | None, phone: str | None) -> cases.Applicant:
    """Who files: the card holder of an applicant token, or the applicant a clerk gives (checked as the
    window's intake page checks it, web/intake.py, so the API takes what the page takes)."""
    principal = ctx.principal
    if not principal.roles & FILERS:
        raise ForbiddenError("cases are filed by a window clerk or with an applicant token")
    if principal.kind is PrincipalKind.APPLICANT:
        if given is not None:
            raise InvalidInputError(
                "with an applicant token the applicant is the card holder; omit `applicant`"
            )
        assert principal.sealed_name and principal.sealed_id_number
        return cases.Applicant(
            name=ctx.cipher.decrypt(principal.sealed_name, context="token.name"),
            id_number=ctx.cipher.decrypt(principal.sealed_id_number, context="token.id"),
            phone=normalise_phone(phone) if phone else None,
        )
    if given is None:
        raise InvalidInputError("give the applicant: name, id_number and optionally phone")
    return cases.Applicant(
        given.name,
        check_id_number(given.id_number, ctx.today),
        normalise_phone(given.phone) if given.phone else None,
    )


def _file(
    tx: RawTransaction, ctx: cases.Filer, body: schemas.CaseCreate, idempotency_key: str | None
) -> Response:
    principal = ctx.principal
    applicant = applicant_of(ctx, body.applicant, body.phone)
    if body.window is not None and principal.kind is PrincipalKind.APPLICANT:
        raise InvalidInputError("`window` is given by staff filing at a window, not with an applicant token")

    if idempotency_key:
        # The key's look-up and the filing's reads in one round trip (on PostgreSQL): each is answered
        # from there when run_raw and submit ask.
        tx.prefetch(
            [
                idempotency.find_read(principal.idempotency_scope, idempotency_key),
                *cases.submission_reads(tx, ctx, item_code=body.item_code, applicant=applicant),
            ]
        )

    def produce() -> case_api.CaseOut:
        return case_out(
            ctx,
            cases.submit(
                tx,
                ctx,
                item_code=body.item_code,
                channel=body.channel,
                applicant=applicant,
                window=body.window,
            ),
        )

    return idempotency.run_raw(
        tx,
        scope=principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST /cases", body.model_dump(mode="json")),
        produce=produce,
    )


@router.get("", response_model=case_api.Page[case_api.CaseOut])
def list_cases(
    ctx: ContextDep,
    state: Annotated[list[str] | None, Query(max_length=20)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0,
) -> Response:
    """Staff and hall controllers see all cases; an applicant token only that person's ("my cases")."""
    rows, total = cases.list_cases(ctx, states=state or (), department=department, limit=limit, offset=offset)
    page: case_api.Page[case_api.CaseOut] = case_api.Page(
        items=[case_out(ctx, row) for row in rows], total=total, limit=limit, offset=offset
    )
    return json_response(page)


@router.get("/by-number/{number}", response_model=case_api.CaseOut)
def get_case_by_number(number: Annotated[str, Path(max_length=32)], ctx: ContextDep) -> Response:
    return json_response(case_out(ctx, cases.find_by_number(ctx, number)))


def _status(services: Services, principal: Principal, case_ref: str) -> Response:
    calendar = services.calendars.cached()
    if calendar is None:
        with services.sessions() as session:
            calendar = services.calendars.get(session)
    # The poll engine does not pre-ping; load_status retries once on a connection found dead.
    row = cases.load_status(services.poll_engine or services.engine, principal, case_ref)
    return json_response(case_status(row, calendar, services.today()))


@router.get("/{case_id}/status", response_model=case_api.CaseStatus)
async def get_case_status(case_id: CaseRef, request: Request) -> Response:
    """For polling (kiosk, hall controller): state, stage, due date, next step. All database work runs
    in one worker-thread hop, which makes this the cheapest read of a case. The services and the
    principal are taken here rather than through dependencies: solving them costs more than the query."""
    services = services_of(request)
    return await run_in_threadpool(_status, services, principal_of(request, services), case_id)


@router.get(
    "/{case_id}/release-contact",
    response_model=case_api.ReleaseContact,
    responses={403: {"description": "not a hall controller"}, 409: {"description": "not a locker release"}},
)
def release_contact(case_id: CaseRef, ctx: ContextDep) -> Response:
    """Hall controllers only: the applicant's full phone and ID number for a case ready for release (or
    pickup) by locker, for the pickup SMS and ID-card pickup. Each read is written to the audit trail."""
    contact = cases.release_contact(ctx, case_id)
    ctx.session.commit()
    return json_response(
        case_api.ReleaseContact(
            case_id=contact.case_id,
            item_name=contact.item_name,
            phone=contact.phone,
            id_number=contact.id_number,
        )
    )


@router.get("/{case_id}", response_model=case_api.CaseOut)
def get_case(case_id: CaseRef, ctx: ContextDep) -> Response:
    return json_response(case_out(ctx, cases.load(ctx, case_id)))


@router.post("/{case_id}/actions/{action}", response_model=case_api.CaseOut)
def act(  # noqa: PLR0917 - FastAPI passes dependencies by name
    case_id: CaseRef,
    action: Action,
    ctx: ContextDep,
    request: Request,
    body: schemas.ActionIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Moves the case through the state machine. An action not allowed now answers 409 naming what is.

    With an `Idempotency-Key` (optional here) a resent action answers what the first one did, instead of
    409 because the case has already moved: the hall controller's outbox resends after a crash."""
    body = body or schemas.ActionIn()
    if action is Action.AUTO_ACCEPT:
        raise ForbiddenError("auto_accept is applied by the deadline sweep, not requested")
    data = cases.ActionInput(
        reason=body.reason,
        reasons=body.reasons,
        defects=[Defect(defect.material, defect.problem) for defect in body.defects],
        conditions_met=body.conditions_met,
        suspension_kind=body.suspension_kind,
        expected_days=body.expected_days,
        channel=body.channel,
        receipt=body.receipt,
        outcome=body.outcome,
        result_on=body.result_on,
    )

    def produce() -> case_api.CaseOut:
        if action is Action.MAKE_CERTIFICATE:  # 证照已制作: the certificate is made, as its template fills it
            made, _record = result_certificate.make(ctx, request.app.state.certificates, case_id)
            return case_out(ctx, made)
        return case_out(ctx, cases.act(ctx, case_id, action, data))

    if idempotency_key is None:
        answer = produce()
        ctx.session.commit()
        return json_response(answer)
    return idempotency.run(
        ctx.session,
        scope=ctx.principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint(
            "POST action", case_id, action.value, body.model_dump(mode="json")
        ),
        produce=produce,
        status_code=200,
    )


@router.post(
    "/{case_id}/joint-opinion",
    response_model=schemas.JointOpinionOut,
    responses={404: {"description": "no task of the caller's department on this case"}},
)
def joint_opinion(case_id: RowId, body: schemas.JointOpinionIn, ctx: ContextDep) -> schemas.JointOpinionOut:
    """联审联办: a reviewer or approver of a joint department gives its opinion on the case, once. The
    lead's `approve` / `deny` answer 409 until every joint department has given its opinion."""
    case, task = joint.answer(ctx, case_id, Conclusion(body.conclusion), body.opinion)
    assert task.answered_on is not None
    out = schemas.JointOpinionOut(
        case_id=case.id,
        department=task.department,
        due_on=task.due_on,
        answered_on=task.answered_on,
        conclusion=body.conclusion,
        opinion=task.text,
        signer=task.signer,
        late=task.due_on < task.answered_on,
    )
    ctx.session.commit()
    return out


@router.get("/{case_id}/completeness", response_model=case_api.CompletenessOut)
def completeness(case_id: CaseRef, ctx: ContextDep) -> case_api.CompletenessOut:
    report = cases.completeness(ctx, cases.load(ctx, case_id))
    return case_api.CompletenessOut(
        complete=report.complete,
        missing=list(report.missing),
        unknown=list(report.unknown),
        notice_lines=report.notice_lines(),
        owed=list(report.owed),
        acceptable=report.acceptable,
    )


@router.get("/{case_id}/history", response_model=list[schemas.HistoryEntry])
def history(case_id: CaseRef, ctx: ContextDep) -> list[schemas.HistoryEntry]:
    rows = cases.history(ctx, cases.load(ctx, case_id))
    return [
        schemas.HistoryEntry(
            seq=row.seq, at=row.at, actor=row.actor, action=row.action, before=row.before, after=row.after
        )
        for row in rows
    ]


@router.post(
    "/{case_id}/evaluations",
    status_code=201,
    response_model=schemas.EvaluationOut,
    openapi_extra=REQUIRES_KEY,
)
def evaluate(
    case_id: CaseRef, body: schemas.EvaluationIn, ctx: ContextDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """The hall controller posts a rating (好差评) from a window's evaluator. Requires `Idempotency-Key`."""
    if not ctx.principal.roles & {Role.CONTROLLER, Role.APPLICANT, Role.MANAGER}:
        raise ForbiddenError("ratings come from the hall controller, the applicant, or a hall manager")
    case = cases.load(ctx, case_id)

    def produce() -> schemas.EvaluationOut:
        row = cases.evaluate(
            ctx, case, score=body.score, comment=body.comment, window=body.window, clerk=body.clerk
        )
        return schemas.EvaluationOut(
            id=row.id,
            case_id=row.case_id,
            score=row.score,
            comment=row.comment,
            window=row.window,
            clerk=row.clerk,
            created_at=row.created_at,
        )

    return idempotency.run(
        ctx.session,
        scope=ctx.principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST evaluation", case.id, body.model_dump(mode="json")),
        produce=produce,
    )
