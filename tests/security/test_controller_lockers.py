"""Issue 15 (lockers): a stranger's wrong codes do not lock the rightful holder out of the bank, they
raise an alarm; ID-card pickups over HTTP are rate-limited; the development SMS sink keeps neither the
phone number nor the code.

A real controller, a real broker (Mosquitto and the embedded amqtt) and the real locker gateway over
simulated lock boards; the stranger uses the controller's HTTP API without any token, the applicant the
bank's own keypad.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.domain.states import Role
from devices.protocol import lockers
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import staff_headers
from tests.hall_controller.lockers.test_locker_mqtt import API, BANK, Hall, running_hall, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PICKUP_GUESSING = "pickup_guessing"  # the alarm code, as a manager sees it


@pytest.fixture
def hall(any_broker: Broker, tmp_path: Path) -> Iterator[Hall]:
    with running_hall(any_broker, tmp_path) as hall:
        yield hall


def code_of(hall: Hall) -> str:
    """The code the SMS provider was handed (what the applicant's phone shows)."""
    notice = hall.extension.service.last_notice if hall.extension.service else None
    assert notice is not None
    return notice.code


def deposited(hall: Hall, case_id: str) -> int:
    hall.add_case(case_id)
    answer = hall.client.post(f"{API}/deposits", json={"case_id": case_id, "size": "S"})
    assert answer.status_code == 200, answer.text
    number = int(answer.json()["number"])
    hall.rig.person_puts_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states[case_id] == "ready_for_pickup")
    return number


def test_a_strangers_wrong_codes_do_not_lock_the_applicant_out(hall: Hall) -> None:
    number = deposited(hall, "C-1")
    code = code_of(hall)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    stranger = TestClient(hall.client.app)  # the same controller, no token
    statuses = [
        stranger.post(f"{API}/pickups", json={"bank_id": BANK, "method": "code", "value": wrong}).status_code
        for _ in range(12)
    ]
    assert statuses == [400] * 10 + [429] * 2, statuses
    # The stranger's source waits; it learns nothing more by trying the right code.
    blocked = stranger.post(f"{API}/pickups", json={"bank_id": BANK, "method": "code", "value": code})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    alarms = [a for a in hall.controller.alarms.attention() if a.code == PICKUP_GUESSING]
    assert [a.device_id for a in alarms] == [BANK], hall.controller.alarms.attention()

    # The applicant at the bank types the code from the SMS: the door opens.
    hall.gateway.enter(lockers.PickupMethod.CODE, code)
    board, lock = hall.rig.firmware(number)
    assert wait_until(lambda: board.truly_open(lock)), hall.gateway.device.state_data.get("message")
    hall.rig.person_takes_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states["C-1"] == "delivered")


def test_id_card_pickups_over_http_are_rate_limited(hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    signer = TokenSigner(hall.controller.settings.secret_key.get_secret_value())

    def kiosk(name: str) -> TestClient:
        token, _ = signer.issue(Principal(PrincipalKind.DEVICE, name, frozenset({Role.KIOSK})), 600)
        return TestClient(hall.client.app, headers={"Authorization": f"Bearer {token}"})

    def walk(client: TestClient, start: int) -> list[int]:
        statuses = []
        for index in range(start, start + 12):  # someone at a kiosk walking through other people's IDs
            body = {"bank_id": BANK, "method": "id_card", "value": f"11010119800101{index:03d}1"}
            statuses.append(client.post(f"{API}/pickups", json=body).status_code)
        return statuses

    def guessing() -> list[dict[str, object]]:  # the alarm list, as the dashboard reads it
        return [a for a in hall.client.get("/api/v1/alarms").json() if a["code"] == PICKUP_GUESSING]

    statuses = walk(kiosk("kiosk-07"), 0)
    assert 429 in statuses and statuses.index(429) <= 10, statuses
    assert set(statuses[: statuses.index(429)]) == {400}
    # One alarm for the burst, not one per wrong attempt after the limit tripped.
    [first] = guessing()
    assert first["event"] is True and first["acknowledged_at"] is None
    # Another kiosk's burst (the bank's limit still holding) is an alarm of its own.
    assert 429 in walk(kiosk("kiosk-08"), 100)
    assert len(guessing()) == 2, guessing()

    # Only a manager acknowledges; each alarm by itself.
    manager = TestClient(
        hall.client.app, headers=staff_headers(hall.controller.settings, "值班经理", ("manager",))
    )
    for alarm in guessing():
        ack = f"/api/v1/alarms/{alarm['alarm_id']}/ack"
        assert TestClient(hall.client.app).post(ack, json={}).status_code == 401
        assert hall.client.post(ack, json={}).status_code == 403  # a clerk
        assert manager.post(ack, json={}).status_code == 200
    assert guessing() == []
    acknowledged = manager.get("/api/v1/dashboard").json()["acknowledged"]
    assert [a["acknowledged_by"] for a in acknowledged if a["code"] == PICKUP_GUESSING] == ["值班经理"] * 2

    # The alarm's lines in the log (and every other line) carry none of the ID numbers tried.
    lines = [r.getMessage() for r in caplog.records]
    assert sum(line.startswith(f"alarm critical {PICKUP_GUESSING} on {BANK}") for line in lines) == 2, lines
    assert not any("11010119800101" in line for line in lines)


def test_the_development_sms_sink_keeps_no_phone_number_and_no_code(hall: Hall) -> None:
    number = deposited(hall, "C-2")
    code = code_of(hall)
    assert wait_until(
        lambda: hall.sms_file.exists() and f"第 {number} 格" in hall.sms_file.read_text("utf-8")
    )
    written = hall.sms_file.read_text("utf-8")
    assert code not in written and "13912345678" not in written
    assert "139****5678" in written
    pictures = list(hall.sms_file.parent.glob("qr-*.png"))
    assert pictures and all(p.stat().st_mode & 0o077 == 0 for p in pictures)
