"""A worker thread that feeds every frame of a camera to `process` (the QR scan loop, auto-capture)."""

from __future__ import annotations

import logging
import threading

import numpy as np

from devices.camera.sources import FrameSource

log = logging.getLogger(__name__)


class FrameWorker:
    """Runs `process` on each frame of `source` until the source ends or `stop()` is called."""

    thread_name = "frames"

    def __init__(self, source: FrameSource) -> None:
        self._source = source
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def process(self, frame: np.ndarray) -> object:
        raise NotImplementedError

    def run(self) -> None:
        """Until the source ends or `stop()` is called."""
        while not self._stop.is_set():
            frame = self._source.read()
            if frame is None:
                log.info("camera %s: end of stream", self._source.name)
                return
            self.process(frame)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._source.close()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
