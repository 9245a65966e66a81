"""The kiosk's cameras over devices/: the document camera (devices/camera + devices/capture) as the
Camera port, and the QR camera (devices/camera + devices/barcode ScanLoop) as the Scanner port.

Either camera is a `FrameSource`, normally a `SupervisedSource` from `devices.camera.factory` (real
hardware, or firmware_sim's simulated cameras with `HALL_DEVICES__BACKEND=sim`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import cv2
import numpy as np

from devices.barcode.loop import ScanLoop
from devices.barcode.model import Decoded
from devices.camera.sources import FrameSource
from devices.camera.supervised import CameraHealth
from devices.capture.auto import StillPage
from devices.capture.detect import detect_page
from devices.capture.errors import CaptureError, PageNotFoundError
from devices.capture.pipeline import capture_page
from kiosk.flow.model import Device
from kiosk.ports import DeviceFailureError, RejectedError

log = logging.getLogger(__name__)


class DocumentCamera:
    """Waits for a page laid still (devices/capture's StillPage rule), then flattens, deskews and cleans it.

    No page within `max_frames` frames (5 s at 30 fps) is the applicant's to fix (`capture_no_page`, or
    `capture_unclear` for a blank sheet). Counting frames, not seconds, keeps a loaded machine from
    turning slowness into "no page". A camera that gives no frame for `frame_timeout` seconds while its
    supervisor reports it missing (or no frame for `stall_limit` seconds at all) is a device fault.
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        dpi: int = 200,
        max_frames: int = 150,
        frame_timeout: float = 5.0,
        stall_limit: float = 30.0,
        still_frames: int = 3,
        health: Callable[[], CameraHealth] | None = None,
    ) -> None:
        self._source = source
        self._dpi = dpi
        self._max_frames = max_frames
        self._frame_timeout = frame_timeout
        self._stall_limit = stall_limit
        self._still_frames = still_frames
        self._health = health
        # A read of a lost camera blocks (the supervised source retries); it is waited for with a timeout.
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="kiosk-camera")
        self._pending: Future[np.ndarray | None] | None = None
        self._lock = threading.Lock()

    def _frame(self) -> np.ndarray | None:
        if self._pending is None:
            self._pending = self._reader.submit(self._source.read)
        waited = 0.0
        while True:
            try:
                frame = self._pending.result(timeout=self._frame_timeout)
                break
            except FutureTimeout:
                waited += self._frame_timeout
                health = self._health() if self._health is not None else None
                if health is None or not health.ok or waited >= self._stall_limit:
                    detail = health.detail if health is not None and not health.ok else ""
                    raise DeviceFailureError(Device.CAMERA, detail or "no frames from the camera") from None
                log.warning("document camera slow: no frame for %.0f s", waited)
        self._pending = None
        return frame

    def capture_page(self) -> bytes:
        with self._lock:  # one capture at a time: frames are a stream
            return self._capture()

    def _capture(self) -> bytes:
        rule = StillPage(still_frames=self._still_frames)
        blank = False
        for _frame_number in range(self._max_frames):
            frame = self._frame()
            if frame is None:
                raise DeviceFailureError(Device.CAMERA, "the camera was closed")
            try:
                corners: np.ndarray | None = detect_page(frame).corners
            except PageNotFoundError:
                corners = None
            except CaptureError as err:
                log.warning("document camera gave a frame that is not an image: %s", err)
                continue
            height, width = frame.shape[:2]
            if not rule.accept(corners, float(np.hypot(height, width))):
                continue
            page = capture_page(frame, dpi=self._dpi)
            if page.blank:
                blank = True
                continue  # a blank sheet: wait for a page with something on it
            ok, encoded = cv2.imencode(".png", page.image)
            if not ok:
                raise DeviceFailureError(Device.CAMERA, "could not encode the page")
            log.info("page captured (skew %.1f degrees, turned %s)", page.skew_degrees, page.turned)
            return bytes(encoded.tobytes())
        raise RejectedError("capture_unclear" if blank else "capture_no_page")

    def close(self) -> None:
        self._source.close()
        self._reader.shutdown(wait=False, cancel_futures=True)


class Paced:
    """At most `fps` frames a second: a real camera blocks until its next frame, a simulated one would not,
    and an unpaced scan loop would take a whole core of the kiosk for an empty counter."""

    def __init__(self, source: FrameSource, fps: float) -> None:
        self._source = source
        self._every = 1.0 / fps
        self._last = 0.0

    @property
    def name(self) -> str:
        return self._source.name

    def read(self) -> np.ndarray | None:
        wait = self._last + self._every - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        return self._source.read()

    def close(self) -> None:
        self._source.close()


class CameraScanner:
    """The QR camera's scan loop on its own thread; `next_code` hands over what it decoded, once each."""

    def __init__(
        self,
        source: FrameSource,
        *,
        health: Callable[[], CameraHealth] | None = None,
        # A code held up for a second is still read five times; each frame costs ~40 ms of CPU to decode
        # (at 10 a second the kiosk idled at 40-65 % of a core with the simulated cameras).
        fps: float = 5.0,
    ) -> None:
        self._codes: queue.Queue[str] = queue.Queue()
        self._health = health
        self._loop = ScanLoop(Paced(source, fps), self._found)
        self._loop.start()

    @property
    def frames_seen(self) -> int:
        return self._loop.stats.frames

    def _found(self, decoded: Decoded) -> None:
        self._codes.put(decoded.text)

    def next_code(self) -> str | None:
        if self._health is not None:
            health = self._health()
            if not health.ok and health.detail != "not opened yet":
                raise DeviceFailureError(Device.SCANNER, health.detail or health.state.value)
        try:
            return self._codes.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._loop.stop()
