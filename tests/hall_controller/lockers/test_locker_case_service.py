"""The locker flow moving a real case in the case service (its app on SQLite) through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from case_service.app import create_app
from case_service.bootstrap import demo_password
from case_service.domain.identity import make_id_number
from hall.settings import Settings
from hall_controller.case_link import CaseServiceClient
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.case_http import HttpCaseClient
from hall_controller.lockers.ports import CaseError
from hall_controller.lockers.service import LockerError
from tests.fixtures.devices import enrol
from tests.fixtures.materials import hand_in
from tests.hall_controller.lockers.conftest import BANK, LockerHall

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ITEM = "513200-XK-SJ-0511"


class CaseService:
    def __init__(self, client: httpx.Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._tokens: dict[str, str] = {}

    def staff(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            answer = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
            )
            assert answer.status_code == 200, answer.text
            self._tokens[username] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def act(self, case_id: int, action: str, user: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(
            f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=self.staff(user)
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def case_ready_for_locker(self, key: str) -> dict[str, Any]:
        answer = self.client.post(
            "/api/v1/cases",
            json={
                "item_code": ITEM,
                "channel": "window",
                "applicant": {
                    "name": "张三",
                    "id_number": make_id_number("11010519900307123"),
                    "phone": "13812345678",
                },
            },
            headers={**self.staff("clerk1"), "Idempotency-Key": key},
        )
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["id"]
        hand_in(self.client, case_id, ITEM, self.staff("clerk1"))
        self.act(case_id, "accept", "clerk1")
        self.act(case_id, "start_review", "reviewer1")
        joint = self.client.post(  # 州税务局, the item's joint department: the decision waits for it
            f"/api/v1/cases/{case_id}/joint-opinion",
            json={"conclusion": "agree", "opinion": "无涉税异议，同意办理"},
            headers=self.staff("taxreviewer1"),
        )
        assert joint.status_code == 200, joint.text
        self.act(case_id, "approve", "approver1", reason="符合法定条件")
        self.act(case_id, "make_certificate", "reviewer1")
        self.act(case_id, "seal", "sealer1")
        return self.act(case_id, "release", "clerk1", channel="locker")

    def case(self, case_id: int) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/cases/{case_id}", headers=self.staff("clerk1"))
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result


def case_client(case_service: CaseService, secret: str) -> HttpCaseClient:
    """Through the controller's own case-service link, on the app in this process."""
    return HttpCaseClient(CaseServiceClient("", "controller-01", secret, http=case_service.client))


@pytest.fixture
def case_service(tmp_path: Path) -> Iterator[CaseService]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'case.db'}",
        data_dir=tmp_path,
        case={"sweep_interval_seconds": 0},
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield CaseService(cast("httpx.Client", client), settings)  # httpx2 under the TestClient
    app.state.engine.dispose()


def test_deposit_and_pickup_move_the_real_case_to_delivered(
    case_service: CaseService, hall_factory: Any
) -> None:
    secret = enrol(case_service.client, case_service.staff("admin"), "controller-01", "controller")
    client = case_client(case_service, secret)
    hall: LockerHall = hall_factory(cases=client)
    released = case_service.case_ready_for_locker("lockers-1")
    case_id = str(released["id"])

    compartment = hall.service.start_deposit(case_id, Size.S, clerk="clerk1")
    assert case_service.case(released["id"])["state"] == "ready_for_release"  # not before the door closed
    hall.rig.person_puts_item_and_closes(compartment.number)
    hall.pump(until="closed")
    assert case_service.case(released["id"])["state"] == "ready_for_pickup"

    notice = hall.service.last_notice
    assert notice is not None
    hall.service.pickup_by_qr(BANK, notice.qr_text)
    hall.rig.person_takes_item_and_closes(compartment.number)
    hall.pump(until="closed")
    delivered = case_service.case(released["id"])
    assert delivered["state"] == "delivered"
    receipt = delivered["delivery_receipt"]["delivered"]
    assert receipt["method"] == "locker" and receipt["identified_by"] == "qr"
    assert receipt["compartment"] == compartment.number and receipt["document"] == "电子送达回证"


def test_a_case_not_released_to_a_locker_is_refused(case_service: CaseService, hall_factory: Any) -> None:
    secret = enrol(case_service.client, case_service.staff("admin"), "controller-01", "controller")
    hall: LockerHall = hall_factory(cases=case_client(case_service, secret))
    submitted = case_service.client.post(
        "/api/v1/cases",
        json={
            "item_code": ITEM,
            "channel": "window",
            "applicant": {
                "name": "李四",
                "id_number": make_id_number("51320119851112004"),
                "phone": "13912345678",
            },
        },
        headers={**case_service.staff("clerk1"), "Idempotency-Key": "lockers-2"},
    )
    assert submitted.status_code == 201, submitted.text
    with pytest.raises(LockerError, match="not ready for release"):
        hall.service.start_deposit(str(submitted.json()["id"]), Size.S, clerk="clerk1")
    with pytest.raises(LockerError, match="404"):
        hall.service.start_deposit("999999", Size.S, clerk="clerk1")
    assert all(c.state == "free" for c in hall.repository.compartments())


def test_a_wrong_device_secret_is_a_case_error(case_service: CaseService) -> None:
    with pytest.raises(CaseError, match="401"):
        case_client(case_service, "wrong").releasable("1")


def test_an_unreachable_case_service_is_a_case_error() -> None:
    from hall.net import free_port

    client = HttpCaseClient(
        CaseServiceClient(f"http://127.0.0.1:{free_port()}", "controller-01", "x", timeout=2)
    )
    with pytest.raises(CaseError, match="unreachable"):
        client.mark_ready_for_pickup("1", "locker-bank-01/01")
