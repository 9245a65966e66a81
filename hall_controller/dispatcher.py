"""Routes device events, device changes and command completions to extensions, on one thread.

An extension that raises is logged and counted; the others and the controller carry on.

Device records are coalesced: a newer record of a device makes the one still waiting for it void (its
place in the queue becomes a small empty marker), so the queue holds few records per device and
extensions are not called for states already overtaken. A record is always delivered at the place it
was put, after every event put before it: an extension reconciling against a device's state must not
see a state before the events that led to it (tried: delivered at the older record's place, a bank's
state showed a door shut empty before that pickup's door events, and the controller concluded that
a result had gone). So that a device whose states keep coming faster than the dispatcher reaches them
is still heard, one record in VOIDS_IN_A_ROW is kept rather than voided.

Why: without it a busy hall (a locker bank's state holds all its compartments, sent on each door
change) queued thousands of states whenever the dispatcher fell behind — door events waiting behind
them, and megabytes that once freed stayed with the process as fragmented heap (docs/adr/0005; the
measurements are in bench/results/2026-11-22-controller-memory.md). Events and command completions are
never coalesced: each is delivered, in order.

An event an extension takes at once (`Extension.events_at_once`: the queue's keypad keys) is delivered to
it by `put` itself, on the caller's thread (the MQTT link's), before `put` returns: one thread hand-off
less on a path with a latency budget (docs/adr/0013). It overtakes whatever this extension still has
waiting in the queue; the other extensions receive it in order as usual. Likewise device records for an
extension that takes them at once (`devices_at_once`). A completion no extension wants, or a record only
such extensions take, is not queued at all: each queued item wakes the dispatcher's thread, which then
competes for the GIL with the link's thread (a call's show completes on three devices).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence

from hall_controller.commands import CommandOutcome
from hall_controller.extensions import DeviceEvent, Extension
from hall_controller.registry import DeviceRecord

log = logging.getLogger(__name__)

Item = DeviceEvent | DeviceRecord | CommandOutcome
VOIDS_IN_A_ROW = 32  # at most this many of a device's records voided before one is kept anyway


class Dispatcher:
    def __init__(self, extensions: Sequence[Extension], on_error: Callable[[str], None]) -> None:
        self._extensions = list(extensions)
        self._on_error = on_error
        self._queue: queue.SimpleQueue[Item | _Marker | _Slot | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._latest: dict[str, _Slot] = {}  # device id → the slot of its newest record not yet delivered
        self._latest_lock = threading.Lock()
        self._held = 0  # records in the queue's slots

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(5)
        self._thread = None

    def put(self, item: Item) -> None:
        if not self._extensions:
            return
        if isinstance(item, DeviceEvent) and self._deliver_at_once(item):
            return
        if isinstance(item, CommandOutcome) and not any(e.wants_completion(item) for e in self._extensions):
            return
        if isinstance(item, DeviceRecord):
            queued = False
            for extension in self._extensions:
                if extension.devices_at_once:
                    self._deliver(extension, item, at_once=True)
                else:
                    queued = True
            if not queued:
                return
            slot = _Slot(item)
            with self._latest_lock:
                previous = self._latest.get(item.device_id)
                if previous is not None and previous.voided_before < VOIDS_IN_A_ROW:
                    previous.record = None  # void: this newer record is delivered at its own place
                    slot.voided_before = previous.voided_before + 1
                    self._held -= 1
                self._latest[item.device_id] = slot
                self._held += 1
            self._queue.put(slot)
            return
        self._queue.put(item)

    def _deliver_at_once(self, event: DeviceEvent) -> bool:
        """Delivers `event` now to the extensions that take it at once; True when no other wants it."""
        queued = False
        for extension in self._extensions:
            if extension.wants_at_once(event.name):
                self._deliver(extension, event, at_once=True)
            elif extension.wants(event.name):
                queued = True
        return not queued

    def waiting_records(self) -> int:
        """Device records held in the queue (void slots hold none)."""
        with self._latest_lock:
            return self._held

    def backlog(self) -> int:
        """Items waiting to be delivered (approximate: the queue is read concurrently)."""
        return self._queue.qsize()

    def drain(self, timeout: float = 5.0) -> None:
        """Waits until everything queued so far was delivered (for tests and clean stops)."""
        done = threading.Event()
        self._queue.put(_Marker(done))
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, _Marker):
                item.done.set()
                continue
            if isinstance(item, _Slot):
                with self._latest_lock:
                    record, item.record = item.record, None
                    if record is not None:
                        self._held -= 1
                    if self._latest.get(item.device_id) is item:
                        del self._latest[item.device_id]
                if record is None:
                    continue  # void: a newer record of the device waits further on
                item = record
            for extension in self._extensions:
                self._deliver(extension, item)

    def _deliver(self, extension: Extension, item: Item, *, at_once: bool = False) -> None:
        try:
            if isinstance(item, DeviceEvent):
                if extension.wants(item.name) and extension.wants_at_once(item.name) == at_once:
                    extension.on_event(item)
            elif isinstance(item, DeviceRecord):
                if extension.devices_at_once == at_once:
                    extension.on_device(item)
            elif extension.wants_completion(item):
                extension.on_completion(item)
        except Exception:  # an extension's bug must not stop the hall
            log.exception("extension %s failed on %s", extension.name, type(item).__name__)
            self._on_error(extension.name)


class _Slot:
    """A device record's place in the queue; its record is dropped (void) once a newer one was put."""

    __slots__ = ("device_id", "record", "voided_before")

    def __init__(self, record: DeviceRecord) -> None:
        self.device_id = record.device_id
        self.record: DeviceRecord | None = record
        self.voided_before = 0  # how many of the device's records were voided in a row before this one


class _Marker:
    def __init__(self, done: threading.Event) -> None:
        self.done = done
