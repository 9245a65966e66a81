"""The SAM serial backend against the SAM reader emulator on a real pseudo-terminal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard.errors import (
    CardDataError,
    CardExpiredError,
    CardRemovedError,
    FrameError,
    InvalidIdNumberError,
    NoCardError,
    ReaderMissingError,
    ReaderTimeoutError,
)
from devices.idcard.reader import ReaderState, read_verified
from devices.idcard.sam_serial import SamSerialReader
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity, with_bad_check_digit
from firmware_sim.idcard.sam_emulator import SamReaderEmulator

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def emulator() -> Iterator[SamReaderEmulator]:
    with SamReaderEmulator() as running:
        yield running


@pytest.fixture
def reader(emulator: SamReaderEmulator) -> Iterator[SamSerialReader]:
    backend = SamSerialReader(emulator.port, timeout=0.5)
    yield backend
    backend.close()


def test_reads_the_presented_person(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    person = sample_identity("王小明", valid_until=None)
    emulator.present(SimCard.of(person))
    identity = read_verified(reader, TODAY)
    assert identity == person
    assert identity.photo == person.photo
    assert len(identity.photo) == 1024
    assert [bytes(p[:2]) for p in emulator.logic.requests] == [b"\x20\x01", b"\x20\x02", b"\x30\x01"]


def test_no_card(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    with pytest.raises(NoCardError):
        reader.read_identity()
    assert reader.health().state is ReaderState.READY


def test_expired_card(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(expired_identity()))
    assert reader.read_identity().valid_until == dt.date(2025, 1, 10)
    with pytest.raises(CardExpiredError):
        read_verified(reader, TODAY)


def test_bad_check_digit(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(with_bad_check_digit(sample_identity())))
    with pytest.raises(InvalidIdNumberError, match="check digit"):
        read_verified(reader, TODAY)


def test_damaged_card(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.damaged_card())
    with pytest.raises(CardDataError, match="birth date"):
        reader.read_identity()


def test_bad_xor_then_recovers(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(sample_identity()))
    emulator.corrupt_next_checksum()
    with pytest.raises(FrameError, match="XOR"):
        reader.read_identity()
    assert reader.read_identity().name == "张伟"


def test_truncated_answer(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(sample_identity()))
    emulator.truncate_next_answer()
    with pytest.raises(FrameError, match="stopped after"):
        reader.read_identity()


def test_card_pulled_mid_read(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(sample_identity()))
    emulator.pull_card_during_next_read()
    with pytest.raises(CardRemovedError, match="during read"):
        reader.read_identity()
    with pytest.raises(NoCardError):
        reader.read_identity()


def test_silent_reader_times_out(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.mute()
    with pytest.raises(ReaderTimeoutError):
        reader.read_identity()
    assert reader.health().state is ReaderState.FAULT


def test_unplugged_reader(emulator: SamReaderEmulator, reader: SamSerialReader) -> None:
    emulator.present(SimCard.of(sample_identity()))
    assert reader.read_identity().name == "张伟"
    emulator.unplug()
    with pytest.raises(ReaderMissingError):
        reader.read_identity()
    # The pty's number may be handed to another test's pty at once, so only "not healthy" is certain.
    assert not reader.health().ok


def test_missing_port() -> None:
    reader = SamSerialReader("/dev/does-not-exist-idcard", timeout=0.2)
    with pytest.raises(ReaderMissingError, match="no ID-card reader"):
        reader.read_identity()
    assert reader.health().state is ReaderState.READER_MISSING


class _ScriptedSerial:
    """Unit-test stub beneath the pty tests: answers every request with the given bytes."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.pending = b""
        self.is_open = True

    def reset_input_buffer(self) -> None:
        self.pending = b""

    def write(self, _data: bytes) -> int:
        self.pending = self.answers.pop(0) if self.answers else b""
        return len(_data)

    def read(self, count: int) -> bytes:
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def close(self) -> None:
        self.is_open = False


@given(st.lists(st.binary(max_size=1400), min_size=1, max_size=3), st.booleans())
def test_garbage_from_the_reader_is_always_a_specific_error(answers: list[bytes], framed: bool) -> None:
    from devices.idcard import sam_frames as frames
    from devices.idcard.errors import IdCardError

    if framed:  # well-formed frames around random payloads reach the deeper parsers
        answers = [
            frames.encode_frame(b"\x00\x00" + bytes([0x9F if i == 0 else 0x90]) + a)
            for i, a in enumerate(answers)
        ]
    reader = SamSerialReader("scripted", timeout=0.01)
    reader._serial = _ScriptedSerial(list(answers))  # type: ignore[assignment]
    try:
        reader.read_identity()
    except IdCardError:
        return
