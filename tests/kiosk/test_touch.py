"""The kiosk touched on the glass (Kivy's input under Xvfb) against the real case service: the buttons a
person sees answer a touch, the next person finds nothing of the last one, ratings reach the service.

Each test starts `python -m tests.kiosk.touching` (the real app) with a scenario of tests/kiosk/
touch_scenarios.py and reads its report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hall.display import VirtualDisplay
from tests.fixtures.hall import hall_env

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def touched(
    display: VirtualDisplay,
    case_url: str,
    folder: Path,
    out: Path,
    scenario: str,
    language: str = "zh",
    settings: dict[str, str] | None = None,
    **args: Any,
) -> dict[str, Any]:
    env = hall_env(folder / "var", kiosk__voice="off", **(settings or {}))
    env["DISPLAY"] = display.name
    command = [sys.executable, "-m", "tests.kiosk.touching", "--scenario", scenario, "--language", language]
    command += ["--case-service-url", case_url, "--out", str(out), "--args", json.dumps(args)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=280, check=False)
    assert done.stdout.strip(), done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failed"] == "", f"{report['failed']}\n{done.stderr[-2000:]}"
    return report


@pytest.mark.parametrize("language", ["zh", "en"])
def test_identify_buttons_answer_a_touch(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """手机号 + 验证码 and 无需登录：证照核验 under the card prompt: touched, each opens its way."""
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "identify_buttons", language)
    assert report["notes"]["method"] == "phone"
