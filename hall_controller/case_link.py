"""The controller's link to the case service: HTTP with the hall's device credential, and an outbox.

`CaseServiceClient` signs in as ``controller-<hall>`` (POST /api/v1/auth/device-token with the secret
from its enrolment, enrolled as a controller), keeps the token, renews it before it expires or on a 401.

`Outbox` makes writes survive the case service being away: `enqueue` stores the request (with its
own Idempotency-Key) in the controller's store before returning; a sender thread delivers in order,
backing off while the case service is unreachable and catching up when it returns. A 2xx answer
marks it delivered; any other definite answer (4xx but 401/408/425/429) marks it refused — kept,
logged, never retried. The lockers' case writes and the queue's ratings both go this way.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devices.protocol.credentials import CredentialError, load_credential
from hall_controller.store import Collection, Store

log = logging.getLogger(__name__)

SIGN_IN_PATH = "/api/v1/auth/device-token"
RETRYABLE_STATUS = {401, 408, 425, 429}
PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"


class CaseServiceUnavailableError(ConnectionError):
    """The case service did not answer, or answered 5xx: try again later."""


def own_secret(path: Path) -> str:
    """The controller's secret from its credential file (hall.enrolment), read at each sign-in."""
    try:
        return load_credential(path).secret
    except CredentialError as err:
        raise CaseServiceUnavailableError(str(err)) from err


class CaseServiceClient:
    def __init__(
        self,
        base_url: str,
        device_id: str,
        secret: str | Callable[[], str],
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        # `http`: an existing client (a FastAPI TestClient in tests); otherwise one for `base_url`.
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self._device_id = device_id
        self._secret = secret
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        self._on_answer: list[Callable[[], None]] = []

    def on_answer(self, listener: Callable[[], None]) -> None:
        """`listener` is called after each answer from the case service (any status below 500): an
        outbox backing off hears at once that the service is back, from whatever call got through."""
        self._on_answer.append(listener)

    def close(self) -> None:
        self._http.close()

    def request(
        self, method: str, path: str, *, json: Any = None, idempotency_key: str | None = None
    ) -> httpx.Response:
        """One call with the device token; `CaseServiceUnavailableError` when it cannot get an answer."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        answer = self._send(method, path, json, {**headers, **self._authorization()})
        if answer.status_code == 401:  # revoked or expired early: sign in again, once
            self._forget_token()
            answer = self._send(method, path, json, {**headers, **self._authorization()})
        return answer

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        try:
            answer = self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as err:
            raise CaseServiceUnavailableError(f"case service unreachable: {type(err).__name__}") from err
        if answer.status_code >= 500:
            raise CaseServiceUnavailableError(f"case service answered {answer.status_code}")
        for listener in self._on_answer:
            listener()
        return answer

    def _authorization(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or time.time() > self._expires - 60:
                # A callable is read at each sign-in: a rotated credential file needs no restart.
                secret = self._secret() if callable(self._secret) else self._secret
                body = {"device_id": self._device_id, "secret": secret}
                answer = self._send("POST", SIGN_IN_PATH, body, {})
                if answer.status_code != 200:
                    raise CaseServiceUnavailableError(f"device sign-in refused ({answer.status_code})")
                token = answer.json()
                self._token = str(token["access_token"])
                self._expires = float(token["expires_at"])
            return {"Authorization": f"Bearer {self._token}"}

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    seq: int
    method: str
    path: str
    body: Any
    state: str = PENDING
    attempts: int = 0
    status: int | None = None
    error: str = ""
    subject: str = ""  # what the write is about (a case id), for the manager's view


class Outbox:
    """Writes to the case service, stored before `enqueue` returns and delivered in order.

    Pending entries live in the collection ``<name>``; a delivered or refused one moves to
    ``<name>.done`` (so a delivery pass reads only what is still waiting) and is kept there for
    `keep_done_days` for the manager, then pruned: the store does not grow over a hall's years.
    A controller without a case service (`client` None) keeps its writes pending; `start` does nothing.
    """

    def __init__(
        self,
        store: Store,
        client: CaseServiceClient | None,
        *,
        collection: str = "controller.outbox",
        max_backoff: float = 30.0,
        keep_done_days: float = 14.0,
    ) -> None:
        self._pending: Collection = store.collection(collection)
        self._done: Collection = store.collection(f"{collection}.done")
        self._store = store
        self._name = collection
        self._client = client
        self._away = False
        if client is not None:
            client.on_answer(self._service_answered)
        self._max_backoff = max_backoff
        self._keep_done_days = keep_done_days
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._last_seq = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._client is None:
            log.info("no case service configured: %s stays in the controller's store", self._name)
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _service_answered(self) -> None:
        # Another caller got through while we back off: try now. (Our own answers don't count: a 429
        # would otherwise cut our back-off short.)
        if self._away and threading.current_thread() is not self._thread:
            self._wake.set()

    def enqueue(
        self, method: str, path: str, body: Any = None, *, key: str | None = None, subject: str = ""
    ) -> str:
        """Stored before it returns; delivered in order as soon as the case service answers.

        `key` is the Idempotency-Key the case service sees (fresh when not given); enqueueing a key
        already known does nothing, so a device resending the same event makes one write."""
        key = key or secrets.token_hex(12)
        with self._lock, self._store.transaction():
            if self._pending.get(key) is not None or self._done.get(key) is not None:
                return key
            entry = OutboxEntry(key, self._next_seq(), method.upper(), path, body, subject=subject)
            self._pending.put(key, entry.__dict__)
        self._wake.set()
        return key

    def _next_seq(self) -> int:
        # Increasing across restarts without reading every entry: the clock, or one past the last.
        if self._last_seq == 0:
            self._last_seq = max((int(doc["seq"]) for _, doc in self._pending.items()), default=0)
        self._last_seq = max(time.time_ns(), self._last_seq + 1)
        return self._last_seq

    def entries(self, state: str | None = None) -> list[OutboxEntry]:
        documents = self._pending.items() if state == PENDING else self._pending.items() + self._done.items()
        return [e for e in _in_order(documents) if state is None or e.state == state]

    def recent(self, finished: int = 100) -> list[OutboxEntry]:
        """Every pending entry and the last `finished` delivered or refused ones, in order: the manager's
        view, which must not read two weeks of history on each look."""
        return _in_order(self._pending.items() + self._done.latest(finished))

    def counts(self) -> dict[str, int]:
        return {PENDING: len(self._pending), DELIVERED: 0, REFUSED: 0, **self._done.count_by("state")}

    def deliver_pending(self) -> bool:
        """Tries every pending entry in order; False when the case service is away (stop there)."""
        if self._client is None:
            return False
        for entry in self.entries(PENDING):
            try:
                answer = self._client.request(
                    entry.method, entry.path, json=entry.body, idempotency_key=entry.key
                )
            except CaseServiceUnavailableError as err:
                self._save(entry, attempts=entry.attempts + 1, error=str(err))
                return False
            if answer.status_code in RETRYABLE_STATUS:
                # 401 after the client signed in again: our credential is in doubt, not the write.
                self._save(entry, attempts=entry.attempts + 1, status=answer.status_code)
                return False
            state = DELIVERED if answer.is_success else REFUSED
            error = "" if answer.is_success else f"{answer.status_code}: {answer.text[:300]}"
            if state == REFUSED:
                log.error("case service refused %s %s: %s", entry.method, entry.path, error)
            self._finish(
                entry, state=state, attempts=entry.attempts + 1, status=answer.status_code, error=error
            )
        self._done.prune(older_than_days=self._keep_done_days)
        return True

    def _save(self, entry: OutboxEntry, **changes: Any) -> None:
        self._pending.put(entry.key, {**entry.__dict__, **changes})

    def _finish(self, entry: OutboxEntry, **changes: Any) -> None:
        with self._store.transaction():
            self._done.put(entry.key, {**entry.__dict__, **changes})
            self._pending.delete(entry.key)

    def _run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            self._wake.clear()
            self._away = not self.deliver_pending()
            if not self._away:
                delay = 1.0
                self._wake.wait(30)
            else:
                # Away: back off with jitter, so a whole city's halls don't return at the same instant.
                self._wake.wait(delay * (0.5 + random.random()))  # noqa: S311
                delay = min(self._max_backoff, delay * 2)


def _in_order(documents: list[tuple[str, dict[str, Any]]]) -> list[OutboxEntry]:
    return sorted((OutboxEntry(**document) for _, document in documents), key=lambda entry: entry.seq)
