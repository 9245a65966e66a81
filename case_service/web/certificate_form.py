"""制作证照 on the case page: a form filled from the case and the item's certificate template (holder,
scope, validity; the number comes with the issue), a preview of it, and confirming makes the certificate
(the case moves to certificate_made with it). Thin: cases.result_certificate and certificates.making."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases import result_certificate
from case_service.cases import service as cases
from case_service.certificates import making
from case_service.domain.errors import DomainError, InvalidInputError
from case_service.domain.states import Role
from case_service.storage.models import Case
from case_service.web.cases import _back, _say
from case_service.web.review_panel import MAKING_STATES
from case_service.web.routes import _context, sign_in_then

router = APIRouter(prefix="/web/case", include_in_schema=False)


def _chosen(
    ctx: cases.Context, case: Case, hall_authority: str, *, name: str, scope: str, valid_until: str
) -> making.Draft:
    draft = result_certificate.draft_of(ctx, case, hall_authority)
    if not name.strip() or not scope.strip():
        raise InvalidInputError("请填写证照名称和许可范围")
    until: dt.date | None = None
    if valid_until.strip():
        try:
            until = dt.date.fromisoformat(valid_until.strip())
        except ValueError as err:
            raise InvalidInputError("有效期至应为日期，如 2030-10-08；长期有效的留空") from err
        if until <= draft.valid_from:
            raise InvalidInputError("有效期至应在发证日期之后")
    return replace(draft, certificate_name=name.strip(), scope=scope.strip(), valid_until=until)


@router.get("/{case_id}/certificate/preview.pdf", response_model=None)
def preview(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    certificate_name: Annotated[str, Query(max_length=100)] = "",
    scope: Annotated[str, Query(max_length=2000)] = "",
    valid_until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The certificate as the form would make it: unsealed, numberless, marked as a preview."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        case = cases.load(ctx, case_id)
        if Role.REVIEWER not in ctx.principal.roles or case.state not in MAKING_STATES:
            raise InvalidInputError("只有待制证的办件可以预览证照")
        authority = services.settings.case.authority
        chosen = _chosen(ctx, case, authority, name=certificate_name, scope=scope, valid_until=valid_until)
        pdf = result_certificate.preview(ctx, case, chosen)
    except DomainError as err:
        session.rollback()
        return Response(_say(err), status_code=409, media_type="text/plain; charset=utf-8")
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


@router.post("/{case_id}/certificate", response_model=None)
def make(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    certificate_name: Annotated[str, Form(max_length=100)] = "",
    scope: Annotated[str, Form(max_length=2000)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    kept = {"certificate_name": certificate_name, "scope": scope, "valid_until": valid_until}
    try:
        case = cases.load(ctx, case_id)
        certificates = request.app.state.certificates
        chosen = _chosen(
            ctx,
            case,
            certificates.authority,
            name=certificate_name,
            scope=scope,
            valid_until=valid_until,
        )
        case, record = result_certificate.make(ctx, certificates, case_id, chosen)
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept=kept)
    session.commit()
    return _back(case.id, message=f"证照已制作：{record.certificate_name} {record.number}，等待加盖印章")
