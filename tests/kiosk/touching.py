"""The touch tests' runner: tools/kiosk_touch.py with the scenarios of tests/kiosk/touch_scenarios.py.

    python -m tests.kiosk.touching --scenario NAME --case-service-url URL --out DIR [--language zh]

A test runs it with `touched(...)` (below), which starts the hall simulator in the test's process and
returns the report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.kiosk_touch import (
    Finger,
    Hands,
    ScenarioError,
    _text_inputs,
    _texts,
    _tree,
    main,
    visible_buttons,
)

TOUCH_TIMEOUT = 280  # seconds a scenario's process may run

__all__ = [
    "Finger",
    "Hands",
    "ScenarioError",
    "_text_inputs",
    "_texts",
    "_tree",
    "touched",
    "visible_buttons",
]


def touched(
    display: Any,
    case_url: str,
    folder: Path,
    out: Path,
    scenario: str,
    language: str = "zh",
    settings: dict[str, str] | None = None,
    controller_url: str = "",
    orientation: str = "portrait",
    **args: Any,
) -> dict[str, Any]:
    """Runs `scenario` in a fresh kiosk process (the real app under `display`, the case service at
    `case_url`, the controller at `controller_url` if given) and returns its report; the hall simulator
    runs here, in the test's process, outside the kiosk's."""
    from firmware_sim.simulator.bench import KioskBench
    from firmware_sim.simulator.page import SimulatorPage, development_eid_issuer
    from hall.settings import DEV_SECRET_KEY
    from tests.fixtures.hall import hall_env
    from tests.fixtures.procs import require_binary
    from tests.kiosk.conftest import write_kiosk_credential

    require_binary("xdotool", "xdotool")  # the finger: presses on the X display
    write_kiosk_credential(case_url, folder / "var", "kiosk-touch")  # enrolled, as on the kiosk machine
    # The kiosk's card reader, QR scanner and desk: the hall simulator's, here in the test's process,
    # outside the kiosk's; the scenario works them by the simulator page's buttons.
    simulator = SimulatorPage(KioskBench(), eid=development_eid_issuer(DEV_SECRET_KEY))
    simulator.start()
    env = hall_env(folder / "var", kiosk__voice="off", kiosk__simulator_url=simulator.url, **(settings or {}))
    env["DISPLAY"] = display.name
    env["HALL_DEVICES__IDCARD__TIMEOUT_SECONDS"] = "0.5"
    command = [sys.executable, "-m", "tests.kiosk.touching", "--scenario", scenario, "--language", language]
    command += ["--case-service-url", case_url, "--out", str(out), "--args", json.dumps(args)]
    command += ["--orientation", orientation, "--stuck-after", str(TOUCH_TIMEOUT - 20)]
    command += ["--controller-url", controller_url] if controller_url else []
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=TOUCH_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as err:  # what the kiosk logged says where it stuck
        stderr = err.stderr.decode("utf-8", "replace") if isinstance(err.stderr, bytes) else err.stderr or ""
        raise AssertionError(f"{scenario} still running after {TOUCH_TIMEOUT} s:\n{stderr[-4000:]}") from None
    finally:
        simulator.stop()
    assert done.stdout.strip(), done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failed"] == "", f"{report['failed']}\n{done.stderr[-2000:]}"
    return report


if __name__ == "__main__":
    sys.exit(main(scenarios="tests.kiosk.touch_scenarios"))
