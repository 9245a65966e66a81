"""电子监察 and the deadline sweep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from case_service.api import schemas
from case_service.api.deps import ContextDep, ServicesDep, SessionDep, require_roles
from case_service.cases import cards, supervision
from case_service.cases import service as cases
from case_service.domain import deadlines
from case_service.domain.states import Role

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
