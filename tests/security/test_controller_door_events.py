"""Issue 15 (door events trusted blindly): whoever can publish on a locker bank's topics must not be able
to make the controller believe a door closed on a deposited result, nor open a door unnoticed.

A real controller, a real broker (Mosquitto and the embedded amqtt) and the real locker gateway over
simulated lock boards; the forger is a separate MQTT client that watches the bank's traffic and
publishes in its name (what any process on an unauthenticated broker can do).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import lockers, topics
from devices.protocol.payloads import Command, Event
from hall_controller.alarms import Alarm
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import staff_headers
from tests.hall_controller.lockers.test_locker_mqtt import API, BANK, Hall, running_hall, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The alarm codes, as a manager sees them in the alarm list.
FOREIGN_COMMAND = "foreign_command"
DOOR_EVENT_UNCONFIRMED = "door_event_unconfirmed"
DOOR_OPENED_WITHOUT_UNLOCK = "door_opened_without_unlock"


class Forger:
    """A stranger on the broker: follows the bank's sequence numbers and publishes in the bank's name."""

    def __init__(self, broker: Broker, hall_id: str) -> None:
        self.hall_id = hall_id
        self.instance = ""
        self.seq = 0
        self._subscribed = threading.Event()
        self._client = paho.Client(CallbackAPIVersion.VERSION2)
        bank_topics = f"{topics.ROOT}/{topics.VERSION}/{hall_id}/{BANK}/#"
        self._client.on_connect = lambda client, *_: client.subscribe(bank_topics)
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._heard
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        assert self._subscribed.wait(10), "the forger did not subscribe"

    def _heard(self, _client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        try:
            body = json.loads(message.payload)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("seq"), int) and body.get("instance"):
            self.instance = str(body["instance"])
            self.seq = max(self.seq, int(body["seq"]))

    def door_event(self, number: int, change: lockers.DoorChange, occupied: bool) -> None:
        assert wait_until(lambda: self.instance, 10), "the forger never heard the bank"
        self.seq += 1000  # well ahead of the bank's own counter, so no message of the bank shares it
        data = lockers.DoorEventData(compartment=number, change=change, occupied=occupied, seen=time.time())
        event = Event(instance=self.instance, seq=self.seq, ts=time.time(), data=data.model_dump(mode="json"))
        where = topics.topic(self.hall_id, BANK, topics.Channel.EVT, lockers.DOOR_EVENT)
        self._client.publish(where, event.encode(), qos=1).wait_for_publish(5)

    def unlock(self, number: int, request_id: str = "f0f0f0f0") -> None:
        args = lockers.UnlockArgs(compartment=number).model_dump()
        command = Command(request_id=request_id, args=args, expires=time.time() + 30)
        where = topics.topic(self.hall_id, BANK, topics.Channel.CMD, lockers.UNLOCK)
        self._client.publish(where, command.encode(), qos=1).wait_for_publish(5)

    def stop(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


@pytest.fixture
def hall(any_broker: Broker, tmp_path: Path) -> Iterator[Hall]:
    with running_hall(any_broker, tmp_path) as hall:
        yield hall


@pytest.fixture
def forger(hall: Hall, any_broker: Broker) -> Iterator[Forger]:
    forger = Forger(any_broker, hall.controller.hall_id)
    yield forger
    forger.stop()


def alarms(hall: Hall, code: str) -> list[Alarm]:
    return [alarm for alarm in hall.controller.alarms.attention() if alarm.code == code]


def deposit(hall: Hall, case_id: str) -> int:
    hall.add_case(case_id)
    answer = hall.client.post(f"{API}/deposits", json={"case_id": case_id, "size": "S"})
    assert answer.status_code == 200, answer.text
    number = int(answer.json()["number"])
    board, lock = hall.rig.firmware(number)
    assert wait_until(lambda: board.truly_open(lock)), "the deposit did not open the door"
    return number


def test_a_forged_closed_occupied_event_does_not_make_an_open_empty_compartment_ready(
    hall: Hall, forger: Forger
) -> None:
    number = deposit(hall, "C-forged")
    forger.door_event(number, lockers.DoorChange.CLOSED, occupied=True)

    assert wait_until(
        lambda: alarms(hall, DOOR_EVENT_UNCONFIRMED) or hall.cases.states["C-forged"] != "ready_for_release",
        20,
    ), "the forged closing was neither applied nor alarmed"
    # The door stands open and empty: the case is not ready for pickup and no SMS went out.
    assert hall.cases.states["C-forged"] == "ready_for_release"
    [alarm] = alarms(hall, DOOR_EVENT_UNCONFIRMED)
    # An event, not a lasting condition: over at once, open until a manager acknowledges it.
    assert alarm.device_id == BANK and not alarm.active and alarm.acknowledged_at is None
    # The next forged closing is an alarm of its own, not swallowed by the first.
    forger.door_event(number, lockers.DoorChange.CLOSED, occupied=True)
    assert wait_until(lambda: len(alarms(hall, DOOR_EVENT_UNCONFIRMED)) == 2, 20), alarms(
        hall, DOOR_EVENT_UNCONFIRMED
    )
    assert not hall.sms_file.exists() or not hall.sms_file.read_text("utf-8").strip()
    board, lock = hall.rig.firmware(number)
    assert board.truly_open(lock)

    # The clerk really puts the result in and closes the door: that closing is believed.
    hall.rig.person_puts_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states["C-forged"] == "ready_for_pickup"), hall.cases.states
    # The controller's own unlock was recognised as its own.
    assert not alarms(hall, FOREIGN_COMMAND)


def test_an_unlock_the_controller_did_not_send_raises_alarms_and_moves_nothing(
    hall: Hall, forger: Forger
) -> None:
    number = deposit(hall, "C-kept")
    hall.rig.person_puts_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states["C-kept"] == "ready_for_pickup")

    forger.unlock(number)  # the gateway obeys: the door really opens
    board, lock = hall.rig.firmware(number)
    assert wait_until(lambda: board.truly_open(lock)), "the gateway did not obey the forged unlock"
    assert wait_until(lambda: alarms(hall, FOREIGN_COMMAND)), "no alarm for a foreign unlock"
    assert [alarm.device_id for alarm in alarms(hall, FOREIGN_COMMAND)] == [BANK]
    assert wait_until(lambda: alarms(hall, DOOR_OPENED_WITHOUT_UNLOCK)), "no alarm for the unasked opening"
    # The result is still inside and the case is still waiting for its applicant.
    assert hall.cases.states["C-kept"] == "ready_for_pickup"
    # A second foreign command is an alarm of its own.
    forger.unlock(number, request_id="0f0f0f0f")
    assert wait_until(lambda: len(alarms(hall, FOREIGN_COMMAND)) == 2), alarms(hall, FOREIGN_COMMAND)


def test_a_forged_opening_raises_an_alarm(hall: Hall, forger: Forger) -> None:
    number = deposit(hall, "C-open")
    hall.rig.person_puts_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states["C-open"] == "ready_for_pickup")
    other = number + 1
    forger.door_event(other, lockers.DoorChange.OPENED, occupied=False)
    assert wait_until(lambda: alarms(hall, DOOR_OPENED_WITHOUT_UNLOCK)), "no alarm for the forged opening"
    repository = hall.extension.repository
    assert repository is not None
    assert not repository.door_opened_since(f"{BANK}/{other:02d}", 0)


def test_each_forged_opening_is_an_alarm_only_a_manager_acknowledges(
    hall: Hall, forger: Forger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    number = deposit(hall, "C-twice")
    hall.rig.person_puts_item_and_closes(number)
    assert wait_until(lambda: hall.cases.states["C-twice"] == "ready_for_pickup")
    other = number + 1
    manager = TestClient(
        hall.client.app, headers=staff_headers(hall.controller.settings, "值班经理", ("manager",))
    )
    stranger = TestClient(hall.client.app)  # no token

    def listed() -> list[dict[str, object]]:  # the alarm list, as the dashboard reads it
        return [a for a in stranger.get("/api/v1/alarms").json() if a["code"] == DOOR_OPENED_WITHOUT_UNLOCK]

    forger.door_event(other, lockers.DoorChange.OPENED, occupied=False)
    assert wait_until(lambda: len(listed()) == 1), "no alarm for the first forged opening"
    forger.door_event(other, lockers.DoorChange.OPENED, occupied=False)
    assert wait_until(lambda: len(listed()) == 2), listed()
    first, second = listed()
    assert first["alarm_id"] != second["alarm_id"]
    for alarm in (first, second):
        assert alarm["event"] is True and alarm["active"] is False and alarm["acknowledged_at"] is None
        assert alarm["device_id"] == BANK and alarm["severity"] == "critical"

    # Neither a stranger nor the clerk acknowledges; the manager does, each alarm by itself.
    ack = f"/api/v1/alarms/{first['alarm_id']}/ack"
    assert stranger.post(ack, json={}).status_code == 401
    assert hall.client.post(ack, json={}).status_code == 403  # the clerk's token
    assert len(listed()) == 2
    answer = manager.post(ack, json={})
    assert answer.status_code == 200 and answer.json()["acknowledged_by"] == "值班经理"
    [still_open] = listed()
    assert still_open["alarm_id"] == second["alarm_id"]
    seen = manager.get("/api/v1/dashboard").json()
    assert [a["alarm_id"] for a in seen["acknowledged"]] == [first["alarm_id"]]
    assert second["alarm_id"] in [a["alarm_id"] for a in seen["alarms"]]
    assert manager.post(f"/api/v1/alarms/{second['alarm_id']}/ack", json={}).status_code == 200
    assert listed() == []

    # The alarm lines in the log name the bank and compartment, never the applicant's ID or phone.
    lines = [r.getMessage() for r in caplog.records]
    raised = [
        line for line in lines if line.startswith(f"alarm critical {DOOR_OPENED_WITHOUT_UNLOCK} on {BANK}")
    ]
    assert len(raised) == 2 and all(f"第 {other} 格" in line for line in raised), lines
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "11010119900307123X" not in everything and "13912345678" not in everything
