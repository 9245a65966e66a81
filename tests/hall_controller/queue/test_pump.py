"""The output pump with a stub sender (the unit layer beneath the broker tests): who gets what, in order."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

from devices.protocol import queue as contract
from devices.protocol.payloads import Description
from hall.calendar import CHINA_TZ
from hall_controller.commands import CommandOutcome
from hall_controller.queue.config import demo_config
from hall_controller.queue.events import Source
from hall_controller.queue.pump import OutputPump
from hall_controller.queue.service import QueueService, journal_name
from hall_controller.registry import Availability, DeviceRecord
from hall_controller.store import Store

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ).timestamp()


def record(device_id: str, kind: str, window: int | None = None, online: bool = True) -> DeviceRecord:
    attributes: dict[str, str | int | float | bool] = {} if window is None else {"window": window}
    description = Description(
        instance="i1", kind=kind, model="m", firmware="f", heartbeat_seconds=10, attributes=attributes
    )
    availability = Availability.ONLINE if online else Availability.OFFLINE
    return DeviceRecord(
        device_id, availability=availability, instance="i1", kind=kind, description=description
    )


class StubSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(
        self, device_id: str, name: str, args: dict[str, Any], _timeout: float
    ) -> Future[CommandOutcome]:
        with self.lock:
            self.sent.append((device_id, name, args))
        return Future()


def settle(sender: StubSender, count: int) -> list[tuple[str, str, dict[str, Any]]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(sender.sent) < count:
        time.sleep(0.01)
    time.sleep(0.05)
    with sender.lock:
        return list(sender.sent)


def test_pump_sends_each_device_its_part_and_skips_offline_ones(tmp_path: Path) -> None:
    store = Store(tmp_path / "controller.db")
    store.open()
    devices = [
        record("main-display", contract.QUEUE_DISPLAY),
        record("window-01-led", contract.WINDOW_LED, 1),
        record("window-01-keypad", contract.CALLER_KEYPAD, 1),
        record("window-02-led", contract.WINDOW_LED, 2),
        record("window-01-evaluator", contract.EVALUATOR, 1),
        record("old-display", contract.QUEUE_DISPLAY, online=False),
    ]
    sender = StubSender()
    service = QueueService(demo_config(), store, lambda: T0)
    service.start()
    pump = OutputPump(service, lambda: devices, sender)
    pump.start()
    try:
        service.run(lambda book, now: book.sign_in(1, "clerk-1", now))
        service.run(lambda book, now: book.issue("business", now, source=Source.WINDOW))
        service.run(lambda book, now: book.call_next(1, now))
        pump.mark_window(1)
        sent = settle(sender, 3)
        targets = {device_id for device_id, _name, _args in sent}
        assert targets == {"main-display", "window-01-led", "window-01-keypad"}  # not window 2, not offline
        display = [args for device_id, _n, args in sent if device_id == "main-display"][-1]
        assert contract.DisplayShow.model_validate(display).latest.number == "A001"  # type: ignore[union-attr]
        led = [args for device_id, _n, args in sent if device_id == "window-01-led"][-1]
        assert contract.LedShow.model_validate(led).number == "A001"

        sender.sent.clear()
        pump.command(contract.EVALUATOR, 1, contract.ASK_RATING, {"rating_id": "r-1", "timeout_seconds": 5})
        pump.command_to("window-01-keypad", contract.SHOW_CALL, {"window": 1, "text": "refused"})
        sent = settle(sender, 2)
        assert [(device_id, name) for device_id, name, _a in sent] == [
            ("window-01-evaluator", contract.ASK_RATING),
            ("window-01-keypad", contract.SHOW_CALL),
        ]

        sender.sent.clear()
        for _ in range(50):  # a burst of changes coalesces into few display updates
            pump.mark_display()
        sent = settle(sender, 1)
        assert 1 <= len(sent) < 50 and {device_id for device_id, _n, _a in sent} == {"main-display"}
    finally:
        pump.stop()
        store.close()


def test_pump_reads_the_registry_again_only_when_a_device_it_addresses_changed(tmp_path: Path) -> None:
    """A hall of 2,000 devices is not copied for every push: the pump keeps its own list, read again when a
    device went online or offline or changed kind or window — not on a state update, not for a device it
    never addresses (a locker, an LED bound to no window)."""
    store = Store(tmp_path / "controller.db")
    store.open()
    devices = [record("window-01-led", contract.WINDOW_LED, 1)]
    reads = []

    def registry() -> list[DeviceRecord]:
        reads.append(len(devices))
        return list(devices)

    sender = StubSender()
    service = QueueService(demo_config(), store, lambda: T0)
    service.start()
    pump = OutputPump(service, registry, sender)
    pump.start()
    try:
        pump.mark_display()
        deadline = time.monotonic() + 5
        while not reads and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        assert reads == [1] and sender.sent == []  # no display yet: nobody to show the calls

        display = record("main-display", contract.QUEUE_DISPLAY)
        devices.append(display)
        pump.device_changed(display)  # came online
        pump.mark_display()
        assert "main-display" in {device for device, _n, _a in settle(sender, 1)}
        assert len(reads) == 2

        # Not news for the pump: the display's state, a locker, an LED bound to no window.
        pump.device_changed(display)
        pump.device_changed(record("locker-01", "locker_bank"))
        pump.device_changed(record("spare-led", contract.WINDOW_LED))
        sender.sent.clear()
        pump.mark_display()
        settle(sender, 1)
        assert len(reads) == 2

        gone = record("main-display", contract.QUEUE_DISPLAY, online=False)
        devices[-1] = gone
        pump.device_changed(gone)
        sender.sent.clear()
        pump.mark_window(1)
        sent = settle(sender, 1)
        assert len(reads) == 3
        assert {device for device, _n, _a in sent} == {"window-01-led"}  # not the offline display
    finally:
        pump.stop()
        store.close()


def test_marks_made_while_pushing_here_are_sent_by_that_thread_after_the_journal_display_first(
    tmp_path: Path,
) -> None:
    """A keypad's key (handled on the MQTT link's thread) is pushed by that thread as its handling ends:
    the pump's thread is not woken, the call is in the journal before any device is told, and the main
    display is told first."""
    store = Store(tmp_path / "controller.db")
    store.open()
    devices = [
        record("window-01-led", contract.WINDOW_LED, 1),
        record("window-01-keypad", contract.CALLER_KEYPAD, 1),
        record("main-display", contract.QUEUE_DISPLAY),
    ]
    service = QueueService(demo_config(), store, lambda: T0)
    service.start()
    journal = store.collection(journal_name(service.read(lambda book: book.day)))
    told: list[tuple[str, str, int]] = []  # (device, thread, journaled events) at each send

    class Sender(StubSender):
        def __call__(
            self, device_id: str, name: str, args: dict[str, Any], timeout: float
        ) -> Future[CommandOutcome]:
            told.append((device_id, threading.current_thread().name, len(journal)))
            return super().__call__(device_id, name, args, timeout)

    sender = Sender()
    pump = OutputPump(service, lambda: devices, sender)
    pump.start()
    try:
        service.run(lambda book, now: book.sign_in(1, "clerk-1", now))
        service.run(lambda book, now: book.issue("business", now, source=Source.WINDOW))
        told.clear()
        with pump.pushing_here():
            service.run(lambda book, now: book.call_next(1, now))
            pump.mark_window(1)
            time.sleep(0.1)
            assert told == []  # the pump's thread was not woken for it
        here = threading.current_thread().name
        assert told == [
            ("main-display", here, 3),  # sign-in, ticket, call: journaled before the display shows it
            ("window-01-led", here, 3),
            ("window-01-keypad", here, 3),
        ]
        shown = contract.DisplayShow.model_validate(sender.sent[0][2])
        assert shown.latest is not None and shown.latest.number == "A001"
    finally:
        pump.stop()
        store.close()
