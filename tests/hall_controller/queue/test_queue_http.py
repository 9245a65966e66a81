"""The queue's HTTP side over a real broker (Mosquitto and the embedded amqtt): clear refusals for bad
input, nothing lost, never a 500 — also for random garbage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_sim.queue.devices import QueueDisplay
from firmware_sim.queue.speech import SilentSpeaker
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import wait_until
from tests.hall_controller.queue.morning import SimHall, sim_hall

pytestmark = pytest.mark.integration


@pytest.fixture
def hall(any_broker: Broker, tmp_path: Path) -> Any:
    with sim_hall(any_broker.url, tmp_path / "controller") as simulated:
        yield simulated


def refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code and answer.json()["error"]["message"]


def test_bad_input_gets_a_clear_refusal_and_changes_nothing(hall: SimHall) -> None:
    api = hall.api
    refused(
        api("POST", "/tickets", json={"service": "passports", "source": "window"}), 404, "unknown_service"
    )
    refused(api("POST", "/windows/1/actions", json={"key": "next"}), 409, "window_closed")
    refused(api("POST", "/windows/42/actions", json={"key": "next"}), 404, "unknown_window")
    refused(api("POST", "/tickets", json={"service": "business", "id_number": "12345"}), 422, "bad_id_number")
    refused(
        api("POST", "/remote-tickets", json={"service": "business", "phone": "12345678901"}), 422, "bad_phone"
    )
    refused(api("POST", "/tickets", json={"service": "business", "source": "kiosk"}), 422, "person_required")
    assert api("POST", "/tickets", json={"service": "business", "colour": "red"}).status_code == 422
    assert api("POST", "/windows/1/actions", json={"key": "dance"}).status_code == 422

    assert api("POST", "/windows/1/actions", json={"key": "sign-in", "clerk": "c1"}).status_code == 200
    ticket = api("POST", "/tickets", json={"service": "business", "id_number": "11010519491231002X"})
    assert ticket.status_code == 201 and ticket.json()["number"] == "A001"
    refused(
        api("POST", "/tickets", json={"service": "business", "id_number": "11010519491231002x"}),
        409,
        "hoarding",
    )
    called = api("POST", "/windows/1/actions", json={"key": "next"}).json()
    assert called["ticket"]["number"] == "A001" and called["ticket"]["state"] == "called"
    done = api("POST", "/windows/1/actions", json={"key": "finish", "outcome": "受理", "case_id": "17"})
    rating_id, token = done.json()["rating"]["rating_id"], done.json()["rating"]["token"]
    refused(api("POST", "/windows/1/actions", json={"key": "finish", "outcome": "受理"}), 409, "no_ticket")
    refused(api("POST", f"/ratings/{rating_id}", json={"level": 9, "token": token}), 422, "bad_level")
    assert api("POST", f"/ratings/{rating_id}", json={"level": 2, "token": token}).json()["follow_up"]["due"]
    refused(api("POST", f"/ratings/{rating_id}", json={"level": 5, "token": token}), 409, "already_rated")
    refused(api("POST", "/ratings/nope", json={"level": 5}), 403, "bad_rating_token")
    refused(api("POST", "/tickets/A001/cancel"), 409, "not_waiting")
    refused(api("GET", "/tickets/Z999"), 404, "unknown_ticket")

    kiosk = api("POST", "/kiosk-ratings", json={"case_id": "88"})
    assert kiosk.status_code == 201 and kiosk.json()["channel"] == "kiosk"
    refused(api("POST", "/kiosk-ratings", json={"case_id": "88"}), 409, "already_rated")  # one per matter
    rated = api(
        "POST", f"/ratings/{kiosk.json()['rating_id']}", json={"level": 5, "token": kiosk.json()["token"]}
    )
    assert rated.status_code == 200, rated.text
    refused(api("POST", "/kiosk-ratings", json={"case_id": "88"}), 409, "already_rated")

    book = hall.book()
    assert list(book.tickets) == ["A001"] and len(book.open_follow_ups()) == 1
    # nothing personal is kept in the journal: the ID number is only a keyed hash
    journal = json.dumps(
        hall.controller.store.collection(f"queue.journal.{book.day}").items(), ensure_ascii=False
    )
    assert "11010519491231002X" not in journal.upper()


BODIES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
KNOWN_KEYS = st.sampled_from(
    [
        "service",
        "source",
        "priority",
        "id_number",
        "key",
        "number",
        "level",
        "dimensions",
        "clerk",
        "to_window",
        "outcome",
        "note",
        "case_id",
        "phone",
        "next_service",
        "reason",
        "close",
        "appointment_id",
    ]
)
KNOWN_VALUES = (
    st.sampled_from(
        [
            "business",
            "kiosk",
            "window",
            "elderly",
            "next",
            "finish",
            "sign-in",
            "A001",
            "11010519491231002X",
            3,
            -1,
        ]
    )
    | BODIES
)
SHAPED = st.dictionaries(KNOWN_KEYS, KNOWN_VALUES, max_size=6)
PATHS = st.sampled_from(
    [
        "/tickets",
        "/remote-tickets",
        "/windows/1/actions",
        "/windows/0/actions",
        "/windows/x/actions",
        "/ratings/r-1",
        "/kiosk-ratings",
        "/follow-ups/f-1/callbacks",
        "/tickets/A001/cancel",
    ]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=PATHS, body=BODIES | SHAPED)
def test_garbage_never_breaks_the_queue(hall: SimHall, path: str, body: object) -> None:
    answer = hall.api("POST", path, json=body)
    assert answer.status_code < 500, answer.text
    assert answer.status_code in (200, 201) or answer.json()


def test_keypads_and_evaluators_get_refusals_not_crashes(hall: SimHall) -> None:
    keypad = hall.windows[2].keypad
    evaluator = hall.windows[2].evaluator
    extension = hall.extension
    before = extension.events_handled
    keypad.publish_event("key", {"key": "dance", "number": 7})  # outside the contract
    keypad.press("next")  # window 2 has no clerk yet
    evaluator.rate(5, rating_id="r-unknown")
    assert wait_until(lambda: extension.events_handled == before + 3)
    closed_said = wait_until(lambda: any("window 2 is closed" in shown.text for shown in keypad.history))
    assert closed_said, (keypad.history, extension.failed_commands)
    hall.press(2, "sign-in", clerk="clerk-2")
    hall.press(2, "next")
    assert wait_until(lambda: any("nobody waiting" in shown.text for shown in keypad.history))
    invalid_said = wait_until(lambda: any("invalid key" in shown.text for shown in keypad.history))
    assert invalid_said, (keypad.history, extension.failed_commands)
    assert hall.api("POST", "/tickets", json={"service": "social", "source": "window"}).status_code == 201
    hall.press(2, "next")
    assert wait_until(
        lambda: hall.windows[2].led.shown is not None and hall.windows[2].led.shown.number == "B001"
    )
    assert hall.book().windows[2].ticket == "B001"


def test_a_display_that_restarts_shows_the_current_calls(hall: SimHall) -> None:
    hall.press(4, "sign-in", clerk="clerk-4")
    assert hall.api("POST", "/tickets", json={"service": "permits", "source": "window"}).status_code == 201
    hall.press(4, "next")
    assert wait_until(lambda: hall.display.shown is not None and hall.display.shown.latest is not None)
    hall.display.stop(clean=False)  # power cut: the broker publishes its last will
    restarted = QueueDisplay(hall.settings.hall_id, "main-display", SilentSpeaker())
    restarted.start(hall.settings.resolved_mqtt_url)
    try:
        assert wait_until(
            lambda: (
                restarted.shown is not None
                and restarted.shown.latest is not None
                and restarted.shown.latest.number == "C001"
                and restarted.shown.latest.window == 4
            ),
            timeout=15,
        )
        led = hall.windows[4].led
        assert led.shown is not None and led.shown.number == "C001"
    finally:
        restarted.stop()


def test_a_show_lost_on_the_way_is_sent_again(hall: SimHall, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a broker restart, before the display has subscribed again: a call's show is lost; the
    display, still online, is shown the newest state once the command has timed out."""
    from devices.protocol import topics
    from hall_controller.queue import pump

    monkeypatch.setattr(pump, "COMMAND_SECONDS", 1.0)
    client = hall.display.client
    assert client is not None
    commands = topics.command_filter(hall.settings.hall_id, hall.display.device_id)
    client.unsubscribe(commands)
    hall.press(1, "sign-in", clerk="clerk-1")
    assert hall.api("POST", "/tickets", json={"service": "business", "source": "window"}).status_code == 201
    hall.press(1, "next")
    assert wait_until(lambda: hall.extension.failed_commands["show-calls timeOut"] >= 1, timeout=10)
    assert hall.display.shown is None or hall.display.shown.latest is None
    client.subscribe(commands, qos=1)
    assert wait_until(
        lambda: (
            hall.display.shown is not None
            and hall.display.shown.latest is not None
            and hall.display.shown.latest.number == "A001"
        ),
        timeout=10,
    )
