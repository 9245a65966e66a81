"""Taps: one result per card placement, over the SAM emulator and over real pcscd."""

from __future__ import annotations

import datetime as dt
import queue
import time
from collections.abc import Iterator

import pytest

from devices.idcard.errors import CardDataError, CardExpiredError, CardRemovedError, FrameError
from devices.idcard.identity import Identity
from devices.idcard.pcsc import PcscReader
from devices.idcard.reader import ReaderHealth, ReaderState
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.taps import Tap, TapWatcher
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity
from firmware_sim.idcard.sam_emulator import SamReaderEmulator
from firmware_sim.idcard.vpcd_card import VirtualCard
from tests.fixtures.pcsc import PcscStack

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def sam() -> Iterator[tuple[SamReaderEmulator, queue.Queue[Tap]]]:
    taps: queue.Queue[Tap] = queue.Queue()
    with SamReaderEmulator() as emulator:
        reader = SamSerialReader(emulator.port, timeout=0.3)
        watcher = TapWatcher(reader, taps.put, today=lambda: TODAY, poll_seconds=0.02).start()
        yield emulator, taps
        watcher.stop()
        reader.close()


def _no_more(taps: queue.Queue[Tap], seconds: float = 0.3) -> None:
    with pytest.raises(queue.Empty):
        taps.get(timeout=seconds)


def test_one_tap_per_placement(sam: tuple[SamReaderEmulator, queue.Queue[Tap]]) -> None:
    emulator, taps = sam
    _no_more(taps)
    emulator.present(SimCard.of(sample_identity()))
    tap = taps.get(timeout=5)
    assert tap.identity is not None and tap.identity.name == "张伟" and tap.error is None
    _no_more(taps)  # the card stays: no second session
    emulator.remove_card()
    time.sleep(0.2)
    emulator.present(SimCard.of(expired_identity()))
    tap = taps.get(timeout=5)
    assert tap.identity is None and isinstance(tap.error, CardExpiredError)


def test_damaged_card_and_pulled_card(sam: tuple[SamReaderEmulator, queue.Queue[Tap]]) -> None:
    emulator, taps = sam
    emulator.present(SimCard.damaged_card())
    assert isinstance(taps.get(timeout=5).error, CardDataError)
    emulator.remove_card()
    time.sleep(0.2)
    emulator.pull_card_during_next_read()
    emulator.present(SimCard.of(sample_identity()))
    assert isinstance(taps.get(timeout=5).error, CardRemovedError)
    _no_more(taps)


class _NoisyReader:
    """Unit-test stub: a card is present; the first `noisy` reads fail with a bad frame."""

    def __init__(self, noisy: int) -> None:
        self.noisy = noisy
        self.reads = 0

    def card_present(self) -> bool:
        return True

    def read_identity(self) -> Identity:
        self.reads += 1
        if self.reads <= self.noisy:
            raise FrameError("frame XOR checksum is 00, computed 01")
        return sample_identity()

    def health(self) -> ReaderHealth:
        return ReaderHealth(ReaderState.CARD_PRESENT)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("noisy", "reads", "identity"), [(2, 3, True), (3, 3, False)])
def test_line_noise_is_retried_before_it_is_reported(noisy: int, reads: int, identity: bool) -> None:
    taps: queue.Queue[Tap] = queue.Queue()
    reader = _NoisyReader(noisy)
    watcher = TapWatcher(reader, taps.put, today=lambda: TODAY, poll_seconds=0.01, frame_retries=2).start()
    try:
        tap = taps.get(timeout=5)
        _no_more(taps, 0.1)
    finally:
        watcher.stop()
    assert reader.reads == reads
    assert (tap.identity is not None) is identity
    assert identity or isinstance(tap.error, FrameError)


@pytest.mark.integration
def test_taps_over_pcsc(pcsc: PcscStack) -> None:
    taps: queue.Queue[Tap] = queue.Queue()
    reader = PcscReader(pcsc.reader_name)
    watcher = TapWatcher(reader, taps.put, today=lambda: TODAY, poll_seconds=0.02).start()
    try:
        pcsc.card.insert(VirtualCard(SimCard.of(sample_identity("郑爽"))))
        tap = taps.get(timeout=10)
        assert tap.identity is not None and tap.identity.name == "郑爽"
        _no_more(taps, 0.5)
        pcsc.remove()
        pcsc.card.insert(VirtualCard(SimCard.of(expired_identity())))
        assert isinstance(taps.get(timeout=10).error, CardExpiredError)
    finally:
        watcher.stop()
        reader.close()
