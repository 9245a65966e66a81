"""Issue 15, the low findings of the case service's HTTP side.

- the phone and e-ID sign-in answers returned the full ID number;
- upload filenames were stored as sent (paths, control and bidi characters);
- no security headers on the staff pages, and the sign-in cookie had no Secure flag over https;
- the OpenAPI document omitted 401/403/404 and marked a required Idempotency-Key optional;
- the development SMS sink kept full phone numbers and codes, readable by anyone;
- data files were world-readable.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from case_service.api.routes.applicant_signin import dev_eid_issuer, dev_sms_path, issue_eid
from case_service.bootstrap import demo_password
from hall.privacy import mask_id_number
from tests.case_service.api.test_idempotency_and_materials import PDF
from tests.case_service.conftest import ID_A, ITEM_COMPANY, CaseApi, sqlite_api  # noqa: F401
from tests.fixtures.hall import HallProcess

PHONE = "13812345678"


def test_phone_and_eid_answers_mask_the_id_number(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    api.file_case(name="张三", id_number=ID_A)
    qr = issue_eid(dev_eid_issuer(api.settings.secret_key.get_secret_value()), "张三", ID_A)
    answer = api.client.post("/api/v1/auth/applicant-token/eid", json={"qr": qr}, headers=api.device())
    assert answer.status_code == 200, answer.text
    assert ID_A not in answer.text
    assert answer.json()["applicant"]["id_number"] == mask_id_number(ID_A)


def test_the_dev_sms_sink_masks_numbers_and_codes(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    sent = api.client.post("/api/v1/auth/sms-code", json={"phone": PHONE}, headers=api.device())
    assert sent.status_code == 202, sent.text
    sink = dev_sms_path(api.settings.data_dir)
    raw = sink.read_text(encoding="utf-8")
    (entry,) = [json.loads(line) for line in raw.splitlines()]
    assert PHONE not in raw and entry["phone"] == "138****5678"
    assert not any(char.isdigit() for char in entry["text"].replace("5 分钟", ""))
    assert stat.S_IMODE(sink.stat().st_mode) == 0o600


def test_upload_filenames_are_stored_sanitised(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    case = api.file_case(ITEM_COMPANY)
    answer = api.client.post(
        f"/api/v1/cases/{case['id']}/materials",
        data={"name": "公司章程"},
        files={"file": ("..\\../../etc/.章程\u202efdp.exe\u200b.pdf", PDF, "application/pdf")},
        headers={**api.staff("clerk1"), **api.key()},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["filename"] == "章程fdp.exe.pdf"


def test_staff_pages_carry_security_headers_and_a_secure_cookie_over_https(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    page = api.client.get("/web/login")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    app = api.client.app
    with TestClient(app, base_url="https://testserver") as https:
        signed_in = https.post(
            "/web/login",
            data={"username": "clerk1", "password": demo_password("clerk1")},
            follow_redirects=False,
        )
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_openapi_lists_the_refusals_and_the_required_key(sqlite_api: CaseApi) -> None:  # noqa: F811
    document = sqlite_api.client.get("/openapi.json").json()
    paths = document["paths"]
    create = paths["/api/v1/cases"]["post"]
    assert {"401", "403"} <= set(create["responses"])
    assert create["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    (key,) = [p for p in create["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["required"] is True
    upload = paths["/api/v1/cases/{case_id}/materials"]["post"]
    assert [p["required"] for p in upload["parameters"] if p["name"] == "Idempotency-Key"] == [True]
    action = paths["/api/v1/cases/{case_id}/actions/{action}"]["post"]
    assert {"401", "403", "404"} <= set(action["responses"])
    assert [p["required"] for p in action["parameters"] if p["name"] == "Idempotency-Key"] == [False]
    assert "401" not in paths["/api/v1/certificates/verify"]["get"]["responses"]  # public


def test_data_files_are_private(start_hall_process: Callable[..., HallProcess]) -> None:
    process = start_hall_process("case-service")
    folder = Path(process.env["HALL_DATA_DIR"])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = [path for path in folder.rglob("*") if path.is_file()]
    assert any(path.name == "case_service.db" for path in written)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
