"""The waiting tickets, filed so that a call asks the ordering's rules about a few tickets, not all of them.

The speed trick behind ordering.py, kept apart from its rules: `WaitingIndex.next_for` and
`WaitingIndex.overtaken_by` run `ordering.choose_next` and `ordering.overtaken_by` themselves, over the few
tickets that can be the answer, and answer what those rules answer over every waiting ticket
(tests/hall_controller/queue/test_waiting_index.py compares them on random days).

The waiting tickets are filed in buckets by (pinned window, service, priority), each bucket in the order of
joining (`entry_seq` grows with every join, so a bucket's first ticket is its oldest). Within one bucket
the ordering's sort key differs only by `entry_seq`, so the best ticket of a bucket is its first, unless a
later one is due. A due ticket is either overtaken `overtake_limit` times (those are kept apart: few, since
they are called first) or has waited `max_wait_minutes` — and then so has its bucket's first ticket, which
joined earlier and sorts before it. So the answer is among the buckets' first tickets and the overtaken
ones: a call looks at a few dozen tickets whatever the length of the queue (with 300 waiting it built and
sorted 300 before, ~0.45 ms a call).

"The first has waited longest" holds while the clock does not go back between two joins; should it ever
(the system clock set back), the index asks the rules about every waiting ticket for the rest of the day.
"""

from __future__ import annotations

from collections.abc import Iterator

from hall_controller.queue import ordering
from hall_controller.queue.config import Priority, QueueConfig, WindowConfig
from hall_controller.queue.ordering import Candidate

Bucket = dict[str, Candidate]  # key → candidate, in the order of joining
BucketKey = tuple[int | None, str, Priority]  # (pinned window, service, priority)


class WaitingIndex:
    def __init__(self, config: QueueConfig) -> None:
        self._config = config
        self._candidates: dict[str, Candidate] = {}
        self._buckets: dict[BucketKey, Bucket] = {}  # only non-empty ones
        self._due_by_overtaking: dict[str, Candidate] = {}
        self._per_service: dict[str, int] = {}  # waiting tickets by service, pinned or not
        self._ordinal: dict[str, int] = {}  # the order of the day's tickets, in which overtaken_by answers
        self._last_entered = float("-inf")
        self._in_order = True  # every join was at or after the one before (see the module's note)

    def __len__(self) -> int:
        return len(self._candidates)

    def __contains__(self, key: object) -> bool:
        return key in self._candidates

    # ------------------------------------------------------------------ kept in step by the book

    def add(self, candidate: Candidate) -> None:
        """A ticket joined the waiting (issued, or transferred): last, as its `entry_seq` says."""
        key = candidate.key
        self.remove(key)
        self._ordinal.setdefault(key, len(self._ordinal))
        if candidate.entered_at < self._last_entered:
            self._in_order = False
        self._last_entered = max(self._last_entered, candidate.entered_at)
        self._candidates[key] = candidate
        self._buckets.setdefault(_bucket_key(candidate), {})[key] = candidate
        self._per_service[candidate.service] = self._per_service.get(candidate.service, 0) + 1
        if candidate.overtaken >= self._config.overtake_limit:
            self._due_by_overtaking[key] = candidate

    def update(self, candidate: Candidate) -> None:
        """A waiting ticket changed in place (overtaken once more): it keeps its place."""
        key = candidate.key
        if key not in self._candidates:
            return
        self._candidates[key] = candidate
        self._buckets[_bucket_key(candidate)][key] = candidate
        if candidate.overtaken >= self._config.overtake_limit:
            self._due_by_overtaking[key] = candidate

    def remove(self, key: str) -> None:
        """A ticket left the waiting (called, cancelled)."""
        candidate = self._candidates.pop(key, None)
        if candidate is None:
            return
        self._due_by_overtaking.pop(key, None)
        self._per_service[candidate.service] -= 1
        bucket_key = _bucket_key(candidate)
        bucket = self._buckets[bucket_key]
        del bucket[key]
        if not bucket:
            del self._buckets[bucket_key]

    # ------------------------------------------------------------------ answers

    def count(self, service: str) -> int:
        """How many tickets of `service` wait (pinned to a window or not)."""
        return self._per_service.get(service, 0)

    def next_for(self, window: WindowConfig, now: float) -> Candidate | None:
        """What `ordering.choose_next` answers over every waiting ticket."""
        if not self._in_order:
            return ordering.choose_next(self._candidates.values(), window, self._config, now)
        heads = [next(iter(bucket.values())) for bucket in self._servable(window)]
        return ordering.choose_next([*heads, *self._due_by_overtaking.values()], window, self._config, now)

    def overtaken_by(self, called: Candidate, window: WindowConfig) -> list[str]:
        """What `ordering.overtaken_by` answers over every waiting ticket, in the same order."""
        older: list[Candidate] = []
        for bucket in self._servable(window):
            for candidate in bucket.values():
                if candidate.entry_seq >= called.entry_seq:
                    break
                older.append(candidate)
        older.sort(key=lambda candidate: self._ordinal[candidate.key])
        return ordering.overtaken_by(called, older, window)

    def _servable(self, window: WindowConfig) -> Iterator[Bucket]:
        """The buckets whose tickets `window` may call (`ordering.servable` of a bucket's tickets)."""
        for (pinned, service, _priority), bucket in self._buckets.items():
            if pinned == window.number or (pinned is None and service in window.services):
                yield bucket


def _bucket_key(candidate: Candidate) -> BucketKey:
    return (candidate.pinned_window, candidate.service, candidate.priority)
