"""A camera that comes back by itself: reopens a lost source and tells its health on every change.

A USB camera that is unplugged (or a driver that stops giving frames) ends an OpenCV stream; the kiosk must
not need a restart for it. `SupervisedSource` wraps an opener, reopens on failure every `retry_seconds`
and returns None only once it has been closed, so a `ScanLoop` over it runs for the life of the kiosk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from devices.camera.sources import CameraError, FrameSource

log = logging.getLogger(__name__)


class CameraState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # cannot be opened, or stopped giving frames


@dataclass(frozen=True)
class CameraHealth:
    state: CameraState
    source: str = ""
    detail: str = ""
    recoveries: int = 0  # how many times the camera came back by itself

    @property
    def ok(self) -> bool:
        return self.state is CameraState.OK


class SupervisedSource:
    def __init__(
        self,
        opener: Callable[[], FrameSource],
        *,
        name: str,
        retry_seconds: float = 2.0,
        on_health: Callable[[CameraHealth], None] | None = None,
    ) -> None:
        self._opener = opener
        self._name = name
        self._retry_seconds = retry_seconds
        self._on_health = on_health
        self._source: FrameSource | None = None
        self._closed = threading.Event()
        self._health = CameraHealth(CameraState.MISSING, name, "not opened yet")
        self._ever_opened = False

    @property
    def name(self) -> str:
        return self._name

    def health(self) -> CameraHealth:
        return self._health

    def _set_health(self, health: CameraHealth) -> None:
        if health == self._health:
            return
        self._health = health
        if health.ok:
            log.info("camera %s: ok (recoveries %d)", self._name, health.recoveries)
        else:
            log.warning("camera %s: %s (%s)", self._name, health.state.value, health.detail)
        if self._on_health is not None:
            self._on_health(health)

    def _open(self) -> FrameSource | None:
        try:
            source = self._opener()
        except CameraError as err:
            self._set_health(CameraHealth(CameraState.MISSING, self._name, str(err), self._health.recoveries))
            return None
        recoveries = self._health.recoveries + (1 if self._ever_opened else 0)
        self._ever_opened = True
        self._set_health(CameraHealth(CameraState.OK, self._name, "", recoveries))
        return source

    def read(self) -> np.ndarray | None:
        """The next frame; while the camera is lost, waits and retries. None only after `close()`."""
        while not self._closed.is_set():
            if self._source is None:
                self._source = self._open()
                if self._source is None:
                    self._closed.wait(self._retry_seconds)
                    continue
            frame = self._source.read()
            if frame is not None:
                return frame
            self._source.close()
            self._source = None
            recoveries = self._health.recoveries
            self._set_health(CameraHealth(CameraState.MISSING, self._name, "no frames", recoveries))
            self._closed.wait(self._retry_seconds)
        return None

    def close(self) -> None:
        self._closed.set()
        if self._source is not None:
            self._source.close()
