"""Ratings reach the case service: `hall case-service` as in production (SQLite), the queue's outbox posting
with the controller's device token; a rating for an unknown case is kept as refused, never retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from case_service.bootstrap import demo_password
from case_service.domain.identity import make_id_number
from hall_controller.case_link import DELIVERED, PENDING, REFUSED
from hall_controller.queue.book import QueueBook
from hall_controller.queue.events import Source
from hall_controller.queue.extension import QueueExtension
from tests.fixtures.devices import enrol_controller
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ITEM_COMPANY = "513200-XK-SJ-0511"


def staff(base: str, username: str) -> dict[str, str]:
    answer = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"username": username, "password": demo_password(username)},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def rate_badly(queue: QueueExtension, case: str) -> None:
    """A window serves a customer for `case` and the evaluator's answer is 非常不满意."""

    def serve(book: QueueBook, now: float) -> str:
        book.issue("business", now, source=Source.WINDOW)
        book.call_next(1, now)
        _, request = book.finish(1, "受理", now, case_id=case)
        assert request is not None
        book.rate(request.rating_id, 1, now, {"attitude": 1}, "太慢")
        return request.rating_id

    queue.service.run(serve)


def test_ratings_are_stored_with_the_case(mosquitto: Broker, start_hall_process: Any, tmp_path: Path) -> None:
    case_service = start_hall_process("case-service")
    base = str(case_service.url)
    clerk = staff(base, "clerk1")
    filed = httpx.post(
        f"{base}/api/v1/cases",
        json={
            "item_code": ITEM_COMPANY,
            "channel": "window",
            "applicant": {
                "name": "张三",
                "id_number": make_id_number("11010519900307123"),
                "phone": "13812345678",
            },
        },
        headers={**clerk, "Idempotency-Key": "queue-test-1"},
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    case_id = str(filed.json()["id"])

    hall = new_hall_id()
    port = int(base.rsplit(":", 1)[1])
    # The default: ratings go over the controller's one link to the case service (HALL_CASE__PORT).
    settings = controller_settings(mosquitto.url, tmp_path / "controller", hall, case={"port": port})
    enrol_controller(base, settings)  # its device token comes from its own enrolled credential
    factory = QueueExtension.factory()
    with running_controller(settings, [factory]) as controller:
        queue = next(e for e in controller.extensions if isinstance(e, QueueExtension))
        service = queue.service
        service.run(lambda book, now: book.sign_in(1, "clerk1", now))
        for case in (case_id, "999999"):
            rate_badly(queue, case)

        def settled() -> bool:
            return not queue.outbox.entries(PENDING)

        assert wait_until(settled, timeout=30), queue.outbox.entries()
        outcome = {entry.subject: entry for entry in queue.outbox.entries()}
        assert outcome[case_id].state == DELIVERED
        assert outcome["999999"].state == REFUSED and outcome["999999"].error.startswith("404")
        assert len(service.read(lambda book: book.open_follow_ups())) == 2

    history = httpx.get(f"{base}/api/v1/cases/{case_id}/history", headers=staff(base, "manager1"), timeout=30)
    assert history.status_code == 200, history.text
    evaluations = [entry for entry in history.json() if entry["action"] == "case.evaluate"]
    assert len(evaluations) == 1 and evaluations[0]["actor"] == f"device:controller-{hall}"
