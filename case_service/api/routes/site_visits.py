"""现场核查 over HTTP: the case page's site-visit forms (web/site_visit.py) as REST, through the same
functions (cases.site_visits) and so the same rules and audit entries.

- GET  /cases/{id}/site-visits: the visits of a case in the caller's scope, whether the item needs one and
  what holds the decision back — hall staff.
- POST /cases/{id}/site-visits: schedule the visit, or the re-inspection after 整改后复查 (rectify); issues
  the 现场核查通知书 — a reviewer or approver of the case's department. Requires `Idempotency-Key`.
- POST /cases/{id}/site-visits/{visit_id}/record: each check point's finding, the photos and the
  conclusion (pass, fail, or rectify with what to rectify in `summary`) — one of the visit's inspectors,
  once, not before the visit's day.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import Base64Bytes, BaseModel, Field

from case_service.api import idempotency
from case_service.api.deps import ContextDep, IdempotencyKey, RowId, require_roles, require_staff
from case_service.api.openapi import REQUIRES_KEY
from case_service.api.presenters import json_response
from case_service.api.routes.cases import CaseRef
from case_service.cases import site_visits
from case_service.cases.context import Context
from case_service.domain import site_visit
from case_service.domain.states import Role
from case_service.storage.models import Case, CaseSiteVisit

router = APIRouter(prefix="/cases", tags=["site visits"])
DEPARTMENT_STAFF = (Role.REVIEWER, Role.APPROVER)


class Inspector(BaseModel):
    username: str
    name: str


class FindingIn(BaseModel):
    point: str = Field(min_length=1, max_length=500, description="a check point, as the visit lists them")
    met: bool
    note: str = Field(default="", max_length=500, description="required where the point is not met")


class FindingOut(BaseModel):
    point: str
    met: bool
    note: str


class PhotoIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_type: Literal["image/jpeg", "image/png"]
    data: Base64Bytes = Field(description="the image, base64; at most 10 MB once decoded")


class PhotoOut(BaseModel):
    filename: str
    content_type: str


class ScheduleIn(BaseModel):
    visit_on: dt.date = Field(description="today or later")
    place: str = Field(min_length=1, max_length=200)
    inspectors: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=site_visit.MIN_INSPECTORS,
        max_length=20,
        description="usernames of two or more reviewers or approvers of the case's department",
    )


class RecordIn(BaseModel):
    findings: list[FindingIn] = Field(max_length=100, description="one per check point of the visit")
    conclusion: site_visit.Conclusion
    summary: str = Field(default="", max_length=2000, description="required with rectify: what to rectify")
    photos: list[PhotoIn] = Field(default=[], max_length=20)


class SiteVisitOut(BaseModel):
    id: int
    case_id: int
    visit_on: dt.date
    place: str
    inspectors: list[Inspector]
    scheduled_by: str
    scheduled_at: dt.datetime
    check_points: list[str]
    findings: list[FindingOut]
    photos: list[PhotoOut]
    conclusion: site_visit.Conclusion | None
    conclusion_label: str | None
    summary: str
    recorded_by: str | None
    recorded_at: dt.datetime | None


class SiteVisitsOut(BaseModel):
    case_id: int
    required: bool
    unverified: bool = Field(description="the department has not confirmed whether the item needs a visit")
    blocking: str | None = Field(description="why the decision waits for the visit, or null")
    visits: list[SiteVisitOut]


def _out(row: CaseSiteVisit, points: tuple[str, ...]) -> SiteVisitOut:
    conclusion = site_visits.state_of(row).conclusion
    return SiteVisitOut(
        id=row.id,
        case_id=row.case_id,
        visit_on=row.visit_on,
        place=row.place,
        inspectors=[Inspector(username=str(i["username"]), name=str(i["name"])) for i in row.inspectors],
        scheduled_by=row.scheduled_by,
        scheduled_at=row.scheduled_at,
        check_points=list(points),
        findings=[FindingOut(point=f.point, met=f.met, note=f.note) for f in site_visits.findings_of(row)],
        photos=[
            PhotoOut(filename=str(p["filename"]), content_type=str(p["content_type"])) for p in row.photos
        ],
        conclusion=conclusion,
        conclusion_label=site_visit.CONCLUSION_LABELS[conclusion] if conclusion else None,
        summary=row.summary,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


def _visits(ctx: Context, case: Case, rows: list[CaseSiteVisit]) -> SiteVisitsOut:
    required = site_visits.requirement(ctx.session, case)
    points = site_visits.check_points(ctx.session, case)
    return SiteVisitsOut(
        case_id=case.id,
        required=required.required,
        unverified=required.unverified,
        blocking=site_visit.blocking(required, [site_visits.state_of(r) for r in rows]),
        visits=[_out(row, points) for row in rows],
    )


@router.get("/{case_id}/site-visits", response_model=SiteVisitsOut, dependencies=[Depends(require_staff)])
def list_site_visits(case_id: CaseRef, ctx: ContextDep) -> Response:
    """The case's site visits, oldest first, with its check points and what holds the decision back."""
    case, rows = site_visits.listed(ctx, case_id)
    return json_response(_visits(ctx, case, rows))


@router.post(
    "/{case_id}/site-visits",
    status_code=201,
    response_model=SiteVisitOut,
    openapi_extra=REQUIRES_KEY,
    dependencies=[require_roles(*DEPARTMENT_STAFF)],
)
def schedule_site_visit(
    case_id: CaseRef, body: ScheduleIn, ctx: ContextDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """Schedules the visit — the first, or the re-inspection after 整改后复查 — and issues the applicant's
    现场核查通知书. 409 while a visit is open or once one concluded pass or fail."""

    def produce() -> SiteVisitOut:
        row = site_visits.schedule(
            ctx, case_id, day=body.visit_on, place=body.place, inspectors=body.inspectors
        )
        case = ctx.session.get(Case, row.case_id)
        assert case is not None
        return _out(row, site_visits.check_points(ctx.session, case))

    return idempotency.run(
        ctx.session,
        scope=ctx.principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST site visit", case_id, body.model_dump(mode="json")),
        produce=produce,
    )


@router.post(
    "/{case_id}/site-visits/{visit_id}/record",
    response_model=SiteVisitOut,
    dependencies=[require_roles(*DEPARTMENT_STAFF)],
)
def record_site_visit(case_id: CaseRef, visit_id: RowId, body: RecordIn, ctx: ContextDep) -> Response:
    """Records the visit, once: every check point met or not (a note where not), the photos, and the
    conclusion — pass only when every point is met; fail, or rectify (say what in `summary`; a
    re-inspection is then scheduled with POST /site-visits). 409 for anyone but its inspectors."""
    answers: dict[str, tuple[bool | None, str]] = {f.point: (f.met, f.note) for f in body.findings}
    photos = [site_visits.photo_of(p.filename, p.content_type, p.data) for p in body.photos]
    row = site_visits.record(
        ctx,
        case_id,
        visit_id,
        answers=answers,
        conclusion=body.conclusion,
        summary=body.summary,
        photos=photos,
    )
    case = ctx.session.get(Case, row.case_id)
    assert case is not None
    out = _out(row, site_visits.check_points(ctx.session, case))
    ctx.session.commit()
    return json_response(out)
