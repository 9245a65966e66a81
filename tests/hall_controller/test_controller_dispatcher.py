"""The dispatcher: routing to extensions, filtering by event name, and a failing extension isolated."""

from __future__ import annotations

import threading
from pathlib import Path

from devices.protocol.payloads import CompletionCode
from hall.settings import Settings
from hall_controller.commands import CommandOutcome
from hall_controller.controller import HallController
from hall_controller.extensions import DeviceEvent, Extension, discover_extensions
from hall_controller.registry import DeviceRecord


class Broken(Extension):
    name = "broken"
    events = frozenset({"*"})

    def on_event(self, event: DeviceEvent) -> None:
        raise RuntimeError("bug in an extension")


class Listener(Extension):
    name = "listener"
    events = frozenset({"rated"})

    def start(self) -> None:
        self.seen: list[object] = []

    def on_event(self, event: DeviceEvent) -> None:
        self.seen.append(event.name)

    def on_device(self, record: DeviceRecord) -> None:
        self.seen.append(record.device_id)

    def on_completion(self, outcome: CommandOutcome) -> None:
        self.seen.append(outcome.code)


def test_a_failing_extension_is_counted_and_the_others_carry_on(tmp_path: Path) -> None:
    controller = HallController(Settings(hall_id="h", data_dir=tmp_path), [Broken, Listener])
    broken, listener = controller.extensions
    assert isinstance(listener, Listener)
    listener.start()
    controller.dispatcher.start()
    try:
        controller.dispatcher.put(DeviceEvent("evaluator-1", "evaluator", "rated", {"stars": 5}, 0))
        controller.dispatcher.put(DeviceEvent("evaluator-1", "evaluator", "key", {}, 0))
        controller.dispatcher.put(DeviceRecord("evaluator-1"))
        controller.dispatcher.put(CommandOutcome("evaluator-1", "ask-rating", "r1", CompletionCode.CANCELED))
        controller.dispatcher.drain()
    finally:
        controller.dispatcher.stop()
    assert listener.seen == ["rated", "evaluator-1", CompletionCode.CANCELED]
    errors = controller.metrics.render().decode()
    assert 'hall_extension_errors_total{extension="broken"} 2.0' in errors
    assert broken.name == "broken"


def test_discovery_finds_the_packaged_extensions() -> None:
    names = {extension.name for extension in discover_extensions()}
    assert "homeassistant" in names


class KeyTaker(Extension):
    """Takes keys and device records at once (as the queue does), ratings through the dispatcher."""

    name = "key-taker"
    events = frozenset({"key", "rated"})
    events_at_once = frozenset({"key"})
    devices_at_once = True

    def start(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def on_event(self, event: DeviceEvent) -> None:
        self.seen.append((event.name, threading.current_thread().name))

    def on_device(self, record: DeviceRecord) -> None:
        self.seen.append((record.device_id, threading.current_thread().name))


def test_what_an_extension_takes_at_once_is_delivered_by_put_on_the_callers_thread_and_only_once(
    tmp_path: Path,
) -> None:
    controller = HallController(Settings(hall_id="h", data_dir=tmp_path), [KeyTaker, Listener])
    taker, listener = controller.extensions
    assert isinstance(taker, KeyTaker) and isinstance(listener, Listener)
    taker.start()
    listener.start()
    caller = threading.current_thread().name
    controller.dispatcher.start()
    try:
        controller.dispatcher.put(DeviceRecord("keypad-1"))  # the listener's copy waits in the queue...
        controller.dispatcher.put(DeviceEvent("keypad-1", "caller_keypad", "key", {"key": "next"}, 0))
        assert taker.seen == [("keypad-1", caller), ("key", caller)]  # ...these did not, before put returned
        controller.dispatcher.put(DeviceEvent("evaluator-1", "evaluator", "rated", {"stars": 5}, 0))
        controller.dispatcher.drain()
    finally:
        controller.dispatcher.stop()
    # Nothing delivered twice; the other extension in order, as before.
    assert taker.seen == [("keypad-1", caller), ("key", caller), ("rated", "dispatcher")]
    assert listener.seen == ["keypad-1", "rated"]


def test_the_dispatcher_is_not_woken_for_what_nobody_wants_from_it(tmp_path: Path) -> None:
    """Completions when no extension has an `on_completion`, records when every extension takes them
    at once: each queued item costs the link's thread a GIL hand-off to the dispatcher's."""
    controller = HallController(Settings(hall_id="h", data_dir=tmp_path), [KeyTaker])
    [taker] = controller.extensions
    assert isinstance(taker, KeyTaker)
    taker.start()
    controller.dispatcher.put(CommandOutcome("display-1", "show-calls", "r1", CompletionCode.SUCCESS))
    controller.dispatcher.put(DeviceRecord("display-1"))
    controller.dispatcher.put(DeviceEvent("keypad-1", "caller_keypad", "key", {"key": "next"}, 0))
    assert controller.dispatcher.backlog() == 0  # not started: anything queued would still be there
    assert [name for name, _thread in taker.seen] == ["display-1", "key"]
    controller.dispatcher.put(DeviceEvent("evaluator-1", "evaluator", "rated", {"stars": 5}, 0))
    assert controller.dispatcher.backlog() == 1
