"""“一件事一次办” over the HTTP API (the kiosk's and the online channel's way in): the packages, an
application with an applicant token, its one set of materials, who may read and release it."""

from __future__ import annotations

from typing import Any

from tests.case_service.conftest import ID_A, ID_B, CaseApi
from tests.fixtures.materials import PDF

SHOP = "YJS-004"  # 我要开农资店: three permits of 州农业农村局, each asking for 营业执照


def _file(api: CaseApi, headers: dict[str, str], body: dict[str, Any], key: str) -> Any:
    return api.client.post(
        f"/api/v1/packages/{SHOP}/applications", json=body, headers={**headers, "Idempotency-Key": key}
    )


def test_the_packages_are_listed_with_their_one_set_of_materials(case_api: CaseApi) -> None:
    api = case_api
    assert api.client.get("/api/v1/packages").status_code == 401  # a stranger sees nothing
    listed = api.client.get("/api/v1/packages", headers=api.staff("clerk1")).json()
    assert [p["code"] for p in listed] == ["YJS-001", "YJS-002", "YJS-003", "YJS-004"]
    shop = next(p for p in listed if p["code"] == SHOP)
    assert [i["department"] for i in shop["items"]] == ["州农业农村局"] * 3
    licence = [m for m in shop["materials"] if m["name"] == "营业执照"]
    assert len(licence) == 1 and len(licence[0]["items"]) == 3 and licence[0]["tolerated"]
    assert shop["channels"] == ["window", "kiosk", "online"] and shop["basis"]
    assert api.client.get("/api/v1/packages/YJS-999", headers=api.staff("clerk1")).status_code == 404


def test_an_applicant_applies_at_the_kiosk_hands_in_once_and_only_the_clerk_releases(
    case_api: CaseApi,
) -> None:
    api = case_api
    me = api.applicant("张三", ID_A)
    answer = _file(api, me, {"channel": "kiosk", "phone": "13812345678"}, "shop-1")
    assert answer.status_code == 201, answer.text
    filed = answer.json()
    assert filed["status"] == "in_progress" and len(filed["cases"]) == 3
    assert {c["channel"] for c in filed["cases"]} == {"kiosk"}
    assert {c["applicant_id_number"] for c in filed["cases"]} == {"110***********" + ID_A[-4:]}
    # The same key again: the same application, not a second one.
    again = _file(api, me, {"channel": "kiosk", "phone": "13812345678"}, "shop-1")
    assert again.status_code == 201 and again.json()["number"] == filed["number"]
    assert [c["id"] for c in again.json()["cases"]] == [c["id"] for c in filed["cases"]]
    # Without a key: refused, nothing filed.
    assert _file(api, me, {"channel": "kiosk"}, " ").status_code in (400, 422)

    # 营业执照 handed in once: every case whose item lists it has it.
    number = filed["number"]
    upload = api.client.post(
        f"/api/v1/package-applications/{number}/materials",
        data={"name": "营业执照"},
        files={"file": ("licence.pdf", PDF, "application/pdf")},
        headers=me,
    )
    assert upload.status_code == 201, upload.text
    for case in filed["cases"]:
        names = [
            m["name"] for m in api.client.get(f"/api/v1/cases/{case['id']}/materials", headers=me).json()
        ]
        assert names == ["营业执照"]
    wrong = api.client.post(
        f"/api/v1/package-applications/{number}/materials",
        data={"name": "居民身份证"},
        files={"file": ("id.pdf", PDF, "application/pdf")},
        headers=me,
    )
    assert wrong.status_code == 422 and "营业执照" in wrong.json()["error"]["details"]["expected"]

    # Who reads it: the applicant, the hall's staff; another applicant and a device do not.
    assert api.client.get(f"/api/v1/package-applications/{number}", headers=me).status_code == 200
    assert (
        api.client.get(f"/api/v1/package-applications/{number}", headers=api.staff("reviewer1")).status_code
        == 200
    )
    other = api.applicant("李四", ID_B)
    assert api.client.get(f"/api/v1/package-applications/{number}", headers=other).status_code == 404
    mine = api.client.get("/api/v1/package-applications", headers=me).json()
    assert mine["total"] == 1 and mine["items"][0]["number"] == number
    assert api.client.get("/api/v1/package-applications", headers=other).json()["total"] == 0
    assert api.client.get("/api/v1/package-applications", headers=api.staff("manager1")).json()["total"] == 1
    assert api.client.get("/api/v1/package-applications", headers=api.device()).status_code == 403
    assert api.client.get(f"/api/v1/package-applications/{number}", headers=api.device()).status_code == 403

    # Release: never the applicant; the clerk not while the cases are being decided.
    assert api.client.post(f"/api/v1/package-applications/{number}/release", headers=me).status_code == 403
    refused = api.client.post(f"/api/v1/package-applications/{number}/release", headers=api.staff("clerk1"))
    assert refused.status_code == 409
    assert "统一出件" in refused.json()["error"]["message"]
    assert set(refused.json()["error"]["details"]["waiting"]) == {c["number"] for c in filed["cases"]}


def test_a_clerk_files_for_the_applicant_and_a_bad_id_number_files_nothing(case_api: CaseApi) -> None:
    api = case_api
    clerk = api.staff("clerk1")
    bad = _file(api, clerk, {"applicant": {"name": "王五", "id_number": "110105199003071230"}}, "shop-bad")
    assert bad.status_code == 422
    assert api.client.get("/api/v1/cases", headers=clerk).json()["total"] == 0
    good = _file(api, clerk, {"applicant": {"name": "王五", "id_number": ID_B}}, "shop-2")
    assert good.status_code == 201 and good.json()["channel"] == "window"
    assert api.client.get("/api/v1/cases", headers=clerk).json()["total"] == 3
