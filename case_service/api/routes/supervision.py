"""电子监察 and the deadline sweep."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from case_service.api import schemas
from case_service.api.deps import ContextDep, RowId, ServicesDep, SessionDep, require_roles
from case_service.cases import cards, supervision
from case_service.cases import service as cases
from case_service.domain import cards as card_rules
from case_service.domain import deadlines
from case_service.domain.states import Role
from case_service.reports.access import report_scope
from case_service.storage.models import Case, Urging

router = APIRouter(prefix="/supervision", tags=["supervision"])
SUPERVISORS = (Role.MANAGER, Role.ADMIN, Role.APPROVER)


@router.get("", response_model=schemas.SupervisionOut, dependencies=[require_roles(*SUPERVISORS)])
def supervision_view(
    ctx: ContextDep,
    department: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> schemas.SupervisionOut:
    """Open cases due within 2 working days (at risk) or past due (overdue), per department."""
    result = supervision.summary(ctx.session, ctx.calendar, ctx.today, department=department, limit=limit)
    listed = []
    for case in result.cases:
        assert case.stage_due_on is not None
        status = deadlines.assess(ctx.calendar, case.stage_due_on, ctx.today)
        listed.append(
            schemas.SupervisedCase(
                id=case.id,
                number=case.number,
                item_name=case.item_name,
                department=case.department,
                state=case.state,
                stage=case.stage,
                stage_due_on=case.stage_due_on,
                level=status.level.value,
                working_days_left=status.working_days_left,
            )
        )
    return schemas.SupervisionOut(
        today=result.today,
        horizon=result.horizon,
        departments=[schemas.DepartmentRiskOut(**vars(row)) for row in result.departments],
        cases=listed,
    )


@router.post(
    "/sweep", response_model=schemas.SweepOut, dependencies=[require_roles(Role.MANAGER, Role.ADMIN)]
)
def sweep(session: SessionDep, services: ServicesDep) -> schemas.SweepOut:
    """Applies art. 32 now (submitted cases with no supplement notice after 5 working days are accepted),
    then issues the yellow and red cards the open cases' stages have earned."""
    calendar, today = services.calendars.get(session), services.today()
    count = cases.sweep(session, calendar, services.cipher, today)
    session.commit()
    issued = cards.issue_cards(session, calendar, today)
    session.commit()
    return schemas.SweepOut(auto_accepted=count, cards_issued=len(issued))


# 电子监察 cards and 督办 ---------------------------------------------------------------------------
# GET /supervision/cards: the centre's managers and administrators (all), department heads (their
# department's). POST .../urgings: managers and administrators (a department's own manager: theirs only).
# POST /supervision/urgings/{id}/answer: the head of the urged department.


class RecipientOut(BaseModel):
    addressee: str
    role: str | None
    department: str | None
    person: str | None


class UrgingOut(BaseModel):
    id: int
    case_number: str
    card_id: int | None
    department: str
    instruction: str
    issued_by: str
    issued_on: dt.date
    reply_by: dt.date
    status: str
    answer: str | None
    answered_by: str | None
    answered_on: dt.date | None


class CardOut(BaseModel):
    id: int
    colour: str
    case_number: str
    stage: str
    stage_due_on: dt.date
    department: str
    issued_on: dt.date
    recipients: list[RecipientOut]
    urgings: list[UrgingOut]


class UrgingIn(BaseModel):
    reply_by: dt.date
    instruction: str = Field(min_length=1, max_length=card_rules.MAX_TEXT)
    card_id: int | None = None


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=card_rules.MAX_TEXT)


def _urging_out(urging: Urging, case_number: str, today: dt.date) -> UrgingOut:
    return UrgingOut(
        id=urging.id,
        case_number=case_number,
        card_id=urging.card_id,
        department=urging.department,
        instruction=urging.instruction,
        issued_by=urging.issued_by,
        issued_on=urging.issued_on,
        reply_by=urging.reply_by,
        status=card_rules.urging_status(urging.reply_by, urging.answered_on, today).value,
        answer=urging.answer,
        answered_by=urging.answered_by,
        answered_on=urging.answered_on,
    )


@router.get("/cards", response_model=list[CardOut], dependencies=[require_roles(*SUPERVISORS)])
def list_cards(ctx: ContextDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[CardOut]:
    """The yellow and red cards, newest first, each with who it went to and its 督办."""
    scope = report_scope(ctx.principal)
    return [
        CardOut(
            id=row.card.id,
            colour=row.card.colour,
            case_number=row.case.number,
            stage=row.card.stage,
            stage_due_on=row.card.stage_due_on,
            department=row.card.department,
            issued_on=row.card.issued_on,
            recipients=[RecipientOut(**recipient) for recipient in row.card.recipients],
            urgings=[
                _urging_out(u, row.case.number, ctx.today) for u in row.urgings if u.card_id == row.card.id
            ],
        )
        for row in cards.list_cards(ctx.session, scope, limit=limit)
    ]


@router.post(
    "/cases/{case_id}/urgings",
    status_code=201,
    response_model=UrgingOut,
    dependencies=[require_roles(Role.MANAGER, Role.ADMIN)],
)
def urge(case_id: RowId, body: UrgingIn, ctx: ContextDep) -> UrgingOut:
    """督办: orders the case's department to act and answer by `reply_by` (a working day, 1–10 ahead)."""
    urging = cards.urge(
        ctx.session,
        ctx.calendar,
        ctx.today,
        ctx.principal,
        case_id,
        reply_by=body.reply_by,
        instruction=body.instruction,
        card_id=body.card_id,
    )
    case = ctx.session.get(Case, urging.case_id)
    assert case is not None
    ctx.session.commit()
    return _urging_out(urging, case.number, ctx.today)


@router.post(
    "/urgings/{urging_id}/answer", response_model=UrgingOut, dependencies=[require_roles(*SUPERVISORS)]
)
def answer(urging_id: int, body: AnswerIn, ctx: ContextDep) -> UrgingOut:
    """The urged department's answer, by its head (a manager or approver of that department)."""
    urging = cards.answer(ctx.session, ctx.today, ctx.principal, urging_id, body.answer)
    case = ctx.session.get(Case, urging.case_id)
    assert case is not None
    ctx.session.commit()
    return _urging_out(urging, case.number, ctx.today)
