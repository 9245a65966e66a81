"""Issue 15 (好差评): a rating comes from the window's own evaluator, or from the applicant holding the
rating's token; nobody else posts a 1-star rating and opens a follow-up against a clerk.

A simulated hall (controller, caller keypads, evaluators, displays as firmware_sim devices) over a real
broker; the stranger uses HTTP without any token, or another window's evaluator over MQTT.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import wait_until
from tests.hall_controller.queue.morning import SimHall, sim_hall

pytestmark = pytest.mark.integration

QUEUE = "/api/v1/ext/queue"


@pytest.fixture
def hall(any_broker: Broker, tmp_path: Path) -> Iterator[SimHall]:
    with sim_hall(any_broker.url, tmp_path / "controller") as simulated:
        yield simulated


def stranger(hall: SimHall) -> TestClient:
    """The same controller, without the desk's staff token."""
    assert hall.client is not None
    return TestClient(hall.client.app)


def served(hall: SimHall, window: int = 1) -> dict[str, Any]:
    """A ticket served and finished at `window` through the desk: the rating request it opened."""
    assert hall.api("POST", f"/windows/{window}/actions", json={"key": "sign-in"}).status_code == 200
    assert hall.api("POST", "/tickets", json={"service": "business", "source": "window"}).status_code == 201
    assert hall.api("POST", f"/windows/{window}/actions", json={"key": "next"}).status_code == 200
    done = hall.api("POST", f"/windows/{window}/actions", json={"key": "finish", "case_id": "17"})
    assert done.status_code == 200, done.text
    rating: dict[str, Any] = done.json()["rating"]
    return rating


def test_a_stranger_cannot_rate_nor_open_a_follow_up(hall: SimHall) -> None:
    rating = served(hall)
    outsider = stranger(hall)
    for body in ({"level": 1}, {"level": 1, "token": "0" * 32}, {"level": 1, "token": rating["rating_id"]}):
        answer = outsider.post(f"{QUEUE}/ratings/{rating['rating_id']}", json=body)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "bad_rating_token", answer.text
    book = hall.book()
    assert book.ratings[rating["rating_id"]].state.value == "pending"
    assert book.open_follow_ups() == []
    # The applicant, with the token handed over with the request, rates once.
    token = {"level": 2, "token": rating["token"]}
    given = outsider.post(f"{QUEUE}/ratings/{rating['rating_id']}", json=token)
    assert given.status_code == 200 and given.json()["follow_up"] is not None, given.text
    assert outsider.post(f"{QUEUE}/ratings/{rating['rating_id']}", json=token).status_code == 409
    # The follow-ups list (a manager's) does not hand the token out again.
    listed = hall.api("GET", "/follow-ups").json()
    assert listed and "token" not in listed[0]["rating"]


def test_rating_ids_cannot_be_guessed(hall: SimHall) -> None:
    first = served(hall)["rating_id"]
    kiosk = hall.api("POST", "/kiosk-ratings", json={"case_id": "88"})
    assert kiosk.status_code == 201 and kiosk.json()["token"]
    ids = [first, kiosk.json()["rating_id"]]
    assert len(set(ids)) == 2
    for rating_id in ids:
        # Not the day, the ticket number or a counter: at least 96 random bits.
        assert re.fullmatch(r"[rk]-[0-9a-f]{24}", rating_id), rating_id
    assert (
        stranger(hall).post(f"{QUEUE}/ratings/{kiosk.json()['rating_id']}", json={"level": 1}).status_code
        == 403
    )


def test_only_the_windows_own_evaluator_rates_over_mqtt(hall: SimHall) -> None:
    rating = served(hall, window=1)
    evaluator = hall.windows[1].evaluator
    assert wait_until(lambda: evaluator.asking is not None), "the evaluator was never asked"
    # Window 2's evaluator (or anything calling itself an evaluator) presses 1 for window 1's clerk.
    extension = hall.extension
    before = extension.events_handled
    hall.windows[2].evaluator.rate(1, rating_id=rating["rating_id"])
    assert wait_until(lambda: extension.events_handled > before), "the rating was never handled"
    assert hall.book().ratings[rating["rating_id"]].state.value == "pending"
    assert hall.book().open_follow_ups() == []
    # The applicant at window 1 presses 5 on the window's own evaluator: taken.
    assert hall.rate(1, 5) == rating["rating_id"]
    assert wait_until(lambda: hall.book().ratings[rating["rating_id"]].state.value == "rated")
    assert hall.book().ratings[rating["rating_id"]].level == 5
