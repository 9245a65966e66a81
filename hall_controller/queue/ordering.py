"""Which waiting ticket a window calls next: priorities, service weights, and a no-starvation bound.

The policy (also in docs/queue.md):

1. A window considers only tickets it may serve: tickets of its services, and tickets transferred to it by
   number. A ticket transferred to another window is not considered.
2. A ticket is *due* when it has been overtaken `overtake_limit` times, or has waited `max_wait_minutes`.
   Overtaken means: a ticket that joined the queue later was called by a window that could have called
   this one. Due tickets are called first, oldest first.
3. Otherwise the window calls by priority class (in the configured order, ordinary last), then tickets
   pinned to this window, then its higher-weight services, then the oldest.

Bound: no ticket is ever overtaken more than `overtake_limit` times. Proof sketch: once a ticket T has been
overtaken `overtake_limit` times it is due. A window able to serve T then only calls due tickets older
than T (not an overtake) or T itself. Both due-criteria grow with age, so a later ticket cannot be due by
time while T is not. Hence with overtake_limit 3, an ordinary ticket waits for at most the tickets that
were ahead of it when it joined plus three priority tickets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from hall_controller.queue.config import Priority, QueueConfig, WindowConfig


class Candidate(NamedTuple):
    """What ordering needs to know about a waiting ticket. (A named tuple: a call builds one for every
    waiting ticket, and a frozen dataclass took twice as long to make.)"""

    key: str
    service: str
    priority: Priority
    entry_seq: int  # order of joining the queue (a transfer joins again)
    entered_at: float  # seconds, same clock as `now`
    overtaken: int = 0
    pinned_window: int | None = None


def servable(candidate: Candidate, window: WindowConfig) -> bool:
    if candidate.pinned_window is not None:
        return candidate.pinned_window == window.number
    return candidate.service in window.services


def is_due(candidate: Candidate, config: QueueConfig, now: float) -> bool:
    waited_minutes = (now - candidate.entered_at) / 60.0
    return candidate.overtaken >= config.overtake_limit or waited_minutes >= config.max_wait_minutes


def sort_key(candidate: Candidate, window: WindowConfig, config: QueueConfig, now: float) -> tuple[int, ...]:
    if is_due(candidate, config, now):
        return (0, candidate.entry_seq)
    pinned_here = 0 if candidate.pinned_window == window.number else 1
    weight = window.services.get(candidate.service, 0)
    return (1, config.rank(candidate.priority), pinned_here, -weight, candidate.entry_seq)


def choose_next(
    waiting: Iterable[Candidate], window: WindowConfig, config: QueueConfig, now: float
) -> Candidate | None:
    """The ticket `window` should call now, or None when it has nothing to call."""
    eligible = [candidate for candidate in waiting if servable(candidate, window)]
    if not eligible:
        return None
    return min(eligible, key=lambda candidate: sort_key(candidate, window, config, now))


def overtaken_by(called: Candidate, waiting: Sequence[Candidate], window: WindowConfig) -> list[str]:
    """Keys of the tickets that `called` overtakes: older ones this window could have called instead."""
    return [
        candidate.key
        for candidate in waiting
        if candidate.key != called.key
        and candidate.entry_seq < called.entry_seq
        and servable(candidate, window)
    ]
