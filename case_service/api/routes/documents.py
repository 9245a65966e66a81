"""Notices and decisions of a case as PDFs; every access is written to the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from case_service.api.deps import ContextDep, ServicesDep
from case_service.cases import notices
from case_service.cases import service as cases
from case_service.documents.notices import NoticeError, render_notice
from case_service.domain.errors import ConflictError
from case_service.storage import audit

router = APIRouter(tags=["documents"])


@router.get(
    "/cases/{case_id}/documents/{kind}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "the case has not reached it"},
    },
)
def notice_pdf(
    case_id: Annotated[str, Path(min_length=1, max_length=32, description="numeric id or case number")],
    kind: notices.NoticeKind,
    ctx: ContextDep,
    services: ServicesDep,
) -> Response:
    """受理通知书 (acceptance), 不予受理通知书 (non_acceptance), 补正材料一次性告知书 (supplement),
    准予/不予行政许可决定书 (decision, licences only), 送达回证 (service_receipt), 备案回执 or 办结回执
    (registration: a case registered on the spot)."""
    case = cases.load(ctx, case_id)
    notice = notices.build(
        kind, case, settings=services.settings.case, calendar=ctx.calendar, today=ctx.today
    )
    try:
        pdf = render_notice(notice)
    except NoticeError as err:
        raise ConflictError(f"the {kind.value} notice cannot be made: {err}") from err
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="document.read",
        subject_type="case",
        subject_id=case.id,
        after={"document": kind.value, "number": notice.number, "bytes": len(pdf)},
    )
    ctx.session.commit()
    filename = f"{case.number}-{kind.value}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
