"""ID card: tap -> typed identity over PC/SC (pcscd + vpcd) and over SAM serial (pty), beside raw round trips.

Needs root (pcscd runs isolated with unshare --mount), pcscd and vsmartcard-vpcd.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.core import Figure, percentile

TODAY = dt.date(2026, 11, 21)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _sam_figures() -> list[Figure]:
    from devices.idcard import sam_frames as frames
    from devices.idcard.reader import read_verified
    from devices.idcard.sam_serial import SamSerialReader
    from firmware_sim.idcard.cards import SimCard, sample_identity
    from firmware_sim.idcard.sam_emulator import SamReaderEmulator

    with SamReaderEmulator() as emulator:
        emulator.present(SimCard.of(sample_identity()))
        reader = SamSerialReader(emulator.port)
        reads, round_trips = [], []
        for _ in range(200):
            started = time.perf_counter()
            read_verified(reader, TODAY)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            reader.exchange(frames.SAM_STATUS)
            round_trips.append(time.perf_counter() - started)
        reader.close()
    return [
        Figure(
            "SAM pty: find+select+read -> verified identity (median)",
            _median_ms(reads),
            "ms",
            "one SAM status frame round trip",
            _median_ms(round_trips),
            better="lower",
        ),
        Figure(
            "SAM pty: verified identity p95",
            percentile(reads, 0.95) * 1000,
            "ms",
            "one SAM status frame round trip p95",
            percentile(round_trips, 0.95) * 1000,
            better="lower",
        ),
    ]


def _pcsc_figures(folder: Path) -> list[Figure]:
    from devices.idcard import apdu
    from devices.idcard.identity_app import IDENTITY_AID
    from devices.idcard.pcsc import EventKind, PcscReader, PcscWatcher
    from devices.idcard.reader import read_verified
    from firmware_sim.idcard.cards import SimCard, sample_identity
    from firmware_sim.idcard.pcscd import IsolatedPcscd
    from firmware_sim.idcard.vpcd_card import VirtualCard, VpcdCardEmulator

    stack = IsolatedPcscd(folder)
    os.environ["PCSCLITE_CSOCK_NAME"] = str(stack.socket_path)
    stack.start()
    card = VirtualCard(SimCard.of(sample_identity()))
    reader = PcscReader(stack.reader_name)
    try:
        stack.insert(card)
        reads, round_trips = [], []
        for _ in range(100):
            started = time.perf_counter()
            read_verified(reader, TODAY)
            reads.append(time.perf_counter() - started)
        session = reader.connect()
        for _ in range(200):
            started = time.perf_counter()
            session.transmit(apdu.select_aid(IDENTITY_AID))
            round_trips.append(time.perf_counter() - started)
        session.close()

        # Without TCP_QUICKACK on the card's socket: what Nagle + delayed ACK cost on every APDU.
        stack.remove()
        stack.card = VpcdCardEmulator(stack.port, quick_ack=False, netns=stack.netns)
        stack.insert(card)
        slow_reads = []
        for _ in range(3):
            started = time.perf_counter()
            read_verified(reader, TODAY)
            slow_reads.append(time.perf_counter() - started)
        stack.remove()
        stack.card = VpcdCardEmulator(stack.port, netns=stack.netns)

        # Tap: the card arrives -> the watcher's event -> the identity read; pcscd's slot polling dominates.
        watcher = PcscWatcher(stack.reader_name, poll_ms=100).start()
        taps = []
        try:
            for _ in range(10):
                while not watcher.events.empty():
                    watcher.events.get()
                started = time.perf_counter()
                stack.card.insert(card)
                while watcher.events.get(timeout=10).kind is not EventKind.CARD_INSERTED:
                    pass
                read_verified(reader, TODAY)
                taps.append(time.perf_counter() - started)
                stack.remove()
        finally:
            watcher.stop()
    finally:
        reader.close()
        stack.stop()
    return [
        Figure(
            "PC/SC: read identity app (15 APDUs) -> verified identity (median)",
            _median_ms(reads),
            "ms",
            "one SELECT APDU round trip",
            _median_ms(round_trips),
            better="lower",
        ),
        Figure(
            "PC/SC: same read, emulator without TCP_QUICKACK",
            _median_ms(slow_reads),
            "ms",
            "with TCP_QUICKACK (above)",
            _median_ms(reads),
            better="lower",
        ),
        Figure(
            "PC/SC: tap -> watcher event -> verified identity (median)",
            _median_ms(taps),
            "ms",
            "read alone (card already seen)",
            _median_ms(reads),
            better="lower",
        ),
    ]


def run() -> list[Figure]:
    figures = _sam_figures()
    with tempfile.TemporaryDirectory() as folder:
        figures += _pcsc_figures(Path(folder))
    return figures
