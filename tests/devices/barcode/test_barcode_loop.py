"""The camera loop: the pure debouncer alone, then ScanLoop reading a real video file through OpenCV."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.barcode import Decoded
from devices.barcode.loop import Debouncer, ScanLoop
from devices.camera import OpenCVSource
from firmware_sim.capture.codes import qr_picture
from firmware_sim.capture.qr_camera import SimulatedQrCamera


def code(text: str) -> Decoded:
    return Decoded(text=text, format="QRCode", points=((0.0, 0.0),))


def test_a_code_held_in_view_is_reported_once() -> None:
    debouncer = Debouncer(release_seconds=1.0)
    reported = [debouncer.accept([code("A")], now=t / 10) for t in range(30)]
    assert [len(batch) for batch in reported] == [1] + [0] * 29


def test_a_short_gap_does_not_report_again_but_a_long_one_does() -> None:
    debouncer = Debouncer(release_seconds=1.0)
    assert debouncer.accept([code("A")], 0.0) == [code("A")]
    assert debouncer.accept([], 0.5) == []
    assert debouncer.accept([code("A")], 0.9) == []  # flicker: a frame without the code
    assert debouncer.accept([], 1.0) == []
    assert debouncer.accept([], 2.5) == []  # gone for 1.6 s
    assert debouncer.accept([code("A")], 2.6) == [code("A")]


def test_confirm_frames_rejects_a_single_misread() -> None:
    debouncer = Debouncer(confirm_frames=2)
    assert debouncer.accept([code("misread")], 0.0) == []
    assert debouncer.accept([code("real")], 0.1) == []
    assert debouncer.accept([code("real")], 0.2) == [code("real")]
    assert debouncer.accept([code("misread")], 0.3) == []


def test_two_codes_in_view_are_reported_each_once() -> None:
    debouncer = Debouncer()
    assert debouncer.accept([code("A"), code("B")], 0.0) == [code("A"), code("B")]
    assert debouncer.accept([code("B"), code("A")], 0.1) == []


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="confirm_frames"):
        Debouncer(confirm_frames=0)


def _frame(text: str | None) -> np.ndarray:
    frame = np.full((360, 480, 3), 150, np.uint8)
    if text is not None:
        picture = cv2.cvtColor(qr_picture(text, box=5), cv2.COLOR_GRAY2BGR)
        frame[40 : 40 + picture.shape[0], 60 : 60 + picture.shape[1]] = picture
    return frame


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (480, 360))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def test_scan_loop_on_a_video_file_reports_each_showing(tmp_path: Path) -> None:
    # 10 frames per second: a ticket shown for 1 s, taken away for 2 s, shown again, then a pickup code.
    script = [None] * 3 + ["TICKET-A012"] * 10 + [None] * 20 + ["TICKET-A012"] * 10 + ["PICKUP-438291"] * 10
    video = tmp_path / "camera.avi"
    _write_video(video, [_frame(text) for text in script])
    frame_clock = iter(index / 10 for index in range(len(script)))
    reported: list[str] = []
    loop = ScanLoop(
        OpenCVSource(video),
        lambda found: reported.append(found.text),
        debouncer=Debouncer(release_seconds=1.0),
        clock=lambda: next(frame_clock),
    )
    loop.start()
    loop.join(timeout=60)
    loop.stop()
    assert reported == ["TICKET-A012", "TICKET-A012", "PICKUP-438291"]
    assert loop.stats.frames == len(script)


def test_scan_loop_counts_frames_that_are_not_images() -> None:
    class Broken:
        name = "broken"

        def __init__(self) -> None:
            self.frames = [np.zeros((4, 4), np.uint8), _frame("OK")]

        def read(self) -> np.ndarray | None:
            return self.frames.pop(0) if self.frames else None

        def close(self) -> None:
            self.frames = []

    reported: list[str] = []
    loop = ScanLoop(Broken(), lambda found: reported.append(found.text))
    loop.run()
    assert reported == ["OK"]
    assert loop.stats.bad_frames == 1


def test_scan_loop_over_the_simulated_qr_camera_reports_a_shown_phone_once() -> None:
    camera = SimulatedQrCamera(size=(480, 640), seed=3)
    reported: list[str] = []
    loop = ScanLoop(
        camera, lambda found: reported.append(found.text), debouncer=Debouncer(release_seconds=0.0)
    )
    empty = camera.read()
    assert empty is not None
    assert loop.process(empty) == []
    camera.show("取件码:438291 柜号:B-07")
    for _ in range(5):
        frame = camera.read()
        assert frame is not None
        loop.process(frame)
    camera.take_away()
    for _ in range(2):
        frame = camera.read()
        assert frame is not None
        loop.process(frame)
    camera.show("取件码:438291 柜号:B-07", angle=-5)
    frame = camera.read()
    assert frame is not None
    loop.process(frame)
    assert reported == ["取件码:438291 柜号:B-07", "取件码:438291 柜号:B-07"]
    camera.close()
    assert camera.read() is None
