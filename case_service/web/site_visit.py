"""现场核查 on the case page: the department schedules the visit (day, place, two or more inspectors) and
the applicant's 现场核查通知书 is issued; an inspector records each check point, the photos and the
conclusion; both documents print as PDF. Thin: the rules are domain.site_visit, the records
cases.site_visits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import service as cases
from case_service.cases import site_visits
from case_service.cases.issued import _china_day
from case_service.documents.site_visit import VisitNotice, VisitRecord, render_notice, render_record
from case_service.domain import site_visit
from case_service.domain.errors import DomainError, InvalidInputError, NotFoundError
from case_service.storage import audit
from case_service.storage.models import Case
from case_service.web import flash
from case_service.web.cases import _back, _say
from case_service.web.routes import _context, sign_in_then

router = APIRouter(prefix="/web/case", include_in_schema=False)
MET = {"yes": True, "no": False}
NOT_FOUND = "没有找到该现场核查，或该办件不在您的办理范围内"


@router.post("/{case_id}/site-visit", response_model=None)
def schedule(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    visit_on: Annotated[str, Form(max_length=10)] = "",
    place: Annotated[str, Form(max_length=200)] = "",
    inspector: Annotated[list[str] | None, Form(max_length=64)] = None,
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    kept = {"visit_on": visit_on, "place": place}
    try:
        try:
            day = dt.date.fromisoformat(visit_on) if visit_on else None
        except ValueError as err:
            raise InvalidInputError("现场核查日期格式不正确") from err
        row = site_visits.schedule(ctx, case_id, day=day, place=place, inspectors=inspector or [])
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept=kept)
    session.commit()
    return _back(case_id, message=f"已安排现场核查（{row.visit_on.isoformat()}），现场核查通知书已出具")


@router.post("/{case_id}/site-visit/{visit_id}/record", response_model=None)
async def record(
    *,
    request: Request,
    case_id: int,
    visit_id: int,
    session: SessionDep,
    services: ServicesDep,
    conclusion: Annotated[str, Form(max_length=16)] = "",
    summary: Annotated[str, Form(max_length=2000)] = "",
    point: Annotated[list[str] | None, Form(max_length=500)] = None,
    met: Annotated[list[str] | None, Form(max_length=8)] = None,
    note: Annotated[list[str] | None, Form(max_length=500)] = None,
    photo: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    points, mets, notes = point or [], met or [], note or []
    kept = {"visit_summary": summary, "visit_conclusion": conclusion}
    kept |= {f"vmet.{i}": v for i, v in enumerate(mets)} | {f"vnote.{i}": v for i, v in enumerate(notes)}
    try:
        if len(points) != len(mets) or len(points) != len(notes):
            raise InvalidInputError("核查点的表单不完整，请刷新页面后重新填写")
        photos = []
        for upload in photo or []:
            if not upload.filename:
                continue
            data = await upload.read(site_visits.MAX_PHOTO_BYTES + 1)
            photos.append(site_visits.photo_of(upload.filename, upload.content_type or "", data))
        try:
            chosen = site_visit.Conclusion(conclusion) if conclusion else None
        except ValueError as err:
            raise InvalidInputError("请选择核查结论") from err
        answers = {p: (MET.get(m), n) for p, m, n in zip(points, mets, notes, strict=True)}
        row = site_visits.record(
            ctx, case_id, visit_id, answers=answers, conclusion=chosen, summary=summary, photos=photos
        )
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept=kept)
    session.commit()
    label = site_visit.CONCLUSION_LABELS[site_visit.Conclusion(row.conclusion or "")]
    return _back(case_id, message=f"现场核查记录已保存：{label}")


def _pdf(request: Request, ctx: cases.Context, case: Case, document: str, pdf: bytes) -> Response:
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="document.read",
        subject_type="case",
        subject_id=case.id,
        after={"document": document, "bytes": len(pdf)},
    )
    ctx.session.commit()
    name = f"{case.number}-{document.replace('_', '-')}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.get("/{case_id}/site-visit/{visit_id}/notice.pdf", response_model=None)
def notice_pdf(
    *, request: Request, case_id: int, visit_id: int, session: SessionDep, services: ServicesDep
) -> Response:
    """现场核查通知书 as issued on its day (the facts kept then, not today's)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        case, row = site_visits.load_visit(ctx, case_id, visit_id)
        document = site_visits.notice_of(session, row)
        if document is None:
            raise NotFoundError("no notice")
        facts, extra = document.content["case"], document.content["extra"]
        pdf = render_notice(
            VisitNotice(
                authority=services.settings.case.authority,
                department=str(extra.get("department", "")),
                case_number=str(facts["number"]),
                applicant=case.applicant_name,
                item_name=str(facts["item_name"]),
                visit_on=dt.date.fromisoformat(extra["visit_on"]),
                place=str(extra["place"]),
                inspectors=tuple(str(i["name"]) for i in extra["inspectors"]),
                issued_on=document.issued_on,
            )
        )
    except DomainError:
        session.rollback()
        return flash.page(request, "message.html", ctx, text=NOT_FOUND)
    return _pdf(request, ctx, case, "site_visit_notice", pdf)


@router.get("/{case_id}/site-visit/{visit_id}/record.pdf", response_model=None)
def record_pdf(
    *, request: Request, case_id: int, visit_id: int, session: SessionDep, services: ServicesDep
) -> Response:
    """现场核查记录: each check point's finding, the photos, the conclusion and who recorded it."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        case, row = site_visits.load_visit(ctx, case_id, visit_id)
        recorder = next((i["name"] for i in row.inspectors if i["username"] == row.recorded_by), "")
        pdf = render_record(
            VisitRecord(
                authority=services.settings.case.authority,
                department=case.department,
                case_number=case.number,
                applicant=case.applicant_name,
                item_name=case.item_name,
                visit_on=row.visit_on,
                place=row.place,
                inspectors=tuple(f"{i['name']}（{i['username']}）" for i in row.inspectors),
                findings=site_visits.findings_of(row),
                photos=tuple(str(p["filename"]) for p in row.photos),
                conclusion=site_visits.state_of(row).conclusion,
                summary=row.summary,
                recorder=str(recorder),
                recorded_on=dt.date.fromisoformat(_china_day(row.recorded_at)) if row.recorded_at else None,
            )
        )
    except DomainError:
        session.rollback()
        return flash.page(request, "message.html", ctx, text=NOT_FOUND)
    return _pdf(request, ctx, case, "site_visit_record", pdf)


@router.get("/{case_id}/site-visit/{visit_id}/photo/{index}", response_model=None)
def photo(
    *, request: Request, case_id: int, visit_id: int, index: int, session: SessionDep, services: ServicesDep
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        media, data = site_visits.photo(ctx, case_id, visit_id, index)
    except DomainError:
        session.rollback()
        return Response(status_code=404)
    return Response(data, media_type=media)
