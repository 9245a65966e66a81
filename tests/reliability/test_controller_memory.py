"""The controller's memory bound on its dispatcher queue: few device records held, order kept.

The soak found the controller's RSS ratcheting up through a busy day, and locker deliveries lagging:
whenever the dispatcher thread fell behind, every device state (a locker bank's state holds all its
compartments) queued behind the others, a thousand and more, door events waiting behind them. Device
records are now coalesced (hall_controller/dispatcher.py): an overtaken record is dropped, a record is
still delivered at its own place after the events put before it, and events and command completions
all arrive, in order.
"""

from __future__ import annotations

import threading
from typing import cast

from hall_controller.commands import CommandOutcome
from hall_controller.dispatcher import VOIDS_IN_A_ROW, Dispatcher
from hall_controller.extensions import DeviceEvent, Extension
from hall_controller.registry import DeviceRecord

DEVICES = 5
UPDATES = 2_000
EVENT_EVERY = 100


class Recording:
    """An extension that records what it got, in order; its first delivery blocks until released."""

    name = "recording"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.blocked = threading.Event()
        self.got: list[tuple[int, int, str]] = []  # (put order: seq, 0 record / 1 event, device)

    devices_at_once = False  # everything through the dispatcher's queue, which is what is measured

    def wants(self, event_name: str) -> bool:
        return True

    def wants_at_once(self, event_name: str) -> bool:
        return False

    def wants_completion(self, outcome: CommandOutcome) -> bool:
        return True

    def _first_blocks(self) -> None:
        if not self.blocked.is_set():
            self.blocked.set()
            assert self.release.wait(10)

    def on_event(self, event: DeviceEvent) -> None:
        self._first_blocks()
        self.got.append((int(event.data["n"]), 1, event.device_id))

    def on_device(self, record: DeviceRecord) -> None:
        self._first_blocks()
        self.got.append((record.last_seq, 0, record.device_id))

    def on_completion(self, outcome: CommandOutcome) -> None:
        self._first_blocks()


def test_a_stalled_dispatcher_holds_few_records_and_keeps_their_order() -> None:
    extension = Recording()
    errors: list[str] = []
    dispatcher = Dispatcher([cast(Extension, extension)], errors.append)
    dispatcher.start()
    try:
        dispatcher.put(DeviceEvent("bank-0", "locker_bank", "door", {"n": -1}, 0.0))
        assert extension.blocked.wait(5)  # the dispatcher thread is now stuck in the extension
        for seq in range(UPDATES):
            device = f"bank-{seq % DEVICES}"
            dispatcher.put(DeviceRecord(device, last_seq=seq))
            if seq % EVENT_EVERY == 0:
                dispatcher.put(DeviceEvent(device, "locker_bank", "door", {"n": seq}, float(seq)))
        # 400 records of each device wait; one in VOIDS_IN_A_ROW + 1 is held, the rest dropped.
        per_device = UPDATES // DEVICES
        assert dispatcher.waiting_records() <= DEVICES * (per_device // (VOIDS_IN_A_ROW + 1) + 1)
        extension.release.set()
        dispatcher.drain()
    finally:
        dispatcher.stop()
    assert not errors and dispatcher.waiting_records() == 0
    # Everything delivered in the order it was put: no record before an event put before it.
    assert extension.got == sorted(extension.got)
    events = [seq for seq, kind, _device in extension.got if kind == 1]
    assert events == [-1, *range(0, UPDATES, EVENT_EVERY)]
    records = [(seq, device) for seq, kind, device in extension.got if kind == 0]
    for index in range(DEVICES):
        mine = [seq for seq, device in records if device == f"bank-{index}"]
        # The newest record of each device arrives, and a device sending fast is still heard.
        assert mine[-1] == UPDATES - DEVICES + index
        assert len(mine) >= per_device // (VOIDS_IN_A_ROW + 1)
    assert len(records) < UPDATES // 10
