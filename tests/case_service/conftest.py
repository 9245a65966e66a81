"""The case service under test: a real app on SQLite (WAL) and on PostgreSQL, with a movable clock."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from case_service.app import create_app
from case_service.bootstrap import demo_password
from case_service.cases.context import Context
from case_service.domain.identity import make_id_number
from hall.settings import Settings
from tests.fixtures.applicant import card_sign_in
from tests.fixtures.devices import enrol
from tests.fixtures.materials import hand_in

# Two people; the ID numbers are valid (GB 11643 check character) but belong to no one.
ID_A = make_id_number("11010519900307123")
ID_B = make_id_number("51320119851112004")
ITEM_COMPANY = "513200-XK-SJ-0511"  # 企业设立、变更、注销登记: full material list, promised 3 days
ITEM_FOOD = "513200-XK-SJ-0529"  # 食品(含保健食品)经营许可: promised 10 days
ITEM_SUSPENDED = "513200-XK-GD-0603"  # 暂停 in seed 003
ITEM_HANDED_DOWN = "513200-XK-CZ-0144"  # 已下放 in seed 003
STAFF_TOKENS: dict[str, str] = {}


@dataclass
class Clock:
    today: dt.date = dt.date(2025, 9, 26)

    def __call__(self) -> dt.date:
        return self.today


@dataclass
class CaseApi:
    client: TestClient
    clock: Clock
    settings: Settings
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _applicants: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    _device_secrets: dict[str, str] = field(default_factory=dict)

    def key(self) -> dict[str, str]:
        return {"Idempotency-Key": f"test-{next(self._keys)}"}

    def staff(self, username: str) -> dict[str, str]:
        # argon2 makes each login slow on purpose; the demo accounts and the secret key are the same in
        # every test app, so a token from one real login serves the whole session.
        if username not in STAFF_TOKENS:
            answer = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
            )
            assert answer.status_code == 200, answer.text
            STAFF_TOKENS[username] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {STAFF_TOKENS[username]}"}

    def device_secret(self, device_id: str = "kiosk-01", kind: str = "kiosk") -> str:
        """The device's own secret, enrolled once per app (registered by the admin, code exchanged)."""
        if device_id not in self._device_secrets:
            self._device_secrets[device_id] = enrol(self.client, self.staff("admin"), device_id, kind)
        return self._device_secrets[device_id]

    def device(self, device_id: str = "kiosk-01", kind: str = "kiosk") -> dict[str, str]:
        answer = self.client.post(
            "/api/v1/auth/device-token",
            json={"device_id": device_id, "secret": self.device_secret(device_id, kind)},
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def applicant(self, name: str = "张三", id_number: str = ID_A) -> dict[str, str]:
        """A card sign-in at kiosk-01 (tokens kept: each sign-in counts against the kiosk's limit)."""
        if (name, id_number) not in self._applicants:
            self._applicants[name, id_number] = card_sign_in(
                self.client, secret=self.device_secret(), name=name, id_number=id_number
            )
        return self._applicants[name, id_number]

    def file_case(
        self,
        item_code: str = ITEM_COMPANY,
        *,
        id_number: str = ID_A,
        name: str = "张三",
        complete: bool = True,
    ) -> dict[str, Any]:
        """A case filed at the window; `complete`: with every required material handed in (uploaded by
        the clerk), so that it can be accepted."""
        answer = self.client.post(
            "/api/v1/cases",
            json={
                "item_code": item_code,
                "channel": "window",
                "applicant": {"name": name, "id_number": id_number, "phone": "13812345678"},
            },
            headers={**self.staff("clerk1"), **self.key()},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        if complete:
            hand_in(self.client, body["id"], item_code, self.staff("clerk1"))
        return body

    def joint_opinion(
        self, case_id: int, user: str = "taxreviewer1", conclusion: str = "agree", expect: int = 200
    ) -> dict[str, Any]:
        """The joint department's opinion (ITEM_COMPANY's is 州税务局): the lead's decision waits for it."""
        answer = self.client.post(
            f"/api/v1/cases/{case_id}/joint-opinion",
            json={"conclusion": conclusion, "opinion": "无涉税异议，同意办理"},
            headers=self.staff(user),
        )
        assert answer.status_code == expect, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def context(self, session: Session, username: str) -> Context:
        """The case operations' context for a staff member, as the app builds it for their token."""
        services = self.client.app.state.services  # type: ignore[attr-defined]
        principal = services.signer.read(self.staff(username)["Authorization"].removeprefix("Bearer "))
        return Context(session, services.calendars.get(session), services.cipher, self.clock.today, principal)

    def conclude_site_visit(
        self,
        case_id: int,
        scheduler: str = "approver1",
        inspectors: tuple[str, ...] = ("approver1", "reviewer1"),
    ) -> None:
        """A required visit scheduled today by `scheduler` and recorded 符合 by the last inspector, through
        the API (/api/v1/cases/{id}/site-visits; the staff pages are clicked in test_site_visit_journey)."""
        visits = f"/api/v1/cases/{case_id}/site-visits"
        body = {"visit_on": self.clock.today.isoformat(), "place": "申请人经营场所", "inspectors": inspectors}
        scheduled = self.client.post(visits, json=body, headers={**self.staff(scheduler), **self.key()})
        assert scheduled.status_code == 201, scheduled.text
        visit = scheduled.json()
        findings = [{"point": point, "met": True} for point in visit["check_points"]]
        recorded = self.client.post(
            f"{visits}/{visit['id']}/record",
            json={"findings": findings, "conclusion": "pass"},
            headers=self.staff(inspectors[-1]),
        )
        assert recorded.status_code == 200, recorded.text

    def act(self, case_id: int, action: str, user: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        answer = self.client.post(
            f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=self.staff(user)
        )
        assert answer.status_code == expect, answer.text
        result: dict[str, Any] = answer.json()
        return result


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        case={"sweep_interval_seconds": 0},
    )


@pytest.fixture
def case_api(database_url: str, tmp_path: Path) -> Iterator[CaseApi]:
    clock = Clock()
    settings = make_settings(database_url, tmp_path)
    app = create_app(settings, today=clock)
    with TestClient(app) as client:
        yield CaseApi(client, clock, settings)
    app.state.engine.dispose()


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[CaseApi]:
    """Only the embedded default, for tests whose logic does not depend on the database."""
    clock = Clock()
    settings = make_settings(f"sqlite:///{tmp_path / 'case.db'}", tmp_path)
    app = create_app(settings, today=clock)
    with TestClient(app) as client:
        yield CaseApi(client, clock, settings)
    app.state.engine.dispose()
