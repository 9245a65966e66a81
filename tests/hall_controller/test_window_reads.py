"""The window extension's least privilege beneath the journey (tests/case_service/web/test_window_devices.py):
a card read is given only to the clerk signed in at that window when it was read — not to the clerk who
signs in after, not to one at another window — and only for two minutes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from devices.protocol import window as contract
from devices.protocol.payloads import Description
from hall_controller.extensions import DeviceEvent
from hall_controller.registry import DeviceRegistry
from hall_controller.window import extension as extension_module
from hall_controller.window.extension import WindowDevicesExtension

KEY = contract.public_key_text(contract.reader_key(b"k" * 32))
HOLDER = contract.CardHolder(name="𠮷田花", id_number="11010519491231002X")


@dataclass
class Window:
    number: int
    clerk: str | None = None


@dataclass
class Book:
    windows: dict[int, Window] = field(default_factory=lambda: {n: Window(n) for n in (1, 2)})


class Queue:
    name = "queue"

    def __init__(self) -> None:
        self.book = Book()
        self.service = self

    def read(self, action: Any) -> Any:
        return action(self.book)


class Context:
    def __init__(self) -> None:
        self.registry = DeviceRegistry()
        self.queue = Queue()

    def extension(self, name: str) -> Any:
        return self.queue if name == "queue" else None


def reader(registry: DeviceRegistry, device_id: str, window: Any) -> None:
    description = Description(
        instance="i1",
        kind=contract.WINDOW_ID_READER,
        model="sim",
        firmware="1",
        heartbeat_seconds=10,
        attributes={contract.WINDOW_ATTRIBUTE: window},
    )
    registry.on_description(device_id, description, 0.0)


def card(device_id: str) -> DeviceEvent:
    data = contract.seal(KEY, HOLDER).model_dump(mode="json")
    return DeviceEvent(device_id, contract.WINDOW_ID_READER, contract.CARD_READ_EVENT, data, 0.0)


def test_a_read_goes_only_to_the_clerk_signed_in_there_when_it_was_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = Context()
    extension = WindowDevicesExtension(context)
    reader(context.registry, "window-01-idreader", 1)
    reader(context.registry, "stray-reader", "1")  # bound to no window by a number: its reads are dropped
    windows = context.queue.book.windows

    extension.on_event(card("window-01-idreader"))  # nobody signed in at window 1: nobody gets it
    windows[1].clerk, windows[2].clerk = "clerk1", "clerk2"
    assert extension.window_of("clerk1") == 1 and extension.window_of("nobody") is None
    assert extension.reads(1, "clerk1", 0)[1] == []

    extension.on_event(card("window-01-idreader"))
    extension.on_event(card("stray-reader"))
    seq, mine = extension.reads(1, "clerk1", 0)
    assert [read.seq for read in mine] == [seq] and mine[0].card is not None
    assert extension.reads(1, "clerk2", 0)[1] == []  # the clerk next door
    assert extension.reads(2, "clerk2", 0)[1] == []
    assert extension.reads(1, "clerk1", -1) == (seq, [])  # a page opened now: nothing of before
    assert HOLDER.id_number not in str(mine[0].view())  # sealed: the controller cannot read it

    windows[1].clerk = "clerk3"  # clerk1 signs out, clerk3 signs in at window 1
    assert extension.reads(1, "clerk3", 0)[1] == []

    # Two minutes later the read is gone, for its own clerk too.
    later = time.monotonic() + contract.READ_KEEP_SECONDS + 1
    monkeypatch.setattr(extension_module, "time", SimpleNamespace(monotonic=lambda: later, time=time.time))
    assert extension.reads(1, "clerk1", 0)[1] == []
