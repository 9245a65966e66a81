"""The systemd units of deploy/systemd pass `systemd-analyze verify` (paths pointed at this checkout)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.*"))


def test_every_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    assert {unit.name for unit in UNITS} >= {
        "hall-case-service.service",
        "hall-case-service@.service",
        "hall-controller.service",
        "hall-devices.service",
        "hall-kiosk.service",
        "hall-backup.service",
        "hall-backup.timer",
    }
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/hall", str(ROOT)))
    names = [str(tmp_path / unit.name) for unit in UNITS]
    done = subprocess.run(
        [analyze, "verify", *names], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
