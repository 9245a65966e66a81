"""Where frames come from. Every source gives BGR uint8 frames and `None` at the end of its stream.

- `OpenCVSource`: a V4L2 device index (a document camera, the kiosk's QR camera) or a video file;
- `ImageFolderSource`: the images of a folder in name order (scanned batches, test scenes);
- `firmware_sim.capture.camera.SimulatedCamera`: generated desk scenes, for the hall without hardware.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})


class CameraError(Exception):
    """A camera source cannot be opened or has failed."""


@runtime_checkable
class FrameSource(Protocol):
    @property
    def name(self) -> str: ...

    def read(self) -> np.ndarray | None:
        """The next BGR frame, or None when the stream has ended."""

    def close(self) -> None: ...


class OpenCVSource:
    """A camera by device index, or a video file, read through OpenCV."""

    def __init__(self, target: int | Path, *, width: int | None = None, height: int | None = None) -> None:
        self._target = target
        self._capture = cv2.VideoCapture(target if isinstance(target, int) else str(target))
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(f"cannot open camera source {target}")
        if width and height:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.frames_read = 0

    @property
    def name(self) -> str:
        return f"camera {self._target}" if isinstance(self._target, int) else f"video {self._target}"

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        if not ok or frame is None:
            return None
        self.frames_read += 1
        return np.asarray(frame)

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource:
    """The images of a folder in name order; files that are not readable images are skipped and logged."""

    def __init__(self, folder: Path, *, loop: bool = False) -> None:
        if not folder.is_dir():
            raise CameraError(f"not a folder of images: {folder}")
        self._files = sorted(path for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise CameraError(f"no images in {folder}")
        self._folder = folder
        self._loop = loop
        self._next = 0
        self.skipped: list[Path] = []

    @property
    def name(self) -> str:
        return f"folder {self._folder}"

    def read(self) -> np.ndarray | None:
        while self._next < len(self._files) or (self._loop and len(self.skipped) < len(self._files)):
            if self._next >= len(self._files):
                self._next = 0
            path = self._files[self._next]
            self._next += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is not None:
                return np.asarray(frame)
            if path not in self.skipped:
                log.warning("skipped %s: not a readable image", path.name)
                self.skipped.append(path)
        return None

    def close(self) -> None:
        self._next = len(self._files)
        self._loop = False


def open_source(spec: str) -> FrameSource:
    """A source from a configuration string: a device index ("0"), a folder of images, or a video file."""
    text = spec.strip()
    if text.isdigit():
        return OpenCVSource(int(text))
    path = Path(text)
    if path.is_dir():
        return ImageFolderSource(path)
    if path.is_file():
        return OpenCVSource(path)
    raise CameraError(f"no camera, folder or video file at {spec!r}")
