"""The real Kivy kiosk under Xvfb, driven through every screen: screenshots, nothing clipped, CJK font.

With HALL_TEST_SCREENSHOT_DIR=docs/screenshots (`make screenshots`) every screen is taken in both languages
and both orientations; otherwise portrait in Chinese and landscape in English, to keep the suite quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hall.display import VirtualDisplay
from kiosk.flow.state import Screen
from tests.fixtures.hall import hall_env
from tools import KIOSK_DRIVE

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# The screens the tour must show (the names of its screenshots start with these).
EVERY_SCREEN = {screen.value for screen in Screen}


def drive(
    display: VirtualDisplay, data_dir: Path, out: Path, orientation: str, languages: str
) -> subprocess.Popen[str]:
    env = hall_env(data_dir, kiosk__voice="off")
    env["DISPLAY"] = display.name
    command = [sys.executable, str(KIOSK_DRIVE), "--orientation", orientation, "--out", str(out)]
    return subprocess.Popen(
        [*command, "--languages", languages],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.timeout(1200)
def test_every_screen_in_both_orientations(
    xvfb: VirtualDisplay, screenshot_dir: Path, tmp_path: Path
) -> None:
    everything = bool(os.environ.get("HALL_TEST_SCREENSHOT_DIR"))
    runs = {
        "portrait": "zh,en" if everything else "zh",
        "landscape": "zh,en" if everything else "en",
    }
    started = {
        orientation: drive(xvfb, tmp_path / orientation, screenshot_dir, orientation, languages)
        for orientation, languages in runs.items()
    }  # both at once: each is its own window on the shared virtual screen
    for orientation, process in started.items():
        output, errors = process.communicate(timeout=600)
        assert output.strip(), f"{orientation}: no report; stderr: {errors[-2000:]}"
        report = json.loads(output.strip().splitlines()[-1])
        assert report["failed"] == "", f"{orientation}: {report['failed']}"
        assert report["clipped"] == [], f"{orientation}: clipped text {report['clipped']}"
        shots = report["shots"]
        shown = {name.removeprefix(f"kiosk-{orientation}-").removesuffix(".png") for name in shots}
        missing = {screen for screen in EVERY_SCREEN if not any(name.startswith(screen) for name in shown)}
        # the language screen is shown before a language is chosen; the fault screen in every language
        assert missing == set(), f"{orientation}: no screenshot of {missing}"
        for language in runs[orientation].split(","):
            assert f"kiosk-{orientation}-menu-{language}.png" in shots
        for name in shots:
            assert (screenshot_dir / name).stat().st_size > 5000
        assert process.returncode == 0
