"""After a PII key rotation an applicant still finds the cases and materials filed under the old key."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from case_service.app import create_app
from hall.settings import Settings
from tests.case_service.api.test_idempotency_and_materials import png_bytes
from tests.case_service.conftest import ID_A, ID_B, ITEM_FOOD, CaseApi, Clock

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def service(tmp_path: Path, pii_key: str, clock: Clock) -> tuple[TestClient, CaseApi]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rotation.db'}",
        data_dir=tmp_path,
        pii_key=pii_key,
        case={"sweep_interval_seconds": 0},
    )
    client = TestClient(create_app(settings, today=clock))
    return client, CaseApi(client, clock, settings)


def test_cases_and_library_survive_a_key_rotation(tmp_path: Path) -> None:
    clock = Clock()
    client, api = service(tmp_path, f"old:{OLD}", clock)
    with client:
        applicant = api.applicant("张三", ID_A)
        body = {"item_code": ITEM_FOOD, "channel": "kiosk"}
        before = client.post("/api/v1/cases", json=body, headers={**applicant, **api.key()}).json()
        uploaded = client.post(
            f"/api/v1/cases/{before['id']}/materials",
            data={"name": "营业执照"},
            files={"file": ("licence.png", png_bytes(), "image/png")},
            headers={**applicant, "Idempotency-Key": "rotation-upload"},
        )
        assert uploaded.status_code == 201
        other = api.file_case(ITEM_FOOD, id_number=ID_B, name="李四")

    client, api = service(tmp_path, f"new:{NEW},old:{OLD}", clock)
    with client:
        applicant = api.applicant("张三", ID_A)
        mine = client.get("/api/v1/cases", headers=applicant).json()
        assert [case["id"] for case in mine["items"]] == [before["id"]]
        assert client.get(f"/api/v1/cases/{before['id']}/status", headers=applicant).status_code == 200
        assert client.get(f"/api/v1/cases/{other['id']}", headers=applicant).status_code == 404
        after = client.post(
            "/api/v1/cases",
            json={"item_code": ITEM_FOOD, "channel": "kiosk"},
            headers={**applicant, **api.key()},
        ).json()
        reused = client.get(f"/api/v1/cases/{after['id']}/materials", headers=applicant).json()
        assert [(row["name"], row["reused"]) for row in reused] == [("营业执照", True)]
        assert {case["id"] for case in client.get("/api/v1/cases", headers=applicant).json()["items"]} == {
            before["id"],
            after["id"],
        }
        # The old row's ID number still decrypts (masked) under the rotated configuration.
        shown = client.get(f"/api/v1/cases/{before['id']}", headers=api.staff("clerk1")).json()
        assert shown["applicant_id_number"] == ID_A[:3] + "*" * 11 + ID_A[-4:]
