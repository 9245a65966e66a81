"""投诉 over HTTP: an applicant files a complaint about one of their own cases from the kiosk or online;
the window registers one; staff read them in their scope.

Who may use it:
- POST /complaints: applicants (their own cases; channel kiosk or online) and clerks, managers and
  administrators (any channel). An Idempotency-Key is required.
- GET /complaints: clerks, managers and administrators (all); department heads (their department's).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from case_service.api import idempotency
from case_service.api.deps import ContextDep, IdempotencyKey, require_roles
from case_service.api.openapi import REQUIRES_KEY
from case_service.auth.tokens import PrincipalKind
from case_service.cases import complaints
from case_service.domain import complaints as rules
from case_service.domain.errors import ForbiddenError, InvalidInputError
from case_service.domain.states import Role
from case_service.storage.models import Case, Complaint

router = APIRouter(prefix="/complaints", tags=["complaints"])
FILERS = (Role.APPLICANT, Role.CLERK, Role.MANAGER, Role.ADMIN)
READERS = (Role.CLERK, Role.MANAGER, Role.ADMIN, Role.APPROVER)


class ComplaintIn(BaseModel):
    channel: rules.Channel
    summary: str = Field(min_length=1, max_length=rules.MAX_TEXT)
    case_number: str = Field(default="", max_length=64, description="required from an applicant")
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


def _out(complaint: Complaint, case_number: str | None, today: dt.date) -> ComplaintOut:
    return ComplaintOut(
        id=complaint.id,
        case_number=case_number,
        department=complaint.department,
        channel=complaint.channel,
        summary=complaint.summary,
        received_on=complaint.received_on,
        reply_by=complaint.reply_by,
        status=rules.status(complaint.reply_by, complaint.answered_on, complaint.told_on, today),
        answer=complaint.answer,
        answered_on=complaint.answered_on,
        told_on=complaint.told_on,
    )


@router.post(
    "",
    status_code=201,
    response_model=ComplaintOut,
    openapi_extra=REQUIRES_KEY,
    dependencies=[require_roles(*FILERS)],
)
def file_complaint(body: ComplaintIn, ctx: ContextDep, idempotency_key: IdempotencyKey = None) -> Response:
    """Registers a complaint, routed to its case's department (or the one named), to be answered within
    5 working days."""
    applicant = ctx.principal.kind is PrincipalKind.APPLICANT
    if applicant and body.channel is rules.Channel.WINDOW:
        raise InvalidInputError("an applicant files from the kiosk or online; the window registers its own")

    def produce() -> ComplaintOut:
        complaint = complaints.register(
            ctx,
            channel=body.channel.value,
            complainant=body.complainant,
            summary=body.summary,
            department=body.department,
            case_ref=body.case_number,
        )
        case = ctx.session.get(Case, complaint.case_id) if complaint.case_id is not None else None
        return _out(complaint, case.number if case else None, ctx.today)

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
    return [_out(c, number, ctx.today) for c, number in complaints.listed(ctx.session, scope, limit=limit)]
