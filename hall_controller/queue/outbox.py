"""Ratings on their way to the case service: kept in the controller's store until it has them.

The hall keeps working while the case service is away: a rating is stored first, then delivered by a
background thread (POST /api/v1/cases/<case>/evaluations with the rating id as Idempotency-Key, so a
retry after a lost answer stores it once). A refusal (unknown case, bad data) is kept with its reason for
the manager, never retried; a network error or 5xx is retried with growing pauses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx

from hall_controller.case_link import CaseServiceClient, CaseServiceUnavailableError
from hall_controller.store import Store

log = logging.getLogger(__name__)

COLLECTION = "queue.outbox"
PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"


class CaseClient:
    """The few calls the queue makes to the case service, on the controller's one link to it
    (hall_controller/case_link.py: the device token of controller-<hall>, renewed there, a 401 retried)."""

    def __init__(self, link: CaseServiceClient, *, owned: bool = False) -> None:
        self._link = link
        self._owned = owned

    @classmethod
    def connect(cls, base_url: str, device_id: str, secret: str, timeout: float = 5.0) -> CaseClient:
        """A link of its own (tools and tests); the controller's extension shares the controller's."""
        return cls(CaseServiceClient(base_url, device_id, secret, timeout=timeout), owned=True)

    def close(self) -> None:
        if self._owned:
            self._link.close()

    def post_evaluation(self, case_id: str, body: dict[str, Any], key: str) -> httpx.Response:
        """The answer (2xx or 4xx); `CaseServiceUnavailableError` when unreachable or 5xx."""
        return self._link.request(
            "POST", f"/api/v1/cases/{case_id}/evaluations", json=body, idempotency_key=key
        )


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
        except CaseServiceUnavailableError as err:  # unreachable, 5xx, or our sign-in refused: retry
            document["error"] = str(err)
            self._documents.put(rating_id, document)
            return False
        if answer.status_code == 401:  # still refused after the link signed in again
            document["error"] = "case service refused our token; signing in again"
            self._documents.put(rating_id, document)
            return False
        if answer.status_code in (200, 201):
            document["status"] = DELIVERED
            document["error"] = ""
        else:
            document["status"] = REFUSED
            document["error"] = f"{answer.status_code}: {answer.text[:300]}"
            log.warning("case service refused rating %s: %s", rating_id, document["error"])
        self._documents.put(rating_id, document)
        return True
