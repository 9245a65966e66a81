"""The garbage collector kept off the call path: the one place the controller tunes it.

A full collection holds the GIL, so every thread — the MQTT link's, which shows a clerk's call — waits
for it. It walks every tracked object not frozen: with 2,000 devices announced that is the devices' records,
states and sessions, and it took 27–90 ms, once or more in each latency phase of `python -m bench queue`.
What lives as long as the process is frozen (`gc.freeze`: kept out of every collection) twice: at start-up
(modules, classes, the app) and once the devices have announced, when the device population has not grown
for `SETTLE_SECONDS`. A later wave of new devices (a bank of lockers plugged in) is frozen the same way once
it settles. Objects frozen are still freed when their last reference goes; only a reference cycle among them
would be kept.
"""

from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger(__name__)

SETTLE_SECONDS = 5.0


def freeze_heap() -> None:
    """Collect what is garbage now, then keep everything still alive out of later collections."""
    gc.collect()
    gc.freeze()


class HeapSettler:
    """Freezes the heap once the known devices stop growing in number; `observe` is called once a second
    by the controller's ticker with the registry's size."""

    def __init__(self, settle_seconds: float = SETTLE_SECONDS) -> None:
        self._settle = settle_seconds
        self._known = 0
        self._grew_at: float | None = None
        self.settled = threading.Event()  # set while the heap holds every device announced so far

    def observe(self, known: int, now: float) -> None:
        if known > self._known:
            self._known = known
            self._grew_at = now
            self.settled.clear()
        elif self._grew_at is not None and now - self._grew_at >= self._settle:
            self._grew_at = None
            freeze_heap()
            log.info("heap frozen with %d devices known (%d objects frozen)", known, gc.get_freeze_count())
            self.settled.set()
