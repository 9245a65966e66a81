"""投诉 over HTTP: an applicant files a complaint about one of their own cases, or about the hall itself,
from the kiosk or online; the window registers one; staff read them in their scope.

Who may use it:
- POST /complaints: applicants (their own cases, or the hall; channel kiosk or online), a kiosk (about
  the hall only, anonymously: nobody signed in) and clerks, managers and administrators (any channel).
  An Idempotency-Key is required.
- GET /complaints: clerks, managers and administrators (all); department heads (their department's,
  never the hall's). Others (a kiosk, an applicant, a reviewer): 403; no token: 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from case_service.api import idempotency
from case_service.api.deps import ContextDep, IdempotencyKey, ServicesDep, require_roles
from case_service.api.openapi import REQUIRES_KEY
from case_service.auth.tokens import PrincipalKind
from case_service.cases import complaints
from case_service.cases.context import Context
from case_service.domain import complaints as rules
from case_service.domain.errors import ForbiddenError, InvalidInputError
from case_service.domain.states import Role
from case_service.storage.models import Case, Complaint

router = APIRouter(prefix="/complaints", tags=["complaints"])
FILERS = (Role.APPLICANT, Role.KIOSK, Role.CLERK, Role.MANAGER, Role.ADMIN)
READERS = (Role.CLERK, Role.MANAGER, Role.ADMIN, Role.APPROVER)


class ComplaintIn(BaseModel):
    channel: rules.Channel
    summary: str = Field(default="", max_length=rules.MAX_TEXT, description="required about a case")
    case_number: str = Field(default="", max_length=64, description="required from an applicant")
    topic: rules.HallTopic | None = Field(
        default=None, description="set: a complaint about the hall itself, to the hall's office"
    )
    contact_phone: str = Field(
        default="", max_length=11, description="about the hall: where the answer is told (none: anonymous)"
    )
    department: str = Field(default="", max_length=64, description="when the complaint is about no one case")
    complainant: str = Field(
        default="", max_length=rules.MAX_NAME, description="staff only; an applicant's own name"
    )


class ComplaintOut(BaseModel):
    id: int
    case_number: str | None
    department: str
    channel: str
    summary: str
    received_on: dt.date
    reply_by: dt.date
    status: rules.Status
    answer: str | None
    answered_on: dt.date | None
    told_on: dt.date | None
    topic: rules.HallTopic | None = None
    contact_phone: str | None = Field(default=None, description="masked; none: nobody can be told")


def _out(ctx: Context, complaint: Complaint, case_number: str | None) -> ComplaintOut:
    today = ctx.today
    return ComplaintOut(
        id=complaint.id,
        case_number=case_number,
        department=complaint.department,
        channel=complaint.channel,
        summary=complaint.summary,
        received_on=complaint.received_on,
        reply_by=complaint.reply_by,
        status=rules.status(
            complaint.reply_by,
            complaint.answered_on,
            complaint.told_on,
            today,
            reachable=complaint.reachable,
        ),
        answer=complaint.answer,
        answered_on=complaint.answered_on,
        told_on=complaint.told_on,
        topic=rules.HallTopic(complaint.topic) if complaint.topic else None,
        contact_phone=complaints.masked_contact(ctx, complaint),
    )


@router.post(
    "",
    status_code=201,
    response_model=ComplaintOut,
    openapi_extra=REQUIRES_KEY,
    dependencies=[require_roles(*FILERS)],
)
def file_complaint(
    body: ComplaintIn, ctx: ContextDep, services: ServicesDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """Registers a complaint, routed to its case's department (or the one named; one with a `topic`, about
    the hall, to the hall's office), to be answered within 5 working days."""
    applicant = ctx.principal.kind is PrincipalKind.APPLICANT
    if applicant and body.channel is rules.Channel.WINDOW:
        raise InvalidInputError("an applicant files from the kiosk or online; the window registers its own")
    if body.topic is None and body.contact_phone:
        raise InvalidInputError("a contact phone goes with a complaint about the hall; a case has its own")

    def produce() -> ComplaintOut:
        if body.topic is not None:
            complaint = complaints.register_about_hall(
                ctx,
                office=services.settings.case.hall_office,
                channel=body.channel.value,
                topic=body.topic.value,
                detail=body.summary,
                phone=body.contact_phone,
            )
            return _out(ctx, complaint, None)
        complaint = complaints.register(
            ctx,
            channel=body.channel.value,
            complainant=body.complainant,
            summary=body.summary,
            department=body.department,
            case_ref=body.case_number,
        )
        case = ctx.session.get(Case, complaint.case_id) if complaint.case_id is not None else None
        return _out(ctx, complaint, case.number if case else None)

    return idempotency.run(
        ctx.session,
        scope=ctx.principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST complaint", body.model_dump(mode="json")),
        produce=produce,
    )


@router.get("", response_model=list[ComplaintOut], dependencies=[require_roles(*READERS)])
def list_complaints(ctx: ContextDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ComplaintOut]:
    """The newest first: the whole centre for the window and the centre's managers, a department head's
    department for them."""
    principal = ctx.principal
    if principal.department is not None and principal.roles & {Role.MANAGER, Role.APPROVER}:
        scope: str | None = principal.department
    elif principal.roles & {Role.CLERK, Role.MANAGER, Role.ADMIN}:
        scope = None
    else:
        raise ForbiddenError("an approver reads their department's complaints: none is set")
    return [_out(ctx, c, number) for c, number in complaints.listed(ctx.session, scope, limit=limit)]
