"""Certificates inside the real case service: its sign-in, its cases, its seal action, its audit chain."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdf
import pytest
from sqlalchemy import select

from case_service.storage.models import AuditEntry
from tests.case_service.conftest import ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration

ISSUE = {"certificate_name": "食品经营许可证", "scope": "热食类食品制售", "valid_until": "2030-09-25"}


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", "", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def _approved_case(api: CaseApi) -> dict[str, Any]:
    case = api.file_case(ITEM_FOOD, name="张三丰")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.conclude_site_visit(case["id"])  # the item needs one before its decision
    api.act(case["id"], "approve", "approver1", reason="符合法定条件")
    return case


def test_make_seal_print_verify_through_the_case_service(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = _approved_case(api)
    number = case["number"]

    made = client.post(f"/api/v1/cases/{number}/certificate", json=ISSUE, headers=api.staff("reviewer1"))
    assert made.status_code == 201, made.text
    certificate = made.json()
    assert certificate["holder"] == "张三丰" and certificate["sealed"] is False
    assert client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "certificate_made"
    )
    kiosk = api.applicant("张三丰")  # the holder, signed in at a kiosk
    refused = client.post(
        f"/api/v1/certificates/{certificate['number']}/prints", json={"station": "kiosk:k1"}, headers=kiosk
    )
    assert refused.status_code == 409

    api.act(case["id"], "seal", "sealer1")

    pdf = client.get(f"/api/v1/certificates/{certificate['number']}/pdf", headers=api.staff("sealer1"))
    assert "尚未加盖印章" not in _text(pdf.content)
    first = client.post(
        f"/api/v1/certificates/{certificate['number']}/prints", json={"station": "kiosk:k1"}, headers=kiosk
    )
    assert first.status_code == 201 and first.json()["kind"] == "original"
    original = client.get(first.json()["pdf_url"], headers=kiosk)
    assert original.status_code == 200 and certificate["number"] in _text(original.content)
    done = client.post(
        f"/api/v1/certificates/{certificate['number']}/prints/{first.json()['id']}/result",
        json={"outcome": "completed"},
        headers=kiosk,
    )
    assert done.status_code == 200
    second = client.post(
        f"/api/v1/certificates/{certificate['number']}/prints", json={"station": "kiosk:k1"}, headers=kiosk
    )
    assert second.json()["kind"] == "copy"

    verdict = client.get("/api/v1/certificates/verify", params={"t": certificate["qr_text"]}).json()
    assert verdict["valid"] is True and verdict["certificate"]["holder"] == "张*丰"

    chain = client.get("/api/v1/audit/verify", headers=api.staff("admin")).json()
    assert chain["ok"] is True
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_type == "certificate").order_by(AuditEntry.seq)
        ).all()
    assert actions == [
        "certificate.issue",
        "certificate.seal",  # the sealer's seal on this certificate
        "certificate.print",
        "certificate.print_result",
        "certificate.print",
    ]


def test_who_may_do_what(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = _approved_case(api)

    anonymous = client.post(f"/api/v1/cases/{case['number']}/certificate", json=ISSUE)
    kiosk = client.post(f"/api/v1/cases/{case['number']}/certificate", json=ISSUE, headers=api.device())
    applicant = client.post(
        f"/api/v1/cases/{case['number']}/certificate", json=ISSUE, headers=api.applicant()
    )

    assert anonymous.status_code == 401
    assert kiosk.status_code == 403
    assert applicant.status_code == 403
    public = client.get("/api/v1/certificates/verify", params={"t": "C1.garbage.x"})
    assert public.status_code == 200 and public.json()["reason"] == "malformed"
