"""Garbage gets a clear 4xx in the one error shape; tokens see only what they may."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain.identity import make_id_number
from hall.privacy import mask_phone
from tests.case_service.conftest import (
    ID_A,
    ID_B,
    ITEM_COMPANY,
    ITEM_FOOD,
    ITEM_HANDED_DOWN,
    ITEM_SUSPENDED,
    CaseApi,
)
from tests.fixtures.applicant import attested_read


def assert_error(answer: object, status: int, code: str, fragment: str = "") -> dict[str, object]:
    response = answer  # httpx.Response
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    error: dict[str, object] = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code and isinstance(error["message"], str)
    assert fragment in str(error["message"]), error
    return error


def test_wrong_types_unknown_items_and_closed_items(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    clerk = {**api.staff("clerk1"), **api.key()}
    assert_error(client.post("/api/v1/cases", json={"item_code": 42}, headers=clerk), 422, "validation_error")
    assert_error(
        client.post(
            "/api/v1/cases", content=b"{not json", headers={**clerk, "content-type": "application/json"}
        ),
        422,
        "validation_error",
    )
    applicant = {"name": "张三", "id_number": ID_A}
    unknown = client.post(
        "/api/v1/cases", json={"item_code": "513200-XK-SJ-9999", "applicant": applicant}, headers=clerk
    )
    assert_error(unknown, 404, "not_found", "513200-XK-SJ-9999")
    for code, word in ((ITEM_SUSPENDED, "suspended"), (ITEM_HANDED_DOWN, "handed down")):
        answer = client.post(
            "/api/v1/cases", json={"item_code": code, "applicant": applicant}, headers={**clerk, **api.key()}
        )
        assert_error(answer, 409, "conflict", word)
    bad_id = client.post(
        "/api/v1/cases",
        json={"item_code": ITEM_FOOD, "applicant": {"name": "张三", "id_number": ID_A[:-1] + "0"}},
        headers={**clerk, **api.key()},
    )
    error = assert_error(bad_id, 422, "invalid_input", "身份证号码校验位不符")
    assert ID_A[:-1] not in str(error)
    bad_phone = client.post(
        "/api/v1/cases",
        json={"item_code": ITEM_FOOD, "applicant": {**applicant, "phone": "12"}},
        headers={**clerk, **api.key()},
    )
    assert_error(bad_phone, 422, "invalid_input", "电话号码应为11位手机号，或带区号的固定电话")
    no_key = client.post(
        "/api/v1/cases", json={"item_code": ITEM_FOOD, "applicant": applicant}, headers=api.staff("clerk1")
    )
    assert_error(no_key, 422, "invalid_input", "Idempotency-Key")
    # A kiosk-only channel on an item marked × (not offered at kiosks).
    kiosk = client.post(
        "/api/v1/cases",
        json={"item_code": "513200-XK-SF-0126", "channel": "kiosk", "applicant": applicant},
        headers={**clerk, **api.key()},
    )
    assert_error(kiosk, 409, "conflict", "not offered on the kiosk channel")


def test_illegal_transitions_unknown_actions_and_unknown_cases(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    case = api.file_case(ITEM_FOOD)
    answer = client.post(f"/api/v1/cases/{case['id']}/actions/seal", json={}, headers=api.staff("sealer1"))
    error = assert_error(answer, 409, "illegal_transition", "cannot seal a case that is submitted")
    assert "allowed: accept, not_accept, request_supplement, withdraw" in str(error["message"])
    assert_error(
        client.post(f"/api/v1/cases/{case['id']}/actions/teleport", json={}, headers=api.staff("clerk1")),
        422,
        "validation_error",
    )
    assert_error(client.get("/api/v1/cases/999999", headers=api.staff("clerk1")), 404, "not_found")
    assert_error(
        client.get("/api/v1/cases/99999999999999999999999", headers=api.staff("clerk1")), 404, "not_found"
    )
    for odd in ("²", "١٢٣", "0", "%20"):  # str.isdigit() accepts the first two; int() refuses "²"
        assert_error(client.get(f"/api/v1/cases/{odd}/status", headers=api.staff("clerk1")), 404, "not_found")
    assert_error(
        client.post(
            f"/api/v1/cases/{case['id']}/actions/release",
            json={"channel": "drone"},
            headers=api.staff("clerk1"),
        ),
        422,
        "validation_error",
    )
    assert_error(client.get("/api/v1/nowhere"), 404, "not_found")


def test_authentication_failures(sqlite_api: CaseApi) -> None:
    client = sqlite_api.client
    assert_error(client.get("/api/v1/cases"), 401, "unauthorized", "Bearer")
    assert_error(
        client.get("/api/v1/cases", headers={"Authorization": "Bearer v1.abc.def"}), 401, "unauthorized"
    )
    assert_error(
        client.get("/api/v1/cases", headers={"Authorization": "Bearer garbage"}), 401, "unauthorized"
    )
    assert_error(
        client.post("/api/v1/auth/login", json={"username": "clerk1", "password": "wrong"}),
        401,
        "unauthorized",
    )
    assert_error(
        client.post("/api/v1/auth/device-token", json={"device_id": "kiosk-01", "secret": "wrong"}),
        401,
        "unauthorized",
    )
    token = client.post("/api/v1/auth/login", json={"username": "clerk1", "password": "demo-clerk1"}).json()
    tampered = token["access_token"][:-2] + ("AA" if not token["access_token"].endswith("AA") else "BB")
    assert_error(
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {tampered}"}), 401, "unauthorized"
    )


def test_applicant_tokens_see_only_their_own_cases(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    case_a = api.file_case(ITEM_FOOD, id_number=ID_A, name="张三")
    case_b = api.file_case(ITEM_FOOD, id_number=ID_B, name="李四")
    token_a = api.applicant("张三", ID_A)
    mine = client.get("/api/v1/cases", headers=token_a).json()
    assert [case["id"] for case in mine["items"]] == [case_a["id"]] and mine["total"] == 1
    assert client.get(f"/api/v1/cases/{case_a['id']}", headers=token_a).status_code == 200
    assert_error(client.get(f"/api/v1/cases/{case_b['id']}", headers=token_a), 404, "not_found")
    assert_error(client.get(f"/api/v1/cases/{case_b['id']}/status", headers=token_a), 404, "not_found")
    own = client.get(f"/api/v1/cases/{case_a['number']}/status", headers=token_a).json()
    assert (
        own["state"] == "submitted"
        and own["next_step"] == "等待窗口受理审查"
        and own["stage"] == "acceptance"
    )
    assert_error(client.get(f"/api/v1/cases/by-number/{case_b['number']}", headers=token_a), 404, "not_found")
    assert_error(client.get(f"/api/v1/cases/{case_b['id']}/materials", headers=token_a), 404, "not_found")
    assert_error(
        client.post(f"/api/v1/cases/{case_b['id']}/actions/withdraw", json={}, headers=token_a),
        404,
        "not_found",
    )
    # An applicant cannot accept their own case, and a kiosk without an applicant reads nothing.
    assert_error(
        client.post(f"/api/v1/cases/{case_a['id']}/actions/accept", json={}, headers=token_a),
        403,
        "forbidden",
    )
    kiosk = api.device()
    assert_error(client.get("/api/v1/cases", headers=kiosk), 403, "forbidden")
    assert_error(client.get(f"/api/v1/cases/{case_a['id']}", headers=kiosk), 403, "forbidden")
    assert_error(client.get(f"/api/v1/cases/{case_a['id']}/status", headers=kiosk), 403, "forbidden")
    assert_error(client.get(f"/api/v1/cases/{case_a['id']}/status"), 401, "unauthorized")
    # Only a kiosk may turn an ID card into an applicant token.
    assert_error(client.post("/api/v1/auth/card-challenge", headers=api.staff("clerk1")), 403, "forbidden")
    secret = api.device_secret()
    read = attested_read(
        client,
        kiosk,
        device_id="kiosk-01",
        secret=secret,
        name="张三",
        id_number=ID_A,
        valid_until=dt.date(2020, 1, 1),
    )
    expired = client.post("/api/v1/auth/applicant-token", json=read, headers=kiosk)
    assert_error(expired, 422, "invalid_input", "expired")


def test_role_checks_and_department_scope(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    case = api.file_case(ITEM_FOOD)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    error = api.act(case["id"], "approve", "clerk1", expect=403)["error"]
    assert error["message"] == "approve needs the role approver"
    api.act(case["id"], "approve", "admin", expect=403)
    assert_error(client.get("/api/v1/supervision", headers=api.staff("clerk1")), 403, "forbidden")
    assert_error(
        client.put(
            "/api/v1/admin/holidays/2027-01-01", json={"is_working_day": False}, headers=api.staff("clerk1")
        ),
        403,
        "forbidden",
    )
    # reviewer1 belongs to 州市场监管局: a case of 州教育局 is not theirs.
    other = api.file_case("513200-XK-JY-0036")
    api.act(other["id"], "accept", "clerk1")
    assert_error(
        client.post(
            f"/api/v1/cases/{other['id']}/actions/start_review", json={}, headers=api.staff("reviewer1")
        ),
        403,
        "forbidden",
        "州教育局",
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/items?limit=0", "/api/v1/items?limit=abc", "/api/v1/cases?offset=-1"]
)
def test_bad_query_parameters(sqlite_api: CaseApi, path: str) -> None:
    answer = sqlite_api.client.get(path, headers=sqlite_api.staff("clerk1"))
    assert_error(answer, 422, "validation_error")


def test_cases_are_found_by_number_in_every_path(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_COMPANY)
    by_number = api.client.get(f"/api/v1/cases/{case['number']}", headers=api.staff("clerk1"))
    assert by_number.status_code == 200 and by_number.json()["id"] == case["id"]
    assert "-" in case["number"]


def test_the_api_checks_the_applicant_as_the_intake_page_does(sqlite_api: CaseApi) -> None:
    """A birth year in the future is refused, landlines and +86 are taken, each error in Chinese."""
    api, client = sqlite_api, sqlite_api.client
    clerk = api.staff("clerk1")
    born_2099 = make_id_number("51340120990612201")
    future = client.post(
        "/api/v1/cases",
        json={"item_code": ITEM_FOOD, "applicant": {"name": "张三", "id_number": born_2099}},
        headers={**clerk, **api.key()},
    )
    error = assert_error(future, 422, "invalid_input", "出生日期不可能")
    assert born_2099[:-1] not in str(error)
    short = client.post(
        "/api/v1/cases",
        json={"item_code": ITEM_FOOD, "applicant": {"name": "张三", "id_number": "1101"}},
        headers={**clerk, **api.key()},
    )
    assert_error(short, 422, "invalid_input", "身份证号码应为18位")
    for phone, stored in (("0834-3221234", "0834-3221234"), ("+86 28 8555 1234", "028-85551234")):
        filed = client.post(
            "/api/v1/cases",
            json={"item_code": ITEM_FOOD, "applicant": {"name": "张三", "id_number": ID_A, "phone": phone}},
            headers={**clerk, **api.key()},
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["applicant_phone"] == mask_phone(stored)
    mobile = client.post(
        "/api/v1/cases",
        json={
            "item_code": ITEM_FOOD,
            "applicant": {"name": "张三", "id_number": ID_A, "phone": "+8613912345678"},
        },
        headers={**clerk, **api.key()},
    )
    assert mobile.status_code == 201 and mobile.json()["applicant_phone"] == mask_phone("13912345678")
