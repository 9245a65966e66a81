"""Print once (pure rules): the first completed kiosk print is the original, every later one a marked copy.

A failed or cancelled print never uses up the original and never loses the certificate: the case shows
"not printed" and the applicant is offered another way to get it. While an original is being printed a
second original is refused, so two kiosks can never both produce one; a print left without a result for
`ABANDONED_AFTER` no longer blocks (its kiosk crashed or lost its link).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class PrintKind(StrEnum):
    ORIGINAL = "original"
    COPY = "copy"


class PrintStatus(StrEnum):
    REQUESTED = "requested"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PrintState(StrEnum):
    NOT_PRINTED = "not_printed"
    PRINTING = "printing"
    PRINTED = "printed"


# What the applicant is offered when the kiosk could not print.
ALTERNATIVES = ("another_kiosk", "locker", "window")
ALTERNATIVE_TEXT = {
    "another_kiosk": "到另一台自助终端打印",
    "locker": "由工作人员打印后放入智能柜，凭取件码领取",
    "window": "到综合窗口领取",
}

# A print with no result after this long is taken as failed, so a crashed kiosk cannot hold the original.
ABANDONED_AFTER = dt.timedelta(minutes=10)

FINAL_STATUSES = frozenset({PrintStatus.COMPLETED, PrintStatus.FAILED, PrintStatus.CANCELLED})


class PrintRefusedError(Exception):
    """A print may not be started or finished this way; the message says why."""


@dataclass(frozen=True)
class PrintAttempt:
    kind: PrintKind
    status: PrintStatus
    requested_at: dt.datetime | None = None


def abandoned(attempt: PrintAttempt, now: dt.datetime | None, after: dt.timedelta = ABANDONED_AFTER) -> bool:
    """A print still 'requested' long after it was asked for: the kiosk crashed or lost its link."""
    if attempt.status is not PrintStatus.REQUESTED or attempt.requested_at is None or now is None:
        return False
    return now - attempt.requested_at >= after


def _in_flight(attempt: PrintAttempt, now: dt.datetime | None) -> bool:
    return attempt.status is PrintStatus.REQUESTED and not abandoned(attempt, now)


def next_print_kind(attempts: Sequence[PrintAttempt], now: dt.datetime | None = None) -> PrintKind:
    if any(a.kind is PrintKind.ORIGINAL and a.status is PrintStatus.COMPLETED for a in attempts):
        return PrintKind.COPY
    if any(a.kind is PrintKind.ORIGINAL and _in_flight(a, now) for a in attempts):
        raise PrintRefusedError("the original is being printed right now; wait for that print to finish")
    return PrintKind.ORIGINAL


def print_state(attempts: Sequence[PrintAttempt], now: dt.datetime | None = None) -> PrintState:
    if any(a.kind is PrintKind.ORIGINAL and a.status is PrintStatus.COMPLETED for a in attempts):
        return PrintState.PRINTED
    if any(_in_flight(a, now) for a in attempts):
        return PrintState.PRINTING
    return PrintState.NOT_PRINTED


def check_finish(current: PrintStatus, outcome: PrintStatus) -> None:
    """Only a requested print can finish, and only into a final status."""
    if outcome not in FINAL_STATUSES:
        raise PrintRefusedError(f"{outcome.value!r} is not a final print status")
    if current is not PrintStatus.REQUESTED:
        raise PrintRefusedError(f"this print already finished as {current.value!r}")


def alternatives_for(state: PrintState) -> tuple[str, ...]:
    return ALTERNATIVES if state is PrintState.NOT_PRINTED else ()
