"""The camera loop: frames in, each code reported once while it is shown.

`Debouncer` is the pure rule (no I/O, unit-tested alone); `ScanLoop` feeds it frames from a `FrameSource`
on a worker thread. A phone held to the camera shows the same code in every frame: it is reported when first
seen, then not again until it has been out of sight for `release_seconds` (so showing it a second time,
deliberately, reports it again). A code must be seen in `confirm_frames` frames in a row before it counts,
which rejects a single misread frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from devices.barcode.model import Decoded, InvalidImageError
from devices.barcode.pipeline import decode
from devices.camera.sources import FrameSource
from devices.camera.worker import FrameWorker

log = logging.getLogger(__name__)

_Key = tuple[str, str]

# What the kiosk's QR camera is shown: QR codes (e-ID, tickets, pickup codes) and Code 128 (case numbers on
# paper forms). Each symbology more costs time on every frame (DataMatrix alone quadruples it).
KIOSK_FORMATS = ("QRCode", "Code128")


@dataclass
class Debouncer:
    release_seconds: float = 1.5
    confirm_frames: int = 1
    _last_seen: dict[_Key, float] = field(default_factory=dict)
    _streak: dict[_Key, int] = field(default_factory=dict)
    _reported: set[_Key] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.release_seconds < 0 or self.confirm_frames < 1:
            raise ValueError("release_seconds must be >= 0 and confirm_frames >= 1")

    def accept(self, found: list[Decoded], now: float) -> list[Decoded]:
        """The codes of this frame that should be reported now."""
        current = {(item.format, item.text): item for item in found}
        for key in list(self._last_seen):
            if key not in current and now - self._last_seen[key] > self.release_seconds:
                del self._last_seen[key]
                self._streak.pop(key, None)
                self._reported.discard(key)
        for key in list(self._streak):
            if key not in current:
                self._streak[key] = 0
        fresh = []
        for key, item in current.items():
            self._last_seen[key] = now
            self._streak[key] = self._streak.get(key, 0) + 1
            if key not in self._reported and self._streak[key] >= self.confirm_frames:
                self._reported.add(key)
                fresh.append(item)
        return fresh


@dataclass
class ScanStats:
    frames: int = 0
    reported: int = 0
    bad_frames: int = 0
    last_frame_at: float = 0.0


class ScanLoop(FrameWorker):
    """Reads frames from `source`, decodes them and calls `on_code` once per code shown.

    Most frames get the fast path only; every `thorough_every`-th frame gets the cascade too, within
    `thorough_budget_seconds`, so a hard code is still found within a fraction of a second without spending
    the CPU on every empty frame.
    """

    thread_name = "barcode-scan"

    def __init__(
        self,
        source: FrameSource,
        on_code: Callable[[Decoded], None],
        *,
        debouncer: Debouncer | None = None,
        thorough_every: int = 4,
        formats: tuple[str, ...] | None = KIOSK_FORMATS,
        thorough_budget_seconds: float = 0.2,
        decoder: Callable[..., list[Decoded]] = decode,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(source)
        self._on_code = on_code
        self._debouncer = debouncer or Debouncer()
        self._thorough_every = max(1, thorough_every)
        self._decoder = decoder
        self._formats = formats
        self._budget = thorough_budget_seconds
        self._clock = clock
        self.stats = ScanStats()

    def process(self, frame: np.ndarray) -> list[Decoded]:
        """One frame through decoder and debouncer; returns (and reports) the codes new in this frame."""
        self.stats.frames += 1
        thorough = self.stats.frames % self._thorough_every == 0
        try:
            found = self._decoder(
                frame, thorough=thorough, formats=self._formats, budget_seconds=self._budget
            )
        except InvalidImageError as err:
            self.stats.bad_frames += 1
            log.warning("camera %s gave a frame that is not an image: %s", self._source.name, err)
            return []
        now = self._clock()
        self.stats.last_frame_at = now
        fresh = self._debouncer.accept(found, now)
        for item in fresh:
            self.stats.reported += 1
            self._on_code(item)
        return fresh
