"""Ratings on their way to the case service: kept in the controller's store until it has them.

The hall keeps working while the case service is away: a rating is stored first, then delivered by a
background thread (POST /api/v1/cases/<case>/evaluations with the rating id as Idempotency-Key, so a
retry after a lost answer stores it once). A refusal (unknown case, bad data) is kept with its reason for
the manager, never retried; a network error or 5xx is retried with growing pauses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from hall_controller.store import Store

log = logging.getLogger(__name__)

COLLECTION = "queue.outbox"
PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"


class CaseClient:
    """The few calls the queue makes to the case service, as the hall controller (device token)."""

    def __init__(self, base_url: str, device_id: str, secret: str, timeout: float = 5.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self._device_id = device_id
        self._secret = secret
        self._token: str | None = None
        self._token_expires = 0.0

    def close(self) -> None:
        self._http.close()

    def forget_token(self) -> None:
        self._token = None

    def _authorization(self) -> dict[str, str]:
        if self._token is None or time.time() > self._token_expires - 60:
            answer = self._http.post(
                "/api/v1/auth/device-token",
                json={"device_id": self._device_id, "secret": self._secret, "kind": "controller"},
            )
            answer.raise_for_status()
            body = answer.json()
            self._token = str(body["access_token"])
            self._token_expires = time.time() + 600
        return {"Authorization": f"Bearer {self._token}"}

    def post_evaluation(self, case_id: str, body: dict[str, Any], key: str) -> httpx.Response:
        headers = {**self._authorization(), "Idempotency-Key": key}
        return self._http.post(f"/api/v1/cases/{case_id}/evaluations", json=body, headers=headers)


class RatingOutbox:
    def __init__(self, store: Store, client_factory: Callable[[], CaseClient] | None) -> None:
        self._documents = store.collection(COLLECTION)
        self._client_factory = client_factory
        self._client: CaseClient | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._client_factory is None:
            log.info("no case service configured: ratings stay in the controller's outbox")
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="queue-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._client is not None:
            self._client.close()

    def add(self, rating_id: str, case_id: str, evaluation: dict[str, Any]) -> None:
        if self._documents.get(rating_id) is not None:
            return
        self._documents.put(
            rating_id,
            {"case_id": case_id, "evaluation": evaluation, "status": PENDING, "attempts": 0, "error": ""},
        )
        self._wake.set()

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        return self._documents.items()

    def counts(self) -> dict[str, int]:
        counts = {PENDING: 0, DELIVERED: 0, REFUSED: 0}
        for _key, document in self.entries():
            counts[str(document["status"])] = counts.get(str(document["status"]), 0) + 1
        return counts

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            self._wake.wait(pause)
            self._wake.clear()
            if self._stop.is_set():
                return
            delivered_all = self.deliver_pending()
            pause = 0.5 if delivered_all else min(30.0, pause * 2)

    def deliver_pending(self) -> bool:
        """One pass over the pending ratings; True when none is left waiting for a retry."""
        if self._client_factory is None:
            return False
        if self._client is None:
            self._client = self._client_factory()
        left = False
        for rating_id, document in self.entries():
            if document["status"] != PENDING:
                continue
            if not self._deliver(self._client, rating_id, document):
                left = True
        return not left

    def _deliver(self, client: CaseClient, rating_id: str, document: dict[str, Any]) -> bool:
        document["attempts"] = int(document["attempts"]) + 1
        try:
            answer = client.post_evaluation(str(document["case_id"]), document["evaluation"], rating_id)
        except httpx.HTTPError as err:
            document["error"] = f"case service unreachable: {type(err).__name__}"
            self._documents.put(rating_id, document)
            return False
        if answer.status_code == 401:
            client.forget_token()
            document["error"] = "case service refused our token; signing in again"
            self._documents.put(rating_id, document)
            return False
        if answer.status_code in (200, 201):
            document["status"] = DELIVERED
            document["error"] = ""
        elif answer.status_code >= 500:
            document["error"] = f"case service answered {answer.status_code}"
            self._documents.put(rating_id, document)
            return False
        else:
            document["status"] = REFUSED
            document["error"] = f"{answer.status_code}: {answer.text[:300]}"
            log.warning("case service refused rating %s: %s", rating_id, document["error"])
        self._documents.put(rating_id, document)
        return True
