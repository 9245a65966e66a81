"""Certificate routes on a real database (SQLite and PostgreSQL): make, seal, print once, verify, revoke."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient

from case_service.certificates.models import CertificatePrint
from case_service.certificates.print_rules import ABANDONED_AFTER
from case_service.certificates.service import CaseFacts, CertificateContext, verify_scan
from hall.privacy import PiiCipher
from hall.signing import Ed25519Signer, Verifier, verifiers_from_published
from tests.case_service.certificates.conftest import HOLDER_ID, AuditLog, FakeCases
from tests.case_service.certificates.qr_decode import decode_qr_texts, pdf_to_png

pytestmark = pytest.mark.integration

ISSUE = {"certificate_name": "食品经营许可证", "scope": "热食类食品制售", "valid_until": "2031-11-20"}


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", "", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def _path(url: object) -> str:
    """The routes say where a PDF is with the full path; the client already points at /api/v1."""
    path = str(url)
    assert path.startswith("/api/v1/certificates/")
    return path.removeprefix("/api/v1")


def _make(client: TestClient, cases: FakeCases, case: str = "XD2026-000001") -> dict[str, object]:
    cases.add(case)
    response = client.post(f"/cases/{case}/certificate", json=ISSUE)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _print(client: TestClient, number: object, station: str = "kiosk-01") -> dict[str, object]:
    response = client.post(f"/certificates/{number}/prints", json={"station": station})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_seal_appears_only_once_the_case_is_sealed(certificate_app: TestClient, cases: FakeCases) -> None:
    made = _make(certificate_app, cases)
    number = made["number"]
    assert made["sealed"] is False
    assert (
        certificate_app.post(f"/certificates/{number}/prints", json={"station": "kiosk-01"}).status_code
        == 409
    )
    unsealed = certificate_app.get(f"/certificates/{number}/pdf")
    assert "尚未加盖印章" in _text(unsealed.content)

    cases.move("XD2026-000001", "sealed")

    sealed = certificate_app.get(f"/certificates/{number}/pdf")
    assert sealed.headers["content-type"] == "application/pdf"
    assert "尚未加盖印章" not in _text(sealed.content)
    assert certificate_app.get(f"/certificates/{number}").json()["sealed"] is True


def test_print_once_then_marked_copies_all_audited(
    certificate_app: TestClient, cases: FakeCases, audit: AuditLog
) -> None:
    number = _make(certificate_app, cases)["number"]
    cases.move("XD2026-000001", "sealed")

    first = _print(certificate_app, number)
    assert first["kind"] == "original"
    # A second kiosk cannot take the original while the first is printing it.
    assert (
        certificate_app.post(f"/certificates/{number}/prints", json={"station": "kiosk-02"}).status_code
        == 409
    )
    failed = certificate_app.post(
        f"/certificates/{number}/prints/{first['id']}/result",
        json={"outcome": "failed", "reason": "media-empty"},
    )
    assert failed.json()["status"] == "failed"
    state = certificate_app.get(f"/certificates/{number}").json()
    assert state["print_state"] == "not_printed"
    assert [way["way"] for way in state["alternatives"]] == ["another_kiosk", "locker", "window"]

    retry = _print(certificate_app, number, "kiosk-02")
    assert retry["kind"] == "original"
    original_pdf = certificate_app.get(_path(retry["pdf_url"])).content
    assert "副本" not in _text(original_pdf)
    done = certificate_app.post(
        f"/certificates/{number}/prints/{retry['id']}/result", json={"outcome": "completed"}
    )
    assert done.status_code == 200
    assert (
        certificate_app.post(
            f"/certificates/{number}/prints/{retry['id']}/result", json={"outcome": "failed"}
        ).status_code
        == 409
    )

    copy = _print(certificate_app, number)
    assert copy["kind"] == "copy"
    assert "副本" in _text(certificate_app.get(_path(copy["pdf_url"])).content)
    prints = certificate_app.get(f"/certificates/{number}/prints").json()
    assert [(p["sequence"], p["kind"], p["status"], p["station"]) for p in prints] == [
        (1, "original", "failed", "kiosk-01"),
        (2, "original", "completed", "kiosk-02"),
        (3, "copy", "requested", "kiosk-01"),
    ]
    assert certificate_app.get(f"/certificates/{number}").json()["alternatives"] == []
    trail = [(e["action"], e["actor"]) for e in audit.entries if e["subject"] == number]
    assert trail == [
        ("certificate.issue", "staff:sealer-li"),
        ("certificate.print", "device:kiosk-01"),
        ("certificate.print_result", "device:kiosk-01"),
        ("certificate.print", "device:kiosk-01"),
        ("certificate.print_result", "device:kiosk-01"),
        ("certificate.print", "device:kiosk-01"),
    ]


def test_scanned_qr_verifies_online_then_revoked_then_superseded(
    certificate_app: TestClient, cases: FakeCases, tmp_path: Path
) -> None:
    made = _make(certificate_app, cases)
    cases.move("XD2026-000001", "sealed")
    pdf = certificate_app.get(f"/certificates/{made['number']}/pdf").content
    scanned = decode_qr_texts(pdf_to_png(pdf, tmp_path, "certificate"))
    assert scanned == [made["qr_text"]]

    verdict = certificate_app.get("/certificates/verify", params={"t": scanned[0]}).json()
    assert verdict["valid"] is True
    assert verdict["certificate"]["holder"] == "张*丰"

    renewed = certificate_app.post(
        f"/certificates/{made['number']}/reissue",
        json={**ISSUE, "scope": "热食类、冷食类食品制售", "reason": "范围更正"},
    )
    assert renewed.status_code == 201, renewed.text
    old = certificate_app.get("/certificates/verify", params={"t": scanned[0]}).json()
    assert (old["valid"], old["reason"], old["superseded_by"]) == (
        False,
        "superseded",
        renewed.json()["number"],
    )

    new_token = renewed.json()["qr_text"]
    assert certificate_app.get("/certificates/verify", params={"t": new_token}).json()["valid"] is True
    revoked = certificate_app.post(
        f"/certificates/{renewed.json()['number']}/revoke", json={"reason": "以欺骗手段取得"}
    )
    assert revoked.json()["status"] == "revoked"
    after = certificate_app.get("/certificates/verify", params={"t": new_token}).json()
    assert (after["valid"], after["reason"]) == (False, "revoked")
    assert "以欺骗手段取得" in after["detail"]


def test_holder_id_number_is_encrypted_at_rest_and_masked_on_paper(
    certificate_app: TestClient, cases: FakeCases
) -> None:
    made = _make(certificate_app, cases)
    text = _text(certificate_app.get(f"/certificates/{made['number']}/pdf").content)

    assert HOLDER_ID not in text
    assert "110***********1234" in text
    assert HOLDER_ID not in str(made)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/cases/NOPE/certificate", ISSUE, 404),
        ("post", "/cases/XD2026-000001/certificate", {"certificate_name": "证"}, 422),  # no scope
        ("post", "/cases/XD2026-000001/certificate", {**ISSUE, "valid_until": "not a date"}, 422),
        ("post", "/cases/XD2026-000001/certificate", {**ISSUE, "valid_until": "2020-01-01"}, 422),
        ("post", "/cases/XD2026-000001/certificate", {**ISSUE, "extra": 1}, 422),
        ("get", "/certificates/NOPE", None, 404),
        ("post", "/certificates/NOPE/revoke", {"reason": "x"}, 404),
        ("post", "/certificates/NOPE/revoke", {"reason": ""}, 422),
        ("post", "/certificates/NOPE/prints", {"station": "../etc"}, 422),
        ("post", "/certificates/NOPE/prints/abc/result", {"outcome": "completed"}, 422),
        ("post", "/certificates/NOPE/prints/1/result", {"outcome": "exploded"}, 422),
        ("get", "/certificates/verify?t=" + "x" * 3000, None, 422),
    ],
)
def test_bad_input_gets_a_clear_error_never_a_500(  # validation does not depend on the database
    sqlite_certificate_app: TestClient, cases: FakeCases, method: str, path: str, body: object, status: int
) -> None:
    cases.add("XD2026-000001")

    response = sqlite_certificate_app.request(method, path, json=body)

    assert response.status_code == status, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("token", ["", "garbage", "C1.AAAA.BBBB", "https://x.example/certificates/verify"])
def test_verify_garbage_says_why(sqlite_certificate_app: TestClient, token: str) -> None:
    response = sqlite_certificate_app.get("/certificates/verify", params={"t": token})

    if not token:
        assert response.status_code == 422
        return
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["reason"] == "malformed"


def test_case_that_is_not_approved_gets_no_certificate(certificate_app: TestClient, cases: FakeCases) -> None:
    cases.add("XD2026-000009", state="in_review")

    response = certificate_app.post("/cases/XD2026-000009/certificate", json=ISSUE)

    assert response.status_code == 409
    assert "not approved" in response.json()["detail"]


def test_kiosk_verifies_a_printed_certificate_offline_with_the_published_keys(
    certificate_app: TestClient, cases: FakeCases, tmp_path: Path
) -> None:
    made = _make(certificate_app, cases)
    cases.move("XD2026-000001", "sealed")
    keys = verifiers_from_published(certificate_app.get("/certificates/keys").json())
    pdf = certificate_app.get(f"/certificates/{made['number']}/pdf").content

    scanned = decode_qr_texts(pdf_to_png(pdf, tmp_path, "paper", dpi=100))

    assert verify_scan(None, _offline_context(keys), scanned[0]).reason == "signature-valid"
    forged = scanned[0][:-6] + ("AAAAAA" if not scanned[0].endswith("AAAAAA") else "BBBBBB")
    assert verify_scan(None, _offline_context(keys), forged).reason == "bad-signature"


def _offline_context(keys: dict[str, Verifier]) -> CertificateContext:
    # Offline verification needs only the trusted keys; nothing else in the context is used.
    return CertificateContext(
        signer=Ed25519Signer.generate(),
        verifiers=keys,
        cipher=PiiCipher({"k": b"k" * 32}, "k"),
        cases=FakeCases(),
    )


def test_published_keys_that_lie_about_their_id_are_refused(certificate_app: TestClient) -> None:
    published = certificate_app.get("/certificates/keys").json()
    published["keys"][0]["key_id"] = "00000000"

    with pytest.raises(ValueError, match="does not match"):
        verifiers_from_published(published)


def test_a_kiosk_that_never_reports_does_not_hold_the_original_forever(
    certificate_app: TestClient, cases: FakeCases, audit: AuditLog
) -> None:
    number = _make(certificate_app, cases)["number"]
    cases.move("XD2026-000001", "sealed")
    lost = _print(certificate_app, number, "kiosk-crashed")
    assert (
        certificate_app.post(f"/certificates/{number}/prints", json={"station": "kiosk-02"}).status_code
        == 409
    )
    with certificate_app.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        entry = session.get(CertificatePrint, lost["id"])
        entry.requested_at = dt.datetime.now(dt.UTC) - ABANDONED_AFTER - dt.timedelta(seconds=1)

    retry = _print(certificate_app, number, "kiosk-02")

    assert retry["kind"] == "original"
    history = certificate_app.get(f"/certificates/{number}/prints").json()
    assert (history[0]["status"], history[0]["reason"]) == ("failed", "abandoned: no result from the station")
    assert "certificate.print_abandoned" in [e["action"] for e in audit.entries]


def test_certificate_name_scope_label_and_validity_come_from_the_item_template(
    sqlite_certificate_app: TestClient, cases: FakeCases
) -> None:
    client = sqlite_certificate_app
    cases.cases["XD2026-000055"] = CaseFacts(
        "XD2026-000055", "513200-XK-SJ-0529", "食品(含保健食品)经营许可", "李四", HOLDER_ID, "approved"
    )

    made = client.post("/cases/XD2026-000055/certificate", json={"scope": "预包装食品销售"})

    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["certificate_name"], body["valid_until"]) == ("食品经营许可证", "2031-11-20")
    text = _text(client.get(f"/certificates/{body['number']}/pdf").content)
    assert "经营项目预包装食品销售" in text
