"""The bundled catalogue never overwrites an administrator's version (the real service, restarted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from case_service.bootstrap import demo_password
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD

pytestmark = pytest.mark.integration


def _admin(url: str) -> dict[str, str]:
    answer = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": "admin", "password": demo_password("admin")}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_an_admins_edit_and_suspension_survive_a_restart(start_hall_process: Any, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    service = start_hall_process("case-service", database_url=database_url)
    url = service.url
    admin = _admin(url)
    food = httpx.get(f"{url}/api/v1/items/{ITEM_FOOD}").json()
    edit = {key: value for key, value in food.items() if key not in ("code", "version", "source")}
    edit.update(promised_limit_days=5, service_hours="周一至周五 9:00-17:00", fee_status="不收费", fees=[])
    edited = httpx.put(f"{url}/api/v1/items/{ITEM_FOOD}", json=edit, headers=admin)
    assert edited.status_code == 200, edited.text
    suspended = httpx.post(
        f"{url}/api/v1/items/{ITEM_COMPANY}/status", json={"status": "suspended"}, headers=admin
    )
    assert suspended.status_code == 200 and suspended.json()["version"] == 2
    service.stop()

    again = start_hall_process("case-service", database_url=database_url)
    food_after = httpx.get(f"{again.url}/api/v1/items/{ITEM_FOOD}").json()
    assert food_after["version"] == edited.json()["version"]
    assert food_after["promised_limit_days"] == 5
    assert food_after["service_hours"] == "周一至周五 9:00-17:00" and food_after["fee_status"] == "不收费"
    company = httpx.get(f"{again.url}/api/v1/items/{ITEM_COMPANY}").json()
    assert company["status"] == "suspended" and company["version"] == 2
    versions = httpx.get(f"{again.url}/api/v1/items/{ITEM_COMPANY}/versions").json()
    assert [version["status"] for version in versions] == ["active", "suspended"]
    everything = httpx.get(f"{again.url}/api/v1/items", params={"limit": 200}).json()
    assert everything["total"] == 75
