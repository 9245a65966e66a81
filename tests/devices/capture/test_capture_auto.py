"""Auto-capture: the pure stillness rule, then the loop over the simulated document camera."""

from __future__ import annotations

import numpy as np

from devices.capture.auto import AutoCapture, StillPage
from devices.capture.geometry import polygon_iou
from devices.capture.pipeline import CapturedPage
from firmware_sim.capture.camera import SimulatedCamera

PAGE = np.array([[100, 100], [500, 110], [510, 660], [90, 650]], np.float32)
DIAGONAL = 1000.0


def test_a_page_is_taken_once_after_it_has_been_still() -> None:
    rule = StillPage(still_frames=3, tolerance=0.01)
    shaky = [rule.accept(PAGE + offset, DIAGONAL) for offset in (0, 30, 60)]  # still being laid down
    assert shaky == [False, False, False]
    still = [rule.accept(PAGE + 60 + wobble, DIAGONAL) for wobble in (0.5, 1.0, 0.0, 0.5, 1.0)]
    assert still == [False, True, False, False, False]


def test_the_same_page_again_is_not_taken_twice_but_a_new_one_is() -> None:
    rule = StillPage(still_frames=2)
    assert [rule.accept(PAGE, DIAGONAL) for _ in range(3)] == [False, True, False]
    nudged = PAGE + 8  # moved a little: still the same page
    assert [rule.accept(nudged, DIAGONAL) for _ in range(3)] == [False, False, False]
    elsewhere = PAGE + np.array([300, 0], np.float32)  # another page laid beside
    assert [rule.accept(elsewhere, DIAGONAL) for _ in range(2)] == [False, True]


def test_taking_the_page_away_allows_the_same_place_again() -> None:
    rule = StillPage(still_frames=2)
    assert [rule.accept(PAGE, DIAGONAL) for _ in range(2)] == [False, True]
    assert rule.accept(None, DIAGONAL) is False
    assert [rule.accept(PAGE, DIAGONAL) for _ in range(2)] == [False, True]


def test_auto_capture_over_the_simulated_camera_takes_each_page_once() -> None:
    camera = SimulatedCamera(30_300, pages=3, frames_per_page=4, size=(540, 960))
    truths = []
    pages: list[CapturedPage] = []

    def on_page(page: CapturedPage) -> None:
        assert camera.last_scene is not None
        truths.append(camera.last_scene)
        pages.append(page)

    capture = AutoCapture(camera, on_page, rule=StillPage(still_frames=2))
    capture.run()
    assert len(pages) == 3
    for page, truth in zip(pages, truths, strict=True):
        assert polygon_iou(page.corners, truth.corners) >= 0.95
        assert page.blank == truth.blank
