"""A retrying kiosk never makes two cases; materials are checked, hashed, reused and complete the list."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from PIL import Image

from tests.case_service.conftest import ID_A, ITEM_COMPANY, ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_retried_submission_returns_the_first_case(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    applicant = api.applicant()
    body = {"item_code": ITEM_FOOD, "channel": "kiosk"}
    headers = {**applicant, "Idempotency-Key": "kiosk-01-20250926-0001"}
    first = client.post("/api/v1/cases", json=body, headers=headers)
    second = client.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert client.get("/api/v1/cases", headers=applicant).json()["total"] == 1
    changed = client.post("/api/v1/cases", json={**body, "channel": "window"}, headers=headers)
    assert changed.status_code == 409 and "different request" in changed.json()["error"]["message"]


def test_a_resent_action_with_its_key_answers_as_the_first_did(case_api: CaseApi) -> None:
    # The hall controller's outbox resends a write whose answer a crash lost: with the same key the
    # case service answers what it answered then, instead of 409 because the case has moved on.
    api, client = case_api, case_api.client
    case = api.file_case(ITEM_FOOD)
    clerk = {**api.staff("clerk1"), "Idempotency-Key": "controller-01-accept-1"}
    path = f"/api/v1/cases/{case['id']}/actions/accept"
    first = client.post(path, json={}, headers=clerk)
    again = client.post(path, json={}, headers=clerk)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=api.staff("manager1")).json()
    assert [entry["action"] for entry in history].count("case.accept") == 1
    # Without a key, a repeat is what it always was: not allowed now, and the answer says so.
    repeat = client.post(path, json={}, headers=api.staff("clerk1"))
    assert repeat.status_code == 409
    # The same key for another action is a different request, refused.
    other = client.post(f"/api/v1/cases/{case['id']}/actions/start_review", json={}, headers=clerk)
    assert other.status_code == 409 and "different request" in other.json()["error"]["message"]


def test_concurrent_retries_with_one_key_make_one_case(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    clerk = api.staff("clerk1")
    body = {"item_code": ITEM_FOOD, "applicant": {"name": "张三", "id_number": ID_A}}
    answers: list[Any] = []

    def submit() -> None:
        answers.append(
            client.post("/api/v1/cases", json=body, headers={**clerk, "Idempotency-Key": "same-key"})
        )

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every retry gets the one case: the losers of the race roll back and replay the winner's answer.
    assert [answer.status_code for answer in answers] == [201] * 6
    assert len({answer.json()["id"] for answer in answers}) == 1
    listed = client.get("/api/v1/cases", headers=clerk).json()
    assert listed["total"] == 1


def upload(
    api: CaseApi,
    case_id: int,
    name: str,
    data: bytes,
    filename: str = "f.pdf",
    ctype: str = "application/pdf",
) -> Any:
    return api.client.post(
        f"/api/v1/cases/{case_id}/materials",
        data={"name": name},
        files={"file": (filename, data, ctype)},
        headers={**api.staff("clerk1"), **api.key()},
    )


def test_uploads_are_checked_hashed_and_complete_the_list(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    case = api.file_case(ITEM_COMPANY, complete=False)
    required = [
        "公司登记(备案)申请书",
        "公司章程",
        "股东主体资格证明",
        "法定代表人、董事、监事和经理的任职文件",
        "住所使用证明",
    ]
    files = [PDF, png_bytes(), jpeg_bytes(), PDF + b"2", PDF + b"3"]
    for name, data in zip(required[:-1], files[:-1], strict=True):
        answer = upload(api, case["id"], name, data)
        assert answer.status_code == 201, answer.text
    report = client.get(f"/api/v1/cases/{case['id']}/completeness", headers=api.staff("clerk1")).json()
    assert report == {
        "complete": False,
        "missing": ["住所使用证明"],
        "unknown": [],
        "notice_lines": ["住所使用证明:未提交"],
        "owed": [],
        "acceptable": False,
    }
    notice = api.act(case["id"], "request_supplement", "clerk1")
    assert notice["supplement_notice"]["lines"] == ["住所使用证明:未提交"]
    last = upload(api, case["id"], required[-1], files[-1])
    assert last.status_code == 201
    assert client.get(f"/api/v1/cases/{case['id']}/completeness", headers=api.staff("clerk1")).json()[
        "complete"
    ]
    listed = client.get(f"/api/v1/cases/{case['id']}/materials", headers=api.staff("clerk1")).json()
    types = {row["name"]: row["content_type"] for row in listed}
    assert types["公司章程"] == "image/png" and types["股东主体资格证明"] == "image/jpeg"
    import hashlib

    assert {row["sha256"] for row in listed} >= {hashlib.sha256(PDF).hexdigest()}
    content = client.get(
        f"/api/v1/cases/{case['id']}/materials/{listed[0]['id']}/content", headers=api.staff("reviewer1")
    )
    assert content.status_code == 200 and content.content == PDF
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=api.staff("manager1")).json()
    assert history[-1]["action"] == "material.read" and history[-1]["actor"] == "staff:reviewer1"


def test_oversized_wrong_type_and_unlisted_uploads_are_refused(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_COMPANY, complete=False)
    limit = api.settings.case.max_upload_bytes
    too_big = upload(api, case["id"], "公司章程", PDF + b"0" * limit)
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
    fake = upload(api, case["id"], "公司章程", b"MZ\x90\x00 not a pdf", filename="virus.pdf")
    assert fake.status_code == 415 and "PDF, JPEG and PNG" in fake.json()["error"]["message"]
    empty = upload(api, case["id"], "公司章程", b"")
    assert empty.status_code == 415
    unlisted = upload(api, case["id"], "户口本", PDF)
    assert unlisted.status_code == 422 and "公司章程" in unlisted.json()["error"]["message"]
    assert api.client.get(f"/api/v1/cases/{case['id']}/materials", headers=api.staff("clerk1")).json() == []
    # A body declared far larger than any upload may be is refused before it is read.
    huge = api.client.post(
        f"/api/v1/cases/{case['id']}/materials",
        content=b"x" * 16,
        headers={**api.staff("clerk1"), **api.key(), "content-length": str(limit * 100)},
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"


def test_the_library_reuses_what_an_applicant_gave_before(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    applicant = api.applicant()
    first = client.post(
        "/api/v1/cases", json={"item_code": ITEM_FOOD, "channel": "kiosk"}, headers={**applicant, **api.key()}
    ).json()
    answer = client.post(
        f"/api/v1/cases/{first['id']}/materials",
        data={"name": "营业执照"},
        files={"file": ("licence.png", png_bytes(), "image/png")},
        headers={**applicant, **api.key()},
    )
    assert answer.status_code == 201, answer.text
    second = client.post(
        "/api/v1/cases", json={"item_code": ITEM_FOOD, "channel": "kiosk"}, headers={**applicant, **api.key()}
    ).json()
    reused = client.get(f"/api/v1/cases/{second['id']}/materials", headers=applicant).json()
    assert [(row["name"], row["reused"]) for row in reused] == [("营业执照", True)]
    missing = client.get(f"/api/v1/cases/{second['id']}/completeness", headers=applicant).json()["missing"]
    assert "营业执照" not in missing and "食品经营许可申请书" in missing
    library = client.get("/api/v1/me/materials", headers=applicant).json()
    assert [row["name"] for row in library] == ["营业执照"]
