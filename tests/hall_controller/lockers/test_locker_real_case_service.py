"""The whole locker flow against the real case service process, as the hall runs it.

`hall case-service` on its own port, Mosquitto, the gateway over simulated boards on a pty, and the
controller with HALL_CONTROLLER__LOCKER_CASES=case-service: the lockers read the case and its release
contact from the case service and move it through the controller's outbox (ready for pickup, delivered,
returned to the window) — also when the case service is away for a while.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from case_service.bootstrap import demo_password
from case_service.domain.identity import make_id_number
from devices.lockboard.gateway import LockerGateway
from devices.protocol import lockers
from firmware_sim.lockers.rig import LockerRig, start_rig
from hall.settings import Settings
from hall_controller.app import create_app
from hall_controller.lockers.case_http import HttpCaseClient
from hall_controller.lockers.extension import LockersExtension
from hall_controller.lockers.notify import FileSmsProvider
from tests.fixtures.devices import enrol_controller
from tests.fixtures.hall import HallProcess
from tests.fixtures.mqtt import Broker
from tests.hall_controller import harness
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers
from tests.hall_controller.lockers.test_locker_case_service import CaseService

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BANK = "locker-bank-01"
API = "/api/v1/ext/lockers"
PHONE = "13812345678"
ID_NUMBER = make_id_number("11010519900307123")


def wait_until(predicate: Callable[[], object], timeout: float = 40.0) -> bool:
    return harness.wait_until(predicate, timeout)


@dataclass
class RealHall:
    cases: CaseService
    case_process: HallProcess
    controller: TestClient
    settings: Settings
    extension: LockersExtension
    gateway: LockerGateway
    rig: LockerRig
    sms_file: Path

    def state(self, case_id: int) -> str:
        return str(self.cases.case(case_id)["state"])

    def deposit(self, case_id: int) -> int:
        answer = self.controller.post(f"{API}/deposits", json={"case_id": str(case_id), "size": "S"})
        assert answer.status_code == 200, answer.text
        number = int(answer.json()["number"])
        self.rig.person_puts_item_and_closes(number)
        return number


@pytest.fixture
def real_hall(
    mosquitto: Broker, start_hall_process: Callable[..., HallProcess], tmp_path: Path
) -> Iterator[RealHall]:
    case_process = start_hall_process("case-service", case__sweep_interval_seconds="0")
    assert case_process.url is not None
    port = case_process.url.rsplit(":", 1)[1]
    hall_id = new_hall_id()
    settings = controller_settings(
        mosquitto.url,
        tmp_path / "controller",
        hall_id,
        case={"port": int(port)},
        controller={"locker_cases": "case-service"},
    )
    enrol_controller(case_process.url, settings)  # as the hall's controller, its credential file in place
    rig = start_rig(pulse_seconds=0.05, open_timeout=1.5, left_open_seconds=30)
    gateway = LockerGateway(hall_id, BANK, rig.bank, poll_seconds=0.02)
    sms_file = tmp_path / "sms.jsonl"
    factory = functools.partial(LockersExtension, sms=FileSmsProvider(sms_file), unlock_timeout=4.0)
    app = create_app(settings, [factory])
    try:
        with (
            httpx.Client(base_url=case_process.url, timeout=30) as case_http,
            TestClient(app, headers=staff_headers(settings, "clerk1")) as controller,
        ):
            extension = app.state.controller.extensions[0]
            assert isinstance(extension, LockersExtension)
            assert isinstance(extension.cases, HttpCaseClient)
            gateway.start(mosquitto.url)
            try:
                assert wait_until(lambda: len(controller.get(f"{API}/compartments").json()) == 8)
                yield RealHall(
                    CaseService(case_http, settings),
                    case_process,
                    controller,
                    settings,
                    extension,
                    gateway,
                    rig,
                    sms_file,
                )
            finally:
                gateway.stop()
    finally:
        rig.stop()


def released(hall: RealHall, key: str) -> int:
    body = hall.cases.case_ready_for_locker(key)
    return int(body["id"])


def test_deposit_sms_id_card_pickup_and_return_move_the_real_case(
    real_hall: RealHall, tmp_path: Path
) -> None:
    hall = real_hall
    # Staff log in through the controller (forwarded to the case service); that token works here.
    login = {"username": "clerk1", "password": demo_password("clerk1")}
    refused = hall.controller.post("/api/v1/auth/login", json={**login, "password": "wrong-password"})
    assert refused.status_code == 401
    signed_in = hall.controller.post("/api/v1/auth/login", json=login)
    assert signed_in.status_code == 200 and signed_in.json()["roles"] == ["clerk"], signed_in.text
    hall.controller.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"

    case_id = released(hall, "real-lockers-1")
    number = hall.deposit(case_id)
    assert wait_until(lambda: hall.state(case_id) == "ready_for_pickup"), hall.state(case_id)

    # The release contact reached the controller: the SMS went to the applicant's real number.
    assert wait_until(lambda: hall.sms_file.exists() and hall.sms_file.read_text("utf-8").strip())
    sms = [json.loads(line) for line in hall.sms_file.read_text("utf-8").splitlines()]
    assert sms[-1]["to"] == "138****5678" and f"第 {number} 格" in sms[-1]["text"]

    # The applicant lays the ID card on the bank's reader: only the keyed hash crosses the broker.
    board, lock = hall.rig.firmware(number)
    hall.gateway.enter(lockers.PickupMethod.ID_CARD, ID_NUMBER)
    assert wait_until(lambda: board.truly_open(lock))
    hall.rig.person_takes_item_and_closes(number)
    assert wait_until(lambda: hall.state(case_id) == "delivered"), hall.state(case_id)
    receipt = hall.cases.case(case_id)["delivery_receipt"]["delivered"]
    assert receipt["method"] == "locker" and receipt["identified_by"] == "id_card"
    assert receipt["compartment"] == number

    # Not collected: a clerk takes it back out, and the case returns to the window.
    second = released(hall, "real-lockers-2")
    number = hall.deposit(second)
    assert wait_until(lambda: hall.state(second) == "ready_for_pickup"), hall.state(second)
    answer = hall.controller.post(f"{API}/returns", json={"bank_id": BANK, "number": number})
    assert answer.status_code == 200, answer.text
    hall.rig.person_takes_item_and_closes(number)
    assert wait_until(lambda: hall.state(second) == "ready_for_release"), hall.state(second)

    outbox = hall.extension.context.outbox
    assert outbox is not None and {e.state for e in outbox.entries()} == {"delivered"}
    # Personal data at rest in the controller: the phone encrypted, the ID number only as a keyed hash.
    for path in (tmp_path / "controller").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PHONE.encode() not in data and ID_NUMBER.encode() not in data, path


def test_a_case_service_outage_delays_the_case_but_loses_nothing(real_hall: RealHall) -> None:
    hall = real_hall
    case_id = released(hall, "real-lockers-3")
    answer = hall.controller.post(f"{API}/deposits", json={"case_id": str(case_id), "size": "S"})
    assert answer.status_code == 200, answer.text
    number = int(answer.json()["number"])
    hall.case_process.stop()  # the link to the case service is cut while the door is open
    hall.rig.person_puts_item_and_closes(number)
    outbox = hall.extension.context.outbox
    assert outbox is not None
    assert wait_until(lambda: any(e.attempts > 0 for e in outbox.entries("pending")))
    # The applicant can still collect: the locker does not wait for the case service.
    notice = hall.extension.service.last_notice if hall.extension.service else None
    assert notice is not None
    answer = hall.controller.post(
        f"{API}/pickups", json={"bank_id": BANK, "method": "code", "value": notice.code}
    )
    assert answer.status_code == 200, answer.text
    hall.rig.person_takes_item_and_closes(number)
    repository = hall.extension.repository
    assert repository is not None
    assert wait_until(lambda: any(d.state == "delivered" for d in repository.deposits_where()))

    hall.case_process.process.start(ready=lambda: _up(hall), timeout=60)
    assert wait_until(lambda: not outbox.entries("pending"), timeout=90)
    assert {e.state for e in outbox.entries()} == {"delivered"}
    assert hall.state(case_id) == "delivered"


def _up(hall: RealHall) -> bool:
    try:
        return hall.cases.client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_a_controller_with_the_wrong_shared_key_says_so_at_sign_in(
    mosquitto: Broker, start_hall_process: Callable[..., HallProcess], tmp_path: Path
) -> None:
    case_process = start_hall_process("case-service", case__sweep_interval_seconds="0")
    assert case_process.url is not None
    settings = controller_settings(
        mosquitto.url,
        tmp_path / "controller",
        new_hall_id(),
        case={"port": int(case_process.url.rsplit(":", 1)[1])},
        controller={"staff_token_key": "not-the-case-service-key-0123456789"},
    )
    with TestClient(create_app(settings, [])) as controller:
        login = {"username": "clerk1", "password": demo_password("clerk1")}
        answer = controller.post("/api/v1/auth/login", json=login)
        assert answer.status_code == 503 and "cannot verify" in answer.text
