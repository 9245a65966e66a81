"""Issue 15: certificates.

- A clerk, sealer or any reviewer could reissue a certificate with a free scope, authority and validity
  (it then verified "valid"), or revoke any certificate. Revoke and reissue now belong to an approver
  of the case's department; a reissue keeps the authority; each act is audited with its reason.
- A bare kiosk token read any certificate (`GET /cases/{number}/certificate`, `GET /certificates/{n}`)
  and used up anyone's one-time original print. These now need the holder's own applicant token; staff
  read only in the roles that need certificates.
- `POST /certificates/{n}/prints/9223372036854775808/result` answered 500 (the id is now bounded).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from case_service.storage.models import AuditEntry
from tests.case_service.conftest import ID_A, ID_B, ITEM_FOOD, CaseApi, sqlite_api  # noqa: F401

ISSUE = {"certificate_name": "食品经营许可证", "scope": "热食类食品制售", "valid_until": "2030-09-25"}
CORRECTION = {"scope": "热食类、冷食类食品制售", "valid_until": "2030-09-25", "reason": "范围更正"}


def _sealed_certificate(api: CaseApi) -> dict[str, Any]:
    case = api.file_case(ITEM_FOOD, name="张三", id_number=ID_A)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.conclude_site_visit(case["id"])  # the item needs one before its decision
    api.act(case["id"], "approve", "approver1", reason="符合法定条件")
    made = api.client.post(
        f"/api/v1/cases/{case['number']}/certificate", json=ISSUE, headers=api.staff("reviewer1")
    )
    assert made.status_code == 201, made.text
    api.act(case["id"], "seal", "sealer1")
    body: dict[str, Any] = made.json()
    return body


def _staff_of_education(api: CaseApi, role: str) -> dict[str, str]:
    """A staff member of 州教育局 (reviewer1 and approver1 belong to 州市场监管局)."""
    username, password = f"{role}-edu", f"edu-{role}-password"
    created = api.client.post(
        "/api/v1/admin/users",
        json={"username": username, "password": password, "roles": [role], "department": "州教育局"},
        headers={**api.staff("admin"), **api.key()},
    )
    assert created.status_code == 201, created.text
    login = api.client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _audit(api: CaseApi, action: str) -> list[AuditEntry]:
    with api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_only_an_approver_of_the_department_reissues_and_revokes(sqlite_api: CaseApi) -> None:  # noqa: F811
    api, client = sqlite_api, sqlite_api.client
    certificate = _sealed_certificate(api)
    number = certificate["number"]
    other_department = _staff_of_education(api, "approver")
    for who in (
        api.staff("clerk1"),
        api.staff("reviewer1"),
        api.staff("sealer1"),
        api.staff("admin"),
        other_department,
        api.device(),
        api.applicant("张三", ID_A),
    ):
        for action, body in (("reissue", CORRECTION), ("revoke", {"reason": "以欺骗手段取得"})):
            answer = client.post(f"/api/v1/certificates/{number}/{action}", json=body, headers=who)
            assert answer.status_code == 403, (action, answer.text)
    # The approver corrects the scope; the authority cannot be changed by a reissue.
    approver = api.staff("approver1")
    moved = client.post(
        f"/api/v1/certificates/{number}/reissue",
        json={**CORRECTION, "authority": "某某公司"},
        headers=approver,
    )
    assert moved.status_code == 422, moved.text
    renewed = client.post(f"/api/v1/certificates/{number}/reissue", json=CORRECTION, headers=approver)
    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["authority"] == certificate["authority"]
    assert renewed.json()["scope"] == CORRECTION["scope"]
    revoked = client.post(
        f"/api/v1/certificates/{renewed.json()['number']}/revoke",
        json={"reason": "以欺骗手段取得"},
        headers=approver,
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    (reissued,) = _audit(api, "certificate.reissue")
    (revocation,) = _audit(api, "certificate.revoke")
    assert reissued.actor == "staff:approver1" and (reissued.after or {})["reason"] == "范围更正"
    assert revocation.actor == "staff:approver1" and (revocation.after or {})["reason"] == "以欺骗手段取得"


def test_certificates_are_read_and_printed_only_by_their_holder_or_staff(sqlite_api: CaseApi) -> None:  # noqa: F811
    api, client = sqlite_api, sqlite_api.client
    certificate = _sealed_certificate(api)
    number, case_number = certificate["number"], certificate["case_number"]
    reads = (f"/api/v1/cases/{case_number}/certificate", f"/api/v1/certificates/{number}")
    station = {"station": "kiosk:kiosk-01"}
    # A bare kiosk token, another applicant, a manager: nothing.
    for who, status in (
        (api.device(), 403),
        (api.applicant("李四", ID_B), 404),
        (api.staff("manager1"), 403),
    ):
        for path in reads:
            assert client.get(path, headers=who).status_code == status, path
        used = client.post(f"/api/v1/certificates/{number}/prints", json=station, headers=who)
        assert used.status_code == status, used.text
    # The holder prints the original, under their own sign-in.
    holder = api.applicant("张三", ID_A)
    for path in reads:
        assert client.get(path, headers=holder).status_code == 200, path
    first = client.post(f"/api/v1/certificates/{number}/prints", json=station, headers=holder)
    assert first.status_code == 201 and first.json()["kind"] == "original"
    pdf_url = first.json()["pdf_url"]
    assert client.get(pdf_url, headers=api.applicant("李四", ID_B)).status_code == 404
    assert client.get(pdf_url, headers=api.device()).status_code == 403
    assert client.get(pdf_url, headers=holder).status_code == 200
    result = f"/api/v1/certificates/{number}/prints/{first.json()['id']}/result"
    assert client.post(result, json={"outcome": "failed"}, headers=api.device()).status_code == 403
    assert client.post(result, json={"outcome": "completed"}, headers=holder).status_code == 200
    # The window's clerk reads it for the release; another department's reviewer does not.
    assert client.get(reads[1], headers=api.staff("clerk1")).status_code == 200
    assert client.get(reads[1], headers=api.staff("reviewer1")).status_code == 200
    elsewhere = _staff_of_education(api, "reviewer")
    for path in reads:
        assert client.get(path, headers=elsewhere).status_code == 403, path


def test_a_huge_print_id_is_a_clear_refusal(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    certificate = _sealed_certificate(api)
    path = f"/api/v1/certificates/{certificate['number']}/prints/9223372036854775808/result"
    answer = api.client.post(path, json={"outcome": "completed"}, headers=api.applicant("张三", ID_A))
    assert answer.status_code == 422, answer.text
