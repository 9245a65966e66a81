"""The case service unreachable from the hall: the hall keeps issuing, calling and taking ratings,
and its outbox delivers every rating to the case service once, after it is back.

Stated catch-up: within 40 s of the case service answering again (the outbox backs off to at most 30 s).
"""

from __future__ import annotations

import time
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
from tests.fixtures.devices import enrol_controller
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers, wait_until
from tests.reliability.workers import CaseWorker, login, submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CATCH_UP_SECONDS = 40.0
RATINGS = 3


def test_ratings_taken_during_an_outage_arrive_once(
    case_service: CaseWorker, mosquitto: Broker, tmp_path: Path
) -> None:
    clerk = login(case_service.url, "clerk1")
    cases = [submit(case_service.url, clerk, f"outage-{n}", n).json()["id"] for n in range(RATINGS)]
    hall = new_hall_id()
    port = int(case_service.url.rsplit(":", 1)[1])
    settings = controller_settings(mosquitto.url, tmp_path / "controller", hall, case={"port": port})
    enrol_controller(case_service.url, settings)  # the controller's own credential, as in a hall
    evaluator = Evaluator(hall, "window-01-evaluator", 1)
    evaluator.start(mosquitto.url)
    factory = QueueExtension.factory(config=demo_config(), deliver_ratings=True)
    app = create_app(settings, [factory])
    with TestClient(app, headers=staff_headers(settings, "clerk1")) as controller:
        hall_controller: HallController = app.state.controller
        extension = next(e for e in hall_controller.extensions if isinstance(e, QueueExtension))
        assert wait_until(lambda: hall_controller.registry.get("window-01-evaluator") is not None)

        case_service.stop()  # the link to the case service is cut
        queue = "/api/v1/ext/queue"
        act = f"{queue}/windows/1/actions"
        assert controller.post(act, json={"key": "sign-in", "clerk": "clerk1"}).status_code == 200
        for case_id in cases:
            issued = controller.post(
                f"{queue}/tickets", json={"service": "business", "source": "window", "print_slip": False}
            )
            assert issued.status_code == 201, issued.text
            called = controller.post(act, json={"key": "next"})
            assert called.status_code == 200 and called.json()["ticket"]["number"] == issued.json()["number"]
            assert controller.post(act, json={"key": "start"}).status_code == 200
            finished = controller.post(
                act, json={"key": "finish", "outcome": "办结", "case_id": str(case_id)}
            )
            assert finished.status_code == 200, finished.text
            rating: dict[str, Any] = finished.json()["rating"]
            rated = controller.post(
                f"{queue}/ratings/{rating['rating_id']}", json={"level": 4, "token": rating["token"]}
            )
            assert rated.status_code == 200, rated.text
        assert wait_until(lambda: extension.outbox.counts()["pending"] == RATINGS, timeout=10)
        time.sleep(2)  # the outbox tries and fails while the case service is away
        assert extension.outbox.counts()["delivered"] == 0

        case_service.start_again()
        back = time.monotonic()
        assert wait_until(lambda: extension.outbox.counts()["delivered"] == RATINGS, timeout=CATCH_UP_SECONDS)
        caught_up = time.monotonic() - back
    evaluator.stop()

    manager = login(case_service.url, "manager1")
    for case_id in cases:
        history = httpx.get(f"{case_service.url}/api/v1/cases/{case_id}/history", headers=manager, timeout=30)
        actions = [entry["action"] for entry in history.json()]
        assert actions.count("case.evaluate") == 1, actions
    print(f"case-service outage: {RATINGS} ratings delivered {caught_up:.1f} s after it was back")
