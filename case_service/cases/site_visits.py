"""A case's site visits (domain.site_visit): scheduled by the department's reviewer or approver, which
issues the 现场核查通知书 (kept as of its day, cases.issued), recorded by one of the inspectors with the
photos, each audited in the caller's transaction; and the rule that holds the decision. The case page
(web/site_visit.py) and the API (api/routes/site_visits.py) call these same functions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.cases.context import Context
from case_service.cases.issued import _facts
from case_service.cases.opinions import now, person_name
from case_service.cases.reading import load
from case_service.domain import site_visit
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from case_service.domain.states import CaseState, Role
from case_service.storage import audit
from case_service.storage.models import Case, CaseDocument, CaseSiteVisit, Item, MaterialBlob, User

NOTICE = "site_visit_notice"
STAFF_ROLES = frozenset({Role.REVIEWER, Role.APPROVER})
OPEN_STATES = frozenset({CaseState.ACCEPTED.value, CaseState.IN_REVIEW.value})
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_PHOTO_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Photo:
    filename: str
    content_type: str
    data: bytes


def photo_of(filename: str, content_type: str, data: bytes) -> Photo:
    """A photo taken on site, refused unless a JPEG or PNG of at most MAX_PHOTO_BYTES."""
    if len(data) > MAX_PHOTO_BYTES or content_type not in PHOTO_TYPES:
        raise InvalidInputError(f"现场照片须为不超过10MB的JPEG或PNG图片：{filename}")
    return Photo(filename, content_type, data)


def item_of(session: Session, case: Case) -> Item:
    item = session.get(Item, case.item_id)
    assert item is not None
    return item


def requirement(session: Session, case: Case) -> site_visit.Requirement:
    return site_visit.requirement(item_of(session, case).guide)


def check_points(session: Session, case: Case) -> tuple[str, ...]:
    guide = item_of(session, case).guide or {}
    return site_visit.check_points([str(p) for p in guide.get("review_points", [])])


def visits_of(session: Session, case: Case) -> list[CaseSiteVisit]:
    return list(
        session.scalars(
            select(CaseSiteVisit).where(CaseSiteVisit.case_id == case.id).order_by(CaseSiteVisit.id)
        )
    )


def listed(ctx: Context, case_id: int | str) -> tuple[Case, list[CaseSiteVisit]]:
    """A case in the caller's scope and its visits, oldest first."""
    case = load(ctx, case_id)
    return case, visits_of(ctx.session, case)


def state_of(row: CaseSiteVisit) -> site_visit.VisitState:
    return site_visit.VisitState(
        day=row.visit_on, conclusion=site_visit.Conclusion(row.conclusion) if row.conclusion else None
    )


def findings_of(row: CaseSiteVisit) -> tuple[site_visit.Finding, ...]:
    """The stored findings (written by `record`) read back as the rules' findings."""
    return tuple(
        site_visit.Finding(str(f["point"]), bool(f["met"]), str(f.get("note", ""))) for f in row.findings
    )


def inspectors_available(session: Session, department: str) -> list[User]:
    """The department's reviewers and approvers, who may be sent on a visit."""
    users = session.scalars(
        select(User).where(User.department == department, User.active.is_(True)).order_by(User.username)
    )
    return [u for u in users if set(u.roles) & {r.value for r in STAFF_ROLES}]


def _department_staff(ctx: Context, case: Case) -> None:
    if not (ctx.principal.roles & STAFF_ROLES) or ctx.principal.department != case.department:
        raise ForbiddenError("现场核查由本事项承办部门的审核、审批人员安排")


def schedule(
    ctx: Context, case_id: int | str, *, day: dt.date | None, place: str, inspectors: Sequence[str]
) -> CaseSiteVisit:
    case = load(ctx, case_id, for_update=True)
    _department_staff(ctx, case)
    if case.state not in OPEN_STATES:
        raise ConflictError("办件不在审查中，不能安排现场核查", details={"state": case.state})
    rows = visits_of(ctx.session, case)
    site_visit.may_schedule([state_of(r) for r in rows])
    chosen = site_visit.plan(day, place, inspectors, today=ctx.today)
    allowed = {u.username: u for u in inspectors_available(ctx.session, case.department)}
    strangers = [name for name in chosen.inspectors if name not in allowed]
    if strangers:
        raise ConflictError(f"检查人员不属于承办部门: {'、'.join(strangers)}")
    named = [{"username": n, "name": allowed[n].display_name or n} for n in chosen.inspectors]
    row = CaseSiteVisit(
        case_id=case.id,
        visit_on=chosen.day,
        place=chosen.place,
        inspectors=named,
        scheduled_by=ctx.principal.subject,
        scheduled_at=now(),
        findings=[],
        photos=[],
        summary="",
    )
    ctx.session.add(row)
    ctx.session.flush()
    after = {
        "visit": row.id,
        "visit_on": chosen.day.isoformat(),
        "place": chosen.place,
        "inspectors": named,
        "state": case.state,
    }
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.site_visit_schedule",
        subject_type="case",
        subject_id=case.id,
        after=after,
    )
    # The notice of its moment: what it says is kept as of today (cases.issued).
    ctx.session.add(
        CaseDocument(
            case_id=case.id,
            kind=NOTICE,
            number=case.number,
            issued_on=ctx.today,
            content={"case": _facts(case), "extra": {**after, "department": case.department}},
            issued_by=ctx.principal.actor,
        )
    )
    ctx.session.flush()
    return row


def load_visit(ctx: Context, case_id: int | str, visit_id: int) -> tuple[Case, CaseSiteVisit]:
    case = load(ctx, case_id)
    row = ctx.session.get(CaseSiteVisit, visit_id)
    if row is None or row.case_id != case.id:
        raise NotFoundError(f"no site visit {visit_id}")
    return case, row


def record(
    ctx: Context,
    case_id: int | str,
    visit_id: int,
    *,
    answers: Mapping[str, tuple[bool | None, str]],
    conclusion: site_visit.Conclusion | None,
    summary: str,
    photos: Sequence[Photo] = (),
) -> CaseSiteVisit:
    case, row = load_visit(ctx, case_id, visit_id)
    names = [str(i["username"]) for i in row.inspectors]
    site_visit.may_record(state_of(row), names, ctx.principal.subject, today=ctx.today)
    result = site_visit.outcome(check_points(ctx.session, case), answers, conclusion, summary)
    kept = []
    for photo in photos:
        digest = hashlib.sha256(photo.data).hexdigest()
        if ctx.session.get(MaterialBlob, digest) is None:
            blob = MaterialBlob(
                sha256=digest, content_type=photo.content_type, size=len(photo.data), data=photo.data
            )
            ctx.session.add(blob)
            ctx.session.flush()
        kept.append({"sha256": digest, "filename": photo.filename[:200], "content_type": photo.content_type})
    row.findings = [{"point": f.point, "met": f.met, "note": f.note} for f in result.findings]
    row.photos = kept
    row.conclusion = result.conclusion.value
    row.summary = result.summary
    row.recorded_by = ctx.principal.subject
    row.recorded_at = now()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.site_visit_record",
        subject_type="case",
        subject_id=case.id,
        after={
            "visit": row.id,
            "conclusion": row.conclusion,
            "findings": row.findings,
            "summary": row.summary,
            "photos": [p["sha256"] for p in kept],
            "recorder_name": person_name(ctx.session, ctx.principal.subject),
            "state": case.state,
        },
    )
    ctx.session.flush()
    return row


def photo(ctx: Context, case_id: int, visit_id: int, index: int) -> tuple[str, bytes]:
    _case, row = load_visit(ctx, case_id, visit_id)
    if not 0 <= index < len(row.photos):
        raise NotFoundError("no such photo")
    blob = ctx.session.get(MaterialBlob, row.photos[index]["sha256"])
    if blob is None:
        raise NotFoundError("no such photo")
    return blob.content_type, blob.data


def notice_of(session: Session, row: CaseSiteVisit) -> CaseDocument | None:
    documents = session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == row.case_id, CaseDocument.kind == NOTICE)
    )
    return next((d for d in documents if d.content.get("extra", {}).get("visit") == row.id), None)
