"""The emulator as a process: a SAM reader on a pty, switched between cards from stdin."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from devices.idcard.errors import CardDataError, CardExpiredError, NoCardError
from devices.idcard.reader import read_verified
from devices.idcard.sam_serial import SamSerialReader


def _say(process: subprocess.Popen[str], line: str) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


@pytest.mark.slow
def test_sam_emulator_process_switches_cards() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "firmware_sim.idcard", "sam", "--present", "person"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip().removeprefix("SAM reader on ")
        assert process.stdout.readline().strip() == "presenting: person"
        reader = SamSerialReader(port, timeout=1.0)
        today = dt.date(2026, 11, 21)
        assert read_verified(reader, today).name == "张伟"
        assert _say(process, "expired") == "presenting: expired"
        with pytest.raises(CardExpiredError):
            read_verified(reader, today)
        assert _say(process, "damaged") == "presenting: damaged"
        with pytest.raises(CardDataError):
            read_verified(reader, today)
        assert _say(process, "none") == "presenting: none"
        with pytest.raises(NoCardError):
            read_verified(reader, today)
        assert _say(process, "nonsense").startswith("unknown")
        reader.close()
        _say(process, "quit")
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
