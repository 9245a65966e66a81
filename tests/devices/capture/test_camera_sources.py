"""Camera sources: a folder of images, a video file, a device index that is absent, the simulated camera."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera import CameraError, FrameSource, ImageFolderSource, OpenCVSource, open_source
from firmware_sim.capture.camera import SimulatedCamera


def _write_images(folder: Path, count: int) -> None:
    for index in range(count):
        cv2.imwrite(str(folder / f"page-{index:02d}.png"), np.full((40, 60, 3), index * 20, np.uint8))


def test_folder_source_gives_images_in_name_order_and_skips_broken_files(tmp_path: Path) -> None:
    _write_images(tmp_path, 3)
    (tmp_path / "page-01b.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "notes.txt").write_text("ignored")
    source = ImageFolderSource(tmp_path)
    values = []
    while (frame := source.read()) is not None:
        values.append(int(frame[0, 0, 0]))
    assert values == [0, 20, 40]
    assert [path.name for path in source.skipped] == ["page-01b.jpg"]


def test_folder_source_can_loop(tmp_path: Path) -> None:
    _write_images(tmp_path, 2)
    source = ImageFolderSource(tmp_path, loop=True)
    values = [int(frame[0, 0, 0]) for frame in (source.read() for _ in range(5)) if frame is not None]
    assert values == [0, 20, 0, 20, 0]
    source.close()
    assert source.read() is None


def test_video_file_source_reads_every_frame(tmp_path: Path) -> None:
    video = tmp_path / "desk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (64, 48))
    for index in range(7):
        writer.write(np.full((48, 64, 3), index * 30, np.uint8))
    writer.release()
    source = open_source(str(video))
    assert isinstance(source, OpenCVSource)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    assert len(frames) == 7
    assert frames[3].shape == (48, 64, 3)
    assert abs(int(frames[3].mean()) - 90) <= 3


def test_missing_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="no camera"):
        open_source(str(tmp_path / "absent"))
    with pytest.raises(CameraError, match="no images"):
        ImageFolderSource(tmp_path)
    (tmp_path / "broken.avi").write_bytes(b"\x00" * 100)
    with pytest.raises(CameraError, match="cannot open"):
        OpenCVSource(tmp_path / "broken.avi")
    with pytest.raises(CameraError, match="cannot open"):
        OpenCVSource(63)  # no /dev/video63 on a test machine


def test_folder_spec_opens_a_folder_source(tmp_path: Path) -> None:
    _write_images(tmp_path, 1)
    assert isinstance(open_source(str(tmp_path)), ImageFolderSource)


def test_simulated_camera_is_a_frame_source_and_holds_each_page() -> None:
    camera = SimulatedCamera(40_000, pages=2, frames_per_page=2, size=(360, 640))
    assert isinstance(camera, FrameSource)
    frames, truths = [], []
    while (frame := camera.read()) is not None:
        frames.append(frame)
        truths.append(camera.last_scene)
    assert len(frames) == 4
    assert np.array_equal(frames[0], frames[1])
    assert not np.array_equal(frames[1], frames[2])
    assert truths[0] is truths[1]
