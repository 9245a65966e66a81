"""Pushes the queue's state to its devices on one thread, newest state first, never blocking the queue.

Marks are cheap and taken under the queue's lock; the pump thread then builds the payloads from the book
and sends them. Bursts coalesce: ten quick changes send the main display one update, but a call is never
skipped, since the newest show always contains it (the latest call and the recent ones).

The devices it addresses (online queue devices, LEDs and keypads bound to a window) are kept in a list,
read again from the registry only when one of them went online or offline or changed kind or window
(`device_changed`, from the extension's `on_device`): a push no longer copies the registry of a
2,000-device hall (~20 ms a call, under the registry's lock, measured by `python -m bench queue`).

A keypad's key is pushed where it was handled (`pushing_here`, on the MQTT link's thread), not handed to
the pump's thread: the main display's show is published right after the call is journaled, one thread
hand-off less (docs/adr/0013). Pushes are built and sent under one lock, whichever thread makes them, so
devices receive them in the order the book was read: a newer show is never overtaken by an older one.
The main display is sent to first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

from devices.protocol import queue as contract
from devices.protocol.payloads import JsonObject
from hall_controller.commands import CommandOutcome
from hall_controller.queue import outputs
from hall_controller.queue.service import QueueService
from hall_controller.registry import Availability, DeviceRecord

log = logging.getLogger(__name__)

Send = Callable[[str, str, JsonObject, float], "Future[CommandOutcome]"]
COMMAND_SECONDS = 5.0


def window_of(record: DeviceRecord) -> int | None:
    if record.description is None:
        return None
    value = record.description.attributes.get(contract.WINDOW_ATTRIBUTE)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _Marks:
    display: bool = False
    windows: set[int] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)  # (re)announced devices: show them everything again
    commands: list[tuple[str, int | None, str, JsonObject]] = field(default_factory=list)
    direct: list[tuple[str, str, JsonObject]] = field(default_factory=list)  # (device id, command, args)


class OutputPump:
    def __init__(self, service: QueueService, devices: Callable[[], list[DeviceRecord]], send: Send) -> None:
        self._service = service
        self._devices = devices
        self._send = send
        self._marks = _Marks()
        self._condition = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.sent = 0
        self._addressed: list[DeviceRecord] = []
        self._signatures: dict[str, tuple[str, int | None]] = {}  # device id → kind and window, if addressed
        self._stale = threading.Event()
        self._stale.set()
        self._push_lock = threading.Lock()  # one push at a time: sent in the order the book was read
        self._here = threading.local()  # .active: marks of this thread are pushed by it (pushing_here)

    def start(self) -> None:
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="queue-pump", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stop = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(5)

    # ------------------------------------------------------------------ marks

    def device_changed(self, record: DeviceRecord) -> None:
        """A device record changed: the next push reads the registry again if whether or where the pump
        sends to it changed (online, offline, kind, window); a state update changes none of that."""
        if self._signatures.get(record.device_id) != _signature(record):
            self._stale.set()

    def mark_display(self) -> None:
        with self._condition:
            self._marks.display = True
            self._wake()

    def mark_window(self, window: int) -> None:
        with self._condition:
            self._marks.windows.add(window)
            self._marks.display = True
            self._wake()

    def mark_device(self, device_id: str) -> None:
        with self._condition:
            self._marks.devices.add(device_id)
            self._wake()

    def mark_all(self, windows: list[int]) -> None:
        with self._condition:
            self._marks.display = True
            self._marks.windows.update(windows)
            self._wake()

    def command(self, kind: str, window: int | None, name: str, args: JsonObject) -> None:
        """A one-off command for the devices of `kind` (at `window`), sent in order with the rest."""
        with self._condition:
            self._marks.commands.append((kind, window, name, args))
            self._wake()

    def command_to(self, device_id: str, name: str, args: JsonObject) -> None:
        """A one-off command for one device, sent in order with the rest whatever the registry knows."""
        with self._condition:
            self._marks.direct.append((device_id, name, args))
            self._wake()

    def _wake(self) -> None:
        """Under the condition: the pump's thread takes the marks, unless this thread pushes them itself."""
        if not getattr(self._here, "active", False):
            self._condition.notify_all()

    @contextmanager
    def pushing_here(self) -> Iterator[None]:
        """The marks made inside are pushed by this thread as the block ends, without waking the pump's
        thread (with whatever other marks are pending): for a keypad's key, handled on the MQTT link's
        thread, whose show then goes out without a thread hand-off."""
        self._here.active = True
        try:
            yield
        finally:
            self._here.active = False
            with self._condition:
                marks, self._marks = self._marks, _Marks()
            if _pending(marks):
                self._push_in_order(marks)

    # ------------------------------------------------------------------ work

    def _take(self) -> _Marks | None:
        with self._condition:
            while not self._stop and not _pending(self._marks):
                self._condition.wait(1.0)
            if self._stop:
                return None
            marks, self._marks = self._marks, _Marks()
            return marks

    def _run(self) -> None:
        while (marks := self._take()) is not None:
            self._push_in_order(marks)

    def _push_in_order(self, marks: _Marks) -> None:
        with self._push_lock:
            try:
                self._push(marks)
            except Exception:  # the pump must outlive one bad push; the next change pushes again
                log.exception("queue outputs failed")

    def _online(self) -> list[DeviceRecord]:
        if self._stale.is_set():
            self._stale.clear()  # before reading: a change during the read marks it stale again
            signatures = {}
            addressed = []
            for record in self._devices():
                signature = _signature(record)
                if signature is not None:
                    signatures[record.device_id] = signature
                    addressed.append(record)
            addressed.sort(key=lambda record: record.kind != contract.QUEUE_DISPLAY)  # displays first
            self._signatures, self._addressed = signatures, addressed
        return self._addressed

    def _push(self, marks: _Marks) -> None:
        online = self._online()
        windows = set(marks.windows)
        display = marks.display
        for record in online:
            if record.device_id in marks.devices:
                number = window_of(record)
                if record.kind == contract.QUEUE_DISPLAY:
                    display = True
                elif number is not None:
                    windows.add(number)
        show, leds = self._service.read(
            lambda book: (
                outputs.display_show(book) if display else None,
                {n: outputs.led_show(book, n) for n in windows if n in book.windows},
            )
        )
        for record in online:
            number = window_of(record)
            if show is not None and record.kind == contract.QUEUE_DISPLAY:
                self._fire(
                    record.device_id, contract.SHOW_CALLS, show.model_dump(mode="json", exclude_none=True)
                )
            elif record.kind in (contract.WINDOW_LED, contract.CALLER_KEYPAD) and number in leds:
                led = leds[number]
                self._fire(
                    record.device_id, contract.SHOW_CALL, led.model_dump(mode="json", exclude_none=True)
                )
        for kind, window, name, args in marks.commands:
            for record in online:
                if record.kind == kind and (window is None or window_of(record) == window):
                    self._fire(record.device_id, name, args)
        for device_id, name, args in marks.direct:
            self._fire(device_id, name, args)

    def _fire(self, device_id: str, name: str, args: JsonObject) -> None:
        try:
            self._send(device_id, name, args, COMMAND_SECONDS)
        except ValueError as err:
            log.warning("cannot send %s to %s: %s", name, device_id, err)
            return
        self.sent += 1


ADDRESSED_KINDS = frozenset(
    {
        contract.QUEUE_DISPLAY,
        contract.WINDOW_LED,
        contract.CALLER_KEYPAD,
        contract.EVALUATOR,
        contract.TICKET_PRINTER,
    }
)
WINDOW_KINDS = frozenset({contract.WINDOW_LED, contract.CALLER_KEYPAD})


def _signature(record: DeviceRecord) -> tuple[str, int | None] | None:
    """(kind, window) of an online device the queue may send to (an LED or keypad only once bound to a
    window); None for any other."""
    if record.availability is not Availability.ONLINE or record.kind not in ADDRESSED_KINDS:
        return None
    window = window_of(record)
    if record.kind in WINDOW_KINDS and window is None:
        return None
    return (record.kind, window)


def _pending(marks: _Marks) -> bool:
    return marks.display or bool(marks.windows or marks.devices or marks.commands or marks.direct)
