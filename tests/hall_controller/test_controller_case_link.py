"""The controller's case-service link against the real case service: away, then back, nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hall.net import free_port
from hall_controller.case_link import DELIVERED, PENDING, REFUSED, CaseServiceClient, Outbox
from hall_controller.store import Store
from tests.fixtures.devices import admin_headers, enrol
from tests.fixtures.hall import HallProcess
from tests.hall_controller.harness import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_outbox_waits_for_the_case_service_and_catches_up(
    start_hall_process: Callable[..., HallProcess], tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret: list[str] = []  # the controller's own, from its enrolment once the case service is there
    client = CaseServiceClient(
        url, "controller-hall-07", lambda: secret[0] if secret else "not-yet", timeout=2
    )
    store = Store(tmp_path / "controller.db")
    store.open()
    outbox = Outbox(store, client, max_backoff=1.0)
    me = outbox.enqueue("GET", "/api/v1/auth/me")
    rating = outbox.enqueue("POST", "/api/v1/cases/999999/evaluations", {"score": 5, "window": "3"})

    # The case service is away: nothing delivered, nothing lost, even across a controller restart.
    assert not outbox.deliver_pending()
    store.close()
    store = Store(tmp_path / "controller.db")
    store.open()
    outbox = Outbox(store, client, max_backoff=1.0)
    assert [(e.key, e.state) for e in outbox.entries()] == [(me, PENDING), (rating, PENDING)]
    assert outbox.entries()[0].attempts == 1

    start_hall_process("case-service", case__port=str(port))
    with httpx.Client(base_url=url, timeout=10) as http:
        secret.append(enrol(http, admin_headers(http), "controller-hall-07", "controller", "hall-07"))
    outbox.start()
    try:
        assert wait_until(lambda: not outbox.entries(PENDING), timeout=30)
    finally:
        outbox.stop()
        client.close()
    delivered, refused = outbox.entries()
    assert (delivered.key, delivered.state, delivered.status) == (me, DELIVERED, 200)
    # A definite "no" (no such case) is kept for a person to look at, and not retried.
    assert refused.key == rating and refused.state == REFUSED
    assert refused.status is not None and 400 <= refused.status < 500
    store.close()


def test_wrong_device_secret_is_not_mistaken_for_an_answer(
    start_hall_process: Callable[..., HallProcess], tmp_path: Path
) -> None:
    service = start_hall_process("case-service")
    assert service.url is not None
    client = CaseServiceClient(service.url, "controller-hall-07", "not-the-secret", timeout=5)
    store = Store(tmp_path / "controller.db")
    store.open()
    outbox = Outbox(store, client)
    outbox.enqueue("GET", "/api/v1/auth/me")
    assert not outbox.deliver_pending()
    [entry] = outbox.entries()
    assert entry.state == PENDING and "sign-in refused (401)" in entry.error
    client.close()
    store.close()
