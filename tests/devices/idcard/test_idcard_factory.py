"""Choosing the reader by configuration."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from devices.idcard.config import IdCardSettings
from devices.idcard.errors import NoCardError, ReaderMissingError
from devices.idcard.factory import open_card_reader
from devices.idcard.pcsc import PcscReader
from devices.idcard.reader import read_verified
from devices.idcard.sam_serial import SamSerialReader
from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.idcard.reader import open_simulated_card_reader
from firmware_sim.idcard.sam_emulator import SamReaderEmulator
from tests.fixtures.pcsc import PcscStack

TODAY = dt.date(2026, 11, 21)


def test_settings_refuse_unknown_interface() -> None:
    with pytest.raises(ValidationError, match="interface"):
        IdCardSettings(interface="usb")
    with pytest.raises(ValidationError):
        IdCardSettings(colour="red")  # type: ignore[call-arg]


def test_sim_sam_reader_runs_the_real_driver_on_the_emulator() -> None:
    opened = open_simulated_card_reader(IdCardSettings(timeout_seconds=0.5))
    try:
        assert isinstance(opened.reader, SamSerialReader)
        with pytest.raises(NoCardError):
            opened.reader.read_identity()
        person = sample_identity("周杰")
        opened.present(SimCard.of(person))
        assert read_verified(opened.reader, TODAY) == person
        opened.present(None)
        with pytest.raises(NoCardError):
            opened.reader.read_identity()
    finally:
        opened.close()


def test_real_sam_reader_uses_the_configured_port() -> None:
    with SamReaderEmulator() as emulator:
        emulator.present(SimCard.of(sample_identity()))
        opened = open_card_reader(IdCardSettings(serial_port=emulator.port, timeout_seconds=0.5))
        assert opened.reader.read_identity().name == "张伟"
        assert not hasattr(opened, "present")  # a real reader cannot be told what card to hold
        opened.close()
    missing = open_card_reader(IdCardSettings(serial_port="/dev/no-such-reader", timeout_seconds=0.2))
    with pytest.raises(ReaderMissingError):
        missing.reader.read_identity()


@pytest.mark.integration
def test_real_pcsc_reader_by_name(pcsc: PcscStack) -> None:
    opened = open_card_reader(IdCardSettings(interface="pcsc", pcsc_reader="Virtual PCD 00 00"))
    try:
        assert isinstance(opened.reader, PcscReader)
        with pytest.raises(NoCardError):
            opened.reader.read_identity()
    finally:
        opened.close()


_SIM_PCSC_SCRIPT = """
import datetime as dt
from devices.idcard.config import IdCardSettings
from devices.idcard.reader import read_verified
from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.idcard.reader import open_simulated_card_reader

opened = open_simulated_card_reader(IdCardSettings(interface="pcsc"))
try:
    opened.present(SimCard.of(sample_identity("吴刚")))
    print(read_verified(opened.reader, dt.date(2026, 11, 21)).name)
finally:
    opened.close()
"""


@pytest.mark.integration
@pytest.mark.slow
def test_sim_pcsc_reader_in_its_own_process(pcsc_stack: PcscStack) -> None:
    # libpcsclite fixes its socket once per process, so the simulated PC/SC reader gets a fresh one.
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "PCSCLITE_CSOCK_NAME"}
    done = subprocess.run(
        [sys.executable, "-c", _SIM_PCSC_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "吴刚"
