"""A per-source rate limit: at most `limit` actions per `window_seconds` for each key (a device, an
address), in memory. Pure apart from its lock: the caller passes the time."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    limit: int
    window_seconds: float


class Throttle:
    def __init__(self, limit: Limit, max_keys: int = 10_000) -> None:
        self._limit = limit
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """Counts one action of `key` and returns 0, or returns the seconds to wait (nothing counted)."""
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self._limit.window_seconds:
                times.popleft()
            self._seen[key] = times  # most recently used last: the oldest keys go first
            while len(self._seen) > self._max_keys:
                self._seen.popitem(last=False)
            if len(times) >= self._limit.limit:
                return times[0] + self._limit.window_seconds - now
            times.append(now)
            return 0.0
