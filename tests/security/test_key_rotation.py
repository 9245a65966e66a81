"""Rotating the personal-data key (HALL_PII_KEY=new:KEY,old:KEY) on a case service with data in it.

Old rows must stay readable under the new configuration, and people must still find their own cases:
the number shown (masked) to staff decrypts, and an applicant's token still lists the cases filed
before the rotation.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from case_service.app import create_app
from case_service.bootstrap import demo_password
from hall.settings import Settings
from tests.fixtures.applicant import card_sign_in
from tests.fixtures.devices import enrol
from tests.reliability.workers import ITEM_COMPANY, person

pytestmark = pytest.mark.integration
OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()


def _app(data_dir: Path, pii_key: str) -> Any:
    settings = Settings(
        database_url=f"sqlite:///{data_dir / 'case.db'}",
        data_dir=data_dir,
        pii_key=pii_key,
        case={"sweep_interval_seconds": 0},
    )
    return create_app(settings), settings


def _headers(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _applicant(client: TestClient, settings: Settings, who: dict[str, str]) -> dict[str, str]:
    secret = enrol(client, _headers(client, "admin"), "kiosk-01", "kiosk")
    return card_sign_in(client, secret=secret, name=who["name"], id_number=who["id_number"])


def test_old_rows_stay_readable_after_rotation(tmp_path: Path) -> None:
    who = person(7)
    app, _settings = _app(tmp_path, f"old:{OLD}")
    with TestClient(app) as client:
        made = client.post(
            "/api/v1/cases",
            json={"item_code": ITEM_COMPANY, "channel": "window", "applicant": who},
            headers={**_headers(client, "clerk1"), "Idempotency-Key": "rotation-1"},
        )
        assert made.status_code == 201, made.text
        case_id, masked = made.json()["id"], made.json()
    app.state.engine.dispose()

    app, _settings = _app(tmp_path, f"new:{NEW},old:{OLD}")
    with TestClient(app) as client:
        shown = client.get(f"/api/v1/cases/{case_id}", headers=_headers(client, "manager1"))
        assert shown.status_code == 200, shown.text
        personal = {key: value for key, value in masked.items() if key.startswith("applicant")}
        assert personal, masked
        # The encrypted fields decrypt under the old key and show as before (masked).
        assert {key: shown.json()[key] for key in personal} == personal
        assert who["id_number"] not in shown.text
    app.state.engine.dispose()


def test_an_applicant_still_finds_cases_filed_before_the_rotation(tmp_path: Path) -> None:
    who = person(8)
    app, settings = _app(tmp_path, f"old:{OLD}")
    with TestClient(app) as client:
        made = client.post(
            "/api/v1/cases",
            json={"item_code": ITEM_COMPANY, "channel": "window", "applicant": who},
            headers={**_headers(client, "clerk1"), "Idempotency-Key": "rotation-2"},
        )
        assert made.status_code == 201, made.text
        assert client.get("/api/v1/cases", headers=_applicant(client, settings, who)).json()["total"] == 1
    app.state.engine.dispose()

    app, settings = _app(tmp_path, f"new:{NEW},old:{OLD}")
    with TestClient(app) as client:
        mine = client.get("/api/v1/cases", headers=_applicant(client, settings, who)).json()
        assert mine["total"] == 1, mine
    app.state.engine.dispose()
