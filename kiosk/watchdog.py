"""Restarts a hung kiosk: the UI thread beats every second; if it stops beating, the process re-executes.

A thread in the same process can see the hang (the Kivy loop is stuck in a callback) but not undo it, so
it replaces the whole process with a fresh start of the same command (same pid, so a supervisor like
`hall demo` keeps tracking it).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def is_hung(last_beat: float, now: float, limit: float) -> bool:
    return now - last_beat > limit


class Watchdog:
    def __init__(
        self,
        last_beat: Callable[[], float],
        limit: float,
        *,
        restart: Callable[[], None] | None = None,
        interval: float = 1.0,
    ) -> None:
        self._last_beat = last_beat
        self._limit = limit
        self._restart = restart or restart_process
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiosk-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            if is_hung(self._last_beat(), time.monotonic(), self._limit):
                log.critical("the kiosk UI has not answered for %.0f s: restarting", self._limit)
                self._restart()
                return


def restart_process() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 - our own command line
