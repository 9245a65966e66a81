"""What the locker flow needs from the outside, as narrow interfaces with simple implementations.

`CaseClient` stands for the case service as seen by the controller (ready for release → ready for pickup
→ delivered with receipt, or back to the window). `HttpCaseClient` (case_http.py) is the real one;
`InMemoryCaseClient` serves unit tests and development with HALL_CONTROLLER__LOCKER_CASES=memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class CaseError(Exception):
    """The case service refused or could not be reached."""


@dataclass(frozen=True)
class ReleasableCase:
    case_id: str
    title: str
    phone: str
    id_number: str


class CaseClient(Protocol):
    def releasable(self, case_id: str) -> ReleasableCase: ...

    def mark_ready_for_pickup(self, case_id: str, where: str, *, key: str | None = None) -> None:
        """`key`: the write's idempotency key, so the same deposit told twice is one write."""

    def mark_delivered(self, case_id: str, receipt: dict[str, Any], *, key: str | None = None) -> None:
        """`key`: the write's idempotency key, so the same delivery recorded twice is one write."""

    def mark_returned_to_window(self, case_id: str, reason: str) -> None: ...


@dataclass
class InMemoryCaseClient:
    cases: dict[str, ReleasableCase] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # idempotency keys of the writes made, in order

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, case: ReleasableCase) -> None:
        with self._lock:
            self.cases[case.case_id] = case
            self.states[case.case_id] = "ready_for_release"

    def releasable(self, case_id: str) -> ReleasableCase:
        with self._lock:
            if self.states.get(case_id) != "ready_for_release":
                raise CaseError(f"case {case_id} is not ready for release")
            return self.cases[case_id]

    def _move(self, case_id: str, allowed: set[str], new: str, key: str | None = None) -> bool:
        """False for a repeated idempotency key: the case service answers it from memory, moving nothing."""
        with self._lock:
            if key is not None and key in self.keys:
                return False
            if self.states.get(case_id) not in allowed:
                raise CaseError(f"case {case_id} is {self.states.get(case_id)}, cannot become {new}")
            self.states[case_id] = new
            if key is not None:
                self.keys.append(key)
            return True

    def mark_ready_for_pickup(self, case_id: str, where: str, *, key: str | None = None) -> None:
        self._move(case_id, {"ready_for_release", "ready_for_pickup"}, "ready_for_pickup", key)

    def mark_delivered(self, case_id: str, receipt: dict[str, Any], *, key: str | None = None) -> None:
        if self._move(case_id, {"ready_for_pickup"}, "delivered", key):
            self.receipts[case_id] = receipt

    def mark_returned_to_window(self, case_id: str, reason: str) -> None:
        self._move(case_id, {"ready_for_pickup"}, "ready_for_release")


class OpenOutcome(StrEnum):
    OPENED = "opened"
    OPEN_NOT_DETECTED = "OPEN_NOT_DETECTED"
    UNREACHABLE = "unreachable"


class Doors(Protocol):
    """Opens one compartment's door and says whether the door was seen open (not: whether unlock was sent)."""

    def open(self, bank_id: str, number: int) -> OpenOutcome: ...


class SmsProvider(Protocol):
    """Sends one notification; `qr` is the pickup QR's text, for providers that can show a picture
    (an MMS, a link to a page with the image); the others ignore it."""

    def send(self, phone: str, text: str, qr: str | None = None) -> None: ...


class SmsError(Exception):
    """The provider did not take the message; the outbox keeps it and tries again."""
