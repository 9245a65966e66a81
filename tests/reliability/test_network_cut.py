"""A real network cut between the hall and the case service: a blackholing TCP forwarder in the path.

Stopping the case service (test_case_service_outage.py) makes connections fail fast; a pulled cable or
a dead router does not: bytes just stop, and every request hangs until its timeout. Here the controller
reaches the case service only through tests/fixtures/netcut.py's link. While the link is cut the hall
keeps issuing, calling and rating, each answer within HALL_ANSWER_SECONDS; a case filed from the hall
during the cut hangs, its client gives up and retries with the same idempotency key after the link is
back — while its first request, held in the cut, may still arrive, late. Afterwards: one case per key, every
rating in the case service exactly once, within CATCH_UP_SECONDS of the link healing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from firmware_sim.queue.devices import Evaluator
from hall_controller.app import create_app
from hall_controller.controller import HallController
from hall_controller.queue.config import demo_config
from hall_controller.queue.extension import QueueExtension
from soak.netcut import LinkProxy
from tests.fixtures.devices import enrol_controller
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers, wait_until
from tests.reliability.workers import ITEM_COMPANY, CaseWorker, login, person, submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CATCH_UP_SECONDS = 45.0  # the outbox backs off to at most 30 s, and a held attempt times out in 5 s
HALL_ANSWER_SECONDS = 3.0  # what the hall's own actions may take while the link is cut (loaded box)
RATINGS = 3


def timed_post(client: TestClient, path: str, body: dict[str, Any]) -> tuple[Any, float]:
    """The TestClient's answer (an httpx2 response, or httpx's where httpx2 is not installed) and its time."""
    started = time.monotonic()
    answer = client.post(path, json=body)
    return answer, time.monotonic() - started


def test_the_hall_works_through_a_cut_and_catches_up_once(
    case_service: CaseWorker, mosquitto: Broker, link_to: Callable[[int], LinkProxy], tmp_path: Path
) -> None:
    clerk = login(case_service.url, "clerk1")
    cases = [submit(case_service.url, clerk, f"cut-{n}", n).json()["id"] for n in range(RATINGS)]
    link = link_to(int(case_service.url.rsplit(":", 1)[1]))
    hall = new_hall_id()
    settings = controller_settings(mosquitto.url, tmp_path / "controller", hall, case={"port": link.port})
    enrol_controller(case_service.url, settings)  # the controller's own credential, as in a hall
    evaluator = Evaluator(hall, "window-01-evaluator", 1)
    evaluator.start(mosquitto.url)
    app = create_app(settings, [QueueExtension.factory(config=demo_config(), deliver_ratings=True)])
    queue = "/api/v1/ext/queue"
    act = f"{queue}/windows/1/actions"
    with TestClient(app, headers=staff_headers(settings, "clerk-cut")) as controller:
        hall_controller: HallController = app.state.controller
        extension = next(e for e in hall_controller.extensions if isinstance(e, QueueExtension))
        assert wait_until(lambda: hall_controller.registry.get("window-01-evaluator") is not None)
        assert controller.post(act, json={"key": "sign-in", "clerk": "x"}).status_code == 200

        link.cut()
        slowest = 0.0
        for case_id in cases:
            steps: list[tuple[str, dict[str, Any]]] = [
                (f"{queue}/tickets", {"service": "business", "source": "window", "print_slip": False}),
                (act, {"key": "next"}),
                (act, {"key": "start"}),
                (act, {"key": "finish", "outcome": "办结", "case_id": str(case_id)}),
            ]
            answers = []
            for path, body in steps:
                answer, seconds = timed_post(controller, path, body)
                assert answer.status_code in (200, 201), (path, answer.text)
                slowest = max(slowest, seconds)
                answers.append(answer)
            assert answers[1].json()["ticket"]["number"] == answers[0].json()["number"]
            rating: dict[str, Any] = answers[3].json()["rating"]
            rated, seconds = timed_post(
                controller, f"{queue}/ratings/{rating['rating_id']}", {"level": 4, "token": rating["token"]}
            )
            assert rated.status_code == 200, rated.text
            slowest = max(slowest, seconds)
        assert slowest < HALL_ANSWER_SECONDS, f"a hall action took {slowest:.1f} s during the cut"
        assert wait_until(lambda: extension.outbox.counts()["pending"] == RATINGS, timeout=10)

        # A case filed from the hall during the cut: no error comes back, the request just hangs.
        late_body = {"item_code": ITEM_COMPANY, "channel": "window", "applicant": person(90)}
        late_headers = {**clerk, "Idempotency-Key": "cut-late"}
        with pytest.raises(httpx.TimeoutException):
            httpx.post(f"{link.url}/api/v1/cases", json=late_body, headers=late_headers, timeout=1.5)
        time.sleep(1.0)  # let the outbox's attempts hang in the cut as well, then heal
        assert extension.outbox.counts()["delivered"] == 0
        cut_for = link.heal()
        healed = time.monotonic()

        # The client retries with the same key; its first request arrives about now, late.
        retried = httpx.post(f"{link.url}/api/v1/cases", json=late_body, headers=late_headers, timeout=30)
        assert retried.status_code in (200, 201), retried.text
        assert wait_until(lambda: extension.outbox.counts()["delivered"] == RATINGS, timeout=CATCH_UP_SECONDS)
        caught_up = time.monotonic() - healed
        assert extension.outbox.counts() == {"pending": 0, "delivered": RATINGS, "refused": 0}
    evaluator.stop()

    manager = login(case_service.url, "manager1")
    for case_id in cases:
        history = httpx.get(f"{case_service.url}/api/v1/cases/{case_id}/history", headers=manager, timeout=30)
        actions = [entry["action"] for entry in history.json()]
        assert actions.count("case.evaluate") == 1, actions
    listed = httpx.get(f"{case_service.url}/api/v1/cases", params={"limit": 200}, headers=manager, timeout=30)
    assert listed.json()["total"] == RATINGS + 1  # the late case exactly once
    assert retried.json()["id"] not in cases
    print(
        f"network cut of {cut_for:.1f} s: hall actions at most {slowest * 1000:.0f} ms during it; "
        f"{RATINGS} ratings delivered once, {caught_up:.1f} s after it healed; the held case filed once"
    )
