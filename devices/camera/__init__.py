"""Camera sources: a device index, a video file or a folder of images, behind one `FrameSource` protocol."""

from devices.camera.sources import (
    CameraError,
    FrameSource,
    ImageFolderSource,
    OpenCVSource,
    open_source,
)
from devices.camera.supervised import CameraHealth, CameraState, SupervisedSource

__all__ = [
    "CameraError",
    "CameraHealth",
    "CameraState",
    "FrameSource",
    "ImageFolderSource",
    "OpenCVSource",
    "SupervisedSource",
    "open_source",
]
