"""Auto-capture: the document camera takes the page by itself once it has been laid still.

`StillPage` is the pure rule (corners in, "capture now" out): the page's corners must stay within
`tolerance` (a fraction of the frame's diagonal) for `still_frames` frames in a row; then it is captured
once, and not again until the page has been taken away or replaced by one lying elsewhere (IoU with the
captured corners below `same_page_iou`). `AutoCapture` runs it over a `FrameSource`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from devices.camera.sources import FrameSource
from devices.camera.worker import FrameWorker
from devices.capture.detect import detect_page
from devices.capture.errors import CaptureError, PageNotFoundError
from devices.capture.geometry import polygon_iou
from devices.capture.pipeline import CapturedPage, capture_page

log = logging.getLogger(__name__)


@dataclass
class StillPage:
    still_frames: int = 3
    tolerance: float = 0.01
    same_page_iou: float = 0.9
    _previous: np.ndarray | None = field(default=None, repr=False)
    _still: int = 0
    _captured: np.ndarray | None = field(default=None, repr=False)

    def accept(self, corners: np.ndarray | None, frame_diagonal: float) -> bool:
        """True when the frame with these corners (None: no page in view) should be captured."""
        if corners is None:
            self._previous, self._still, self._captured = None, 0, None
            return False
        moved = (
            float(np.max(np.linalg.norm(corners - self._previous, axis=1)))
            if self._previous is not None
            else float("inf")
        )
        self._previous = corners
        self._still = self._still + 1 if moved <= self.tolerance * frame_diagonal else 1
        if self._still < self.still_frames:
            return False
        if self._captured is not None and polygon_iou(corners, self._captured) >= self.same_page_iou:
            return False
        self._captured = corners
        return True


class AutoCapture(FrameWorker):
    """Reads frames from `source` and calls `on_page` with each page laid still in front of the camera."""

    thread_name = "auto-capture"

    def __init__(
        self,
        source: FrameSource,
        on_page: Callable[[CapturedPage], None],
        *,
        rule: StillPage | None = None,
        dpi: int = 200,
    ) -> None:
        super().__init__(source)
        self._on_page = on_page
        self._rule = rule or StillPage()
        self._dpi = dpi
        self.pages = 0

    def process(self, frame: np.ndarray) -> CapturedPage | None:
        try:
            corners: np.ndarray | None = detect_page(frame).corners
        except PageNotFoundError:
            corners = None
        except CaptureError as err:
            log.warning("camera %s gave a frame that is not an image: %s", self._source.name, err)
            return None
        height, width = frame.shape[:2]
        if not self._rule.accept(corners, float(np.hypot(height, width))):
            return None
        page = capture_page(frame, dpi=self._dpi)
        self.pages += 1
        self._on_page(page)
        return page
