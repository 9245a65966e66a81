"""The controller's outbox as a unit: order, idempotent keys, finished entries moved aside and pruned.

The real case service behind it is in test_controller_case_link.py and the queue/locker tests."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from hall_controller.case_link import DELIVERED, PENDING, REFUSED, CaseServiceClient, Outbox
from hall_controller.store import Store


class CaseServiceDouble:
    """Answers the device sign-in, records every write, and answers with the status it is told."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, str | None]] = []
        self.answer_status = 201
        self.sign_ins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/device-token":
            self.sign_ins += 1
            return httpx.Response(200, json={"access_token": f"t{self.sign_ins}", "expires_at": 4e9})
        self.writes.append((request.method, request.url.path, request.headers.get("Idempotency-Key")))
        return httpx.Response(self.answer_status, json={"detail": "as told"})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "controller.db")
    store.open()
    return store


def outbox_for(store: Store, double: CaseServiceDouble) -> Outbox:
    client = CaseServiceClient("http://case", "controller-01", "s", transport=httpx.MockTransport(double))
    return Outbox(store, client, collection="test.outbox")


def test_delivers_in_order_once_per_key_and_moves_finished_entries_aside(store: Store) -> None:
    double = CaseServiceDouble()
    outbox = outbox_for(store, double)
    first = outbox.enqueue("post", "/api/v1/cases/1/evaluations", {"score": 5}, key="rating-1", subject="1")
    assert outbox.enqueue("POST", "/api/v1/cases/1/evaluations", {"score": 1}, key="rating-1") == first
    second = outbox.enqueue("POST", "/api/v1/cases/2/evaluations", {"score": 4})

    assert outbox.counts() == {PENDING: 2, DELIVERED: 0, REFUSED: 0}
    assert outbox.deliver_pending()
    assert double.writes == [
        ("POST", "/api/v1/cases/1/evaluations", "rating-1"),
        ("POST", "/api/v1/cases/2/evaluations", second),
    ]
    assert outbox.counts() == {PENDING: 0, DELIVERED: 2, REFUSED: 0}
    assert [e.key for e in outbox.entries()] == ["rating-1", second]
    assert outbox.entries()[0].subject == "1" and outbox.entries()[0].body == {"score": 5}
    # A key already delivered is not written again either.
    outbox.enqueue("POST", "/api/v1/cases/1/evaluations", {"score": 5}, key="rating-1")
    assert outbox.deliver_pending() and len(double.writes) == 2


def test_a_refusal_is_kept_with_its_reason_and_a_401_is_retried(store: Store) -> None:
    double = CaseServiceDouble()
    outbox = outbox_for(store, double)
    double.answer_status = 401  # refused even after signing in again: our credential, not the write
    key = outbox.enqueue("POST", "/api/v1/cases/9/evaluations", {"score": 1})
    assert not outbox.deliver_pending()
    [waiting] = outbox.entries(PENDING)
    assert (waiting.key, waiting.attempts, waiting.status) == (key, 1, 401)
    assert double.sign_ins == 2

    double.answer_status = 404
    assert outbox.deliver_pending()
    [refused] = outbox.entries()
    assert refused.state == REFUSED and refused.error.startswith("404") and refused.attempts == 2


def test_finished_entries_are_pruned_after_the_retention_and_pending_ones_never(store: Store) -> None:
    double = CaseServiceDouble()
    outbox = outbox_for(store, double)
    delivered = outbox.enqueue("POST", "/a")
    assert outbox.deliver_pending()
    double.answer_status = 503
    waiting = outbox.enqueue("POST", "/b")
    assert not outbox.deliver_pending()
    # Age every document by 30 days, as a month without a restart would.
    store.execute("UPDATE documents SET updated = updated - 30")

    double.answer_status = 201
    outbox.enqueue("POST", "/c")
    assert outbox.deliver_pending()
    keys = {e.key for e in outbox.entries()}
    assert delivered not in keys and waiting in keys
    assert outbox.counts() == {PENDING: 0, DELIVERED: 2, REFUSED: 0}


def test_without_a_case_service_writes_stay_pending_and_survive_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "controller.db")
    store.open()
    outbox = Outbox(store, None, collection="test.outbox")
    outbox.start()  # nothing to deliver to: no thread
    first = outbox.enqueue("POST", "/a", {"n": 1})
    assert not outbox.deliver_pending()
    store.close()

    store = Store(tmp_path / "controller.db")
    store.open()
    outbox = Outbox(store, None, collection="test.outbox")
    second = outbox.enqueue("POST", "/b")
    assert [e.key for e in outbox.entries(PENDING)] == [first, second]  # order kept across the restart
    raw = store.execute("SELECT body FROM documents WHERE key = ?", (first,))
    assert json.loads(raw[0][0])["body"] == {"n": 1}
    store.close()


def test_backing_off_it_tries_again_as_soon_as_another_call_gets_through(store: Store) -> None:
    double = CaseServiceDouble()
    client = CaseServiceClient("http://case", "controller-01", "s", transport=httpx.MockTransport(double))
    outbox = Outbox(store, client, collection="test.outbox", max_backoff=30.0)
    double.answer_status = 503
    outbox.enqueue("POST", "/api/v1/cases/1/actions/deliver", {"receipt": {}})
    outbox.start()
    try:
        deadline = time.monotonic() + 10
        while outbox.entries(PENDING)[0].attempts < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # three failures: the next pause is 4 s or more (1, 2, 4 s, with jitter)
        assert outbox.entries(PENDING)[0].attempts >= 3
        double.answer_status = 200
        client.request("GET", "/api/v1/cases/1")  # the lockers' read gets through: the service is back
        deadline = time.monotonic() + 1.5
        while outbox.entries(PENDING) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not outbox.entries(PENDING)
    finally:
        outbox.stop()


def test_the_managers_view_holds_what_waits_and_only_the_latest_finished(store: Store) -> None:
    double = CaseServiceDouble()
    outbox = outbox_for(store, double)
    for number in range(5):
        outbox.enqueue("POST", f"/a/{number}")
    assert outbox.deliver_pending()
    double.answer_status = 503
    waiting = outbox.enqueue("POST", "/b")
    assert not outbox.deliver_pending()
    shown = outbox.recent(finished=2)
    assert [e.path for e in shown] == ["/a/3", "/a/4", "/b"] and shown[-1].key == waiting
    assert outbox.counts() == {PENDING: 1, DELIVERED: 5, REFUSED: 0}
