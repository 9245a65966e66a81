"""审管分离: the feed of approval results for the supervising departments (its export), and a supervising
department's revocation coming back, signed with its secret (no bearer token: the signature is its
credential)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from case_service.api.deps import SessionDep, require_roles, services_of
from case_service.cases import supervision_feed
from case_service.certificates import service as certificates
from case_service.certificates.service import Actor, CertificateError
from case_service.domain.errors import ConflictError, PayloadTooLargeError
from case_service.domain.states import Role
from case_service.domain.supervision_feed import SIGNATURE_HEADER

router = APIRouter(prefix="/supervision", tags=["supervision"])
MAX_REVOCATION_BYTES = 8 * 1024


@router.get(
    "/feed",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSON lines"}},
    dependencies=[require_roles(Role.MANAGER, Role.ADMIN)],
)
def export_feed(
    session: SessionDep,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Every approval result pushed (or waiting) for the supervising departments between two days
    (China time, both included), one JSON object a line, with its delivery state. Managers and admins."""
    lines = "".join(supervision_feed.export(session, start, end, department))
    name = f"supervision-feed-{start}-{end}.jsonl"
    return Response(
        lines,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/revocations", status_code=200, responses={401: {"description": "not signed by the department"}}
)
async def receive_revocation(
    request: Request,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=200)] = None,
) -> dict[str, str]:
    """A supervising department revokes a certificate of an item it supervises: the JSON body
    `{"department", "certificate_number", "reason"}` signed with the department's secret
    (`X-Hall-Signature: sha256=<HMAC-SHA256 hex of the body>`). The certificate answers `revoked` at
    verification from then on; audited as the department."""
    data = await request.body()  # the exact bytes signed
    if len(data) > MAX_REVOCATION_BYTES:
        raise PayloadTooLargeError("revocation too large")
    return await run_in_threadpool(_revoke, request, data, signature)


def _revoke(request: Request, data: bytes, signature: str | None) -> dict[str, str]:
    services = services_of(request)
    revocation = supervision_feed.read_revocation(services.settings.case.supervision_feeds, data, signature)
    with services.sessions() as session:
        record = supervision_feed.check_supervises(session, revocation)
        supervision_feed.audit_inbound(session, revocation)
        try:
            certificates.revoke(
                session,
                request.app.state.certificates,
                record.number,
                reason=revocation.reason,
                actor=Actor(f"supervision:{revocation.department}"),
                by_supervisor=True,
            )
        except CertificateError as err:
            raise ConflictError(err.message) from err
        session.commit()
        return {"certificate_number": record.number, "status": "revoked"}
