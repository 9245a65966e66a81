"""The PC/SC backend against real pcscd + vsmartcard-vpcd with the card emulator (fixture `pcsc`)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from devices.idcard.errors import (
    CardDataError,
    CardExpiredError,
    CardRemovedError,
    InvalidIdNumberError,
    NoCardError,
    ReaderMissingError,
    ReaderServiceError,
    UnsupportedCardError,
)
from devices.idcard.pcsc import EventKind, PcscReader, PcscWatcher, ReaderEvent
from devices.idcard.reader import ReaderState, read_verified
from devices.idcard.social_security import verify_social_security
from firmware_sim.idcard.cards import (
    SimCard,
    expired_identity,
    sample_identity,
    social_security_records,
    with_bad_check_digit,
)
from firmware_sim.idcard.vpcd_card import VirtualCard
from tests.fixtures.pcsc import PcscStack

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def reader(pcsc: PcscStack) -> Iterator[PcscReader]:
    backend = PcscReader(pcsc.reader_name)
    yield backend
    backend.close()


def _insert(pcsc: PcscStack, card: VirtualCard) -> None:
    pcsc.insert(card)


def test_reads_the_presented_person(pcsc: PcscStack, reader: PcscReader) -> None:
    person = sample_identity("欧阳小红", valid_until=None)
    _insert(pcsc, VirtualCard(SimCard.of(person)))
    identity = read_verified(reader, TODAY)
    assert identity == person
    assert identity.photo == person.photo
    assert reader.health().state is ReaderState.READY


def test_same_identity_as_the_sam_reader_gives(pcsc: PcscStack, reader: PcscReader) -> None:
    from devices.idcard.sam_serial import SamSerialReader
    from firmware_sim.idcard.sam_emulator import SamReaderEmulator

    card = SimCard.of(sample_identity("赵敏"))
    _insert(pcsc, VirtualCard(card))
    with SamReaderEmulator() as sam:
        sam.present(card)
        serial_reader = SamSerialReader(sam.port, timeout=0.5)
        over_serial = serial_reader.read_identity()
        serial_reader.close()
    over_pcsc = reader.read_identity()
    assert over_pcsc == over_serial
    assert over_pcsc.photo == over_serial.photo


def test_no_card(pcsc: PcscStack, reader: PcscReader) -> None:
    with pytest.raises(NoCardError):
        reader.read_identity()


def test_expired_card(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, VirtualCard(SimCard.of(expired_identity())))
    with pytest.raises(CardExpiredError, match="expired on 2025-01-10"):
        read_verified(reader, TODAY)


def test_bad_check_digit(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, VirtualCard(SimCard.of(with_bad_check_digit(sample_identity()))))
    with pytest.raises(InvalidIdNumberError, match="check digit"):
        read_verified(reader, TODAY)


def test_damaged_card(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, VirtualCard(SimCard.damaged_card()))
    with pytest.raises(CardDataError, match="damaged card"):
        reader.read_identity()


def test_card_without_the_identity_application(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, VirtualCard(social_records=social_security_records(sample_identity())))
    with pytest.raises(UnsupportedCardError, match="identity-data application"):
        reader.read_identity()


@pytest.mark.parametrize("answered", [0, 1, 4, 14])
def test_card_pulled_mid_read(pcsc: PcscStack, reader: PcscReader, answered: int) -> None:
    _insert(pcsc, VirtualCard(SimCard.of(sample_identity())))
    pcsc.card.pull_after(answered)
    with pytest.raises(CardRemovedError):
        reader.read_identity()
    deadline = time.monotonic() + 5
    while True:  # pcscd notices the empty slot on its next poll
        try:
            reader.read_identity()
        except NoCardError:
            break
        except CardRemovedError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_social_security_card(pcsc: PcscStack, reader: PcscReader) -> None:
    person = sample_identity("钱学森", nation="回")
    _insert(
        pcsc, VirtualCard(social_records=social_security_records(person, valid_until=dt.date(2030, 1, 1)))
    )
    card = verify_social_security(reader.read_social_security(), TODAY)
    assert (card.ssn, card.name, card.sex, card.nation) == (person.id_number, "钱学森", person.sex, "回")
    assert card.birth_date == person.birth_date
    assert card.valid_until == dt.date(2030, 1, 1)
    assert card.ssn not in repr(card)


def test_expired_social_security_card(pcsc: PcscStack, reader: PcscReader) -> None:
    records = social_security_records(sample_identity(), valid_until=dt.date(2024, 6, 1))
    _insert(pcsc, VirtualCard(social_records=records))
    with pytest.raises(CardExpiredError):
        verify_social_security(reader.read_social_security(), TODAY)


@pytest.mark.slow
def test_reader_missing_then_back(pcsc: PcscStack, reader: PcscReader) -> None:
    pcsc.unplug_reader()
    with pytest.raises(ReaderMissingError):
        reader.read_identity()
    assert reader.health().state is ReaderState.READER_MISSING
    pcsc.plug_reader()
    _insert(pcsc, VirtualCard(SimCard.of(sample_identity())))
    assert reader.read_identity().name == "张伟"


@pytest.mark.slow
def test_pcscd_stopped_and_restarted(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, VirtualCard(SimCard.of(sample_identity())))
    assert reader.read_identity().name == "张伟"
    pcsc.stop()
    with pytest.raises(ReaderServiceError):
        reader.read_identity()
    assert reader.health().state is ReaderState.SERVICE_DOWN
    pcsc.start()
    _insert(pcsc, VirtualCard(SimCard.of(sample_identity("孙丽", sequence=88))))
    assert reader.read_identity().name == "孙丽"  # same reader object, new pcscd


def _next_event(watcher: PcscWatcher, kind: EventKind, timeout: float = 10.0) -> ReaderEvent:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            event = watcher.events.get(timeout=0.1)
        except Exception:
            continue
        seen.append(event.kind)
        if event.kind is kind:
            return event
    raise AssertionError(f"no {kind} within {timeout} s; saw {seen}")


@pytest.fixture
def watcher(pcsc: PcscStack) -> Iterator[PcscWatcher]:
    running = PcscWatcher(pcsc.reader_name, poll_ms=100, retry_seconds=0.1).start()
    _next_event(running, EventKind.READER_ADDED)
    yield running
    running.stop()


def test_watcher_sees_insert_and_remove(pcsc: PcscStack, watcher: PcscWatcher) -> None:
    assert watcher.health().state is ReaderState.READY
    pcsc.insert(VirtualCard(SimCard.of(sample_identity())))
    assert _next_event(watcher, EventKind.CARD_INSERTED).reader == pcsc.reader_name
    assert watcher.health().state is ReaderState.CARD_PRESENT
    pcsc.remove()
    _next_event(watcher, EventKind.CARD_REMOVED)
    assert watcher.health().state is ReaderState.READY


@pytest.mark.slow
def test_watcher_recovers_from_pcscd_restart(pcsc: PcscStack, watcher: PcscWatcher) -> None:
    pcsc.stop()
    _next_event(watcher, EventKind.SERVICE_LOST)
    assert watcher.health().state is ReaderState.SERVICE_DOWN
    pcsc.start()
    _next_event(watcher, EventKind.SERVICE_RESTORED)
    _next_event(watcher, EventKind.READER_ADDED)
    pcsc.insert(VirtualCard(SimCard.of(sample_identity())))
    _next_event(watcher, EventKind.CARD_INSERTED)
    health = watcher.health()
    assert health.state is ReaderState.CARD_PRESENT
    assert health.recoveries == 1


@pytest.mark.slow
def test_watcher_follows_reader_unplug(pcsc: PcscStack, watcher: PcscWatcher) -> None:
    pcsc.unplug_reader()
    _next_event(watcher, EventKind.READER_REMOVED)
    deadline = time.monotonic() + 10
    while watcher.health().state is not ReaderState.READER_MISSING:
        assert time.monotonic() < deadline, watcher.health()
        time.sleep(0.05)
    pcsc.plug_reader()
    _next_event(watcher, EventKind.READER_ADDED)
    assert watcher.health().ok


class _ShortTextCard(VirtualCard):
    """A worn card: the text file ends early and reading past it is refused."""

    def process(self, command: bytes) -> bytes:
        if command[:2] == b"\x00\xb0" and int.from_bytes(command[2:4], "big") >= 128:
            return (
                b"\x6b\x00"
                if self._current_ef is not None and len(self._current_ef) == 256
                else super().process(command)
            )
        return super().process(command)


def test_card_refusing_a_read_is_a_damaged_card(pcsc: PcscStack, reader: PcscReader) -> None:
    _insert(pcsc, _ShortTextCard(SimCard.of(sample_identity())))
    with pytest.raises(CardDataError, match="refused a read: SW 6B00"):
        reader.read_identity()
