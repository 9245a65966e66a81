"""The higher authority's result on a forwarded case (审核转报), recorded from the case page: its document
(PDF, JPEG or PNG), its outcome and its date, in one form. The upload and the record_result action are
one transaction: a refused result leaves neither the file nor a changed case behind.

The form is the partial case/_higher_result.html, shown on the case page to whoever may record it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import service as cases
from case_service.cases.materials import RESULT_MATERIAL
from case_service.domain.errors import DomainError, ForbiddenError, InvalidInputError, NotFoundError
from case_service.domain.filenames import safe_filename
from case_service.domain.flows import Flow
from case_service.domain.states import ACTION_ROLES, Action, CaseState
from case_service.domain.transitions import OUTCOMES
from case_service.storage.models import Case
from case_service.web import flash
from case_service.web.routes import _context, sign_in_then

router = APIRouter(prefix="/web/case", include_in_schema=False)

OUTCOME_LABELS = {"approved": "准予(同意)", "denied": "不予(不同意)"}
assert set(OUTCOME_LABELS) == set(OUTCOMES)


def form_of(ctx: cases.Context, case: Case) -> dict[str, Any] | None:
    """What the case page's partial needs, or None when this person may not record a result now."""
    if case.flow != Flow.FORWARDING or case.state != CaseState.FORWARDED:
        return None
    if not ACTION_ROLES[Action.RECORD_RESULT] & ctx.principal.roles:
        return None
    forwarding = case.forwarding or {}
    return {
        "action": f"/web/case/{case.id}/higher-result",
        "authority": forwarding.get("authority", ""),
        "forwarded_on": forwarding.get("forwarded_on", ""),
        "today": ctx.today.isoformat(),
        "outcomes": OUTCOME_LABELS,
    }


def _words(err: DomainError) -> str:
    """The refusal in the clerk's words (this form's own checks and the date's rules speak Chinese)."""
    if isinstance(err, InvalidInputError):
        return err.message
    if isinstance(err, (ForbiddenError, NotFoundError)):
        return "没有找到该办件，或该办件不在您的办理范围内"
    return "办件当前状态不能登记上级机关办理结果，请刷新页面后再办理"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as err:
        raise InvalidInputError("请填写上级机关办理结果文书上的日期(年-月-日)") from err


@dataclass(frozen=True)
class _Filled:
    case_id: int
    outcome: str
    result_on: str
    summary: str
    filename: str
    data: bytes

    @property
    def typed(self) -> dict[str, str]:
        """What goes back into the refused form (the file is chosen again)."""
        return {"outcome": self.outcome, "result_on": self.result_on, "summary": self.summary}


@router.post("/{case_id}/higher-result", response_model=None)
async def record_higher_result(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    document: Annotated[UploadFile | None, File()] = None,
    outcome: Annotated[str, Form(max_length=16)] = "",
    result_on: Annotated[str, Form(max_length=10)] = "",
    summary: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Reads the file here, then records in a worker thread (the database calls block)."""
    limit = services.settings.case.max_upload_bytes
    data = await document.read(limit + 1) if document is not None and document.filename else b""
    name = document.filename if document is not None else None
    filled = _Filled(case_id, outcome, result_on, summary, safe_filename(name), data)
    return await run_in_threadpool(_record, request, session, services, filled)


def _record(request: Request, session: SessionDep, services: ServicesDep, filled: _Filled) -> Response:
    ctx = _context(request, session, services)
    page = f"/web/case/{filled.case_id}"
    if ctx is None:
        return sign_in_then(page)
    limit = services.settings.case.max_upload_bytes
    try:
        if filled.outcome not in OUTCOMES:
            raise InvalidInputError("请选择上级机关的办理结果(准予或不予)")
        dated = _date(filled.result_on)
        if not filled.data:
            raise InvalidInputError("请选择上级机关办理结果文书的扫描件(PDF、JPG 或 PNG)")
        if len(filled.data) > limit:
            raise InvalidInputError(f"文件超过 {limit // (1024 * 1024)} MB，请压缩后重新上传")
        content_type = cases.sniff_type(filled.data)
        if content_type is None:
            raise InvalidInputError("只接受 PDF、JPG 或 PNG 文件")
        case = cases.load(ctx, filled.case_id, for_update=True)
        if form_of(ctx, case) is None:
            raise InvalidInputError("该办件当前不在等待上级机关办理结果，或您无权登记")
        cases.add_material(
            ctx,
            case,
            name=RESULT_MATERIAL,
            filename=filled.filename,
            content_type=content_type,
            data=filled.data,
        )
        summary = filled.summary.strip() or None
        data_in = cases.ActionInput(outcome=filled.outcome, reason=summary, result_on=dated)
        cases.act(ctx, filled.case_id, Action.RECORD_RESULT, data_in)
    except DomainError as err:
        session.rollback()
        return flash.redirect(page, error=_words(err), kept=filled.typed)
    session.commit()
    said = OUTCOME_LABELS[filled.outcome]
    return flash.redirect(page, message=f"已登记上级机关办理结果({said})，办件现可出件")
