"""The controller's extension interface: one extension per feature (queue, lockers, Home Assistant...).

An extension is a class with a `name`; its constructor only stores the `ControllerContext`; `start()`
and `stop()` do the work. The dispatcher calls its hooks on one dispatcher thread, in order:

- `on_event(event)` for every device event named in `events` (``{"*"}`` for all); those also named in
  `events_at_once` are delivered on the MQTT link's thread as they arrive, ahead of whatever the
  dispatcher still holds (for a handler on a latency budget: it must be quick and never wait on the
  network — a keypad's key, docs/adr/0013),
- `on_device(record)` when a device's availability, description or state changed (on the link's thread
  as well when `devices_at_once`, for a handler that only notes what changed),
- `on_completion(outcome)` for every command completion (or controller time-out) it `wants_completion`
  (by default every one, if the extension has an `on_completion`).

Hooks must not block for long; to wait for a device use `context.send_command(...)` from your own
thread or `await context.command(...)` from a FastAPI route. `router()` adds FastAPI routes (mounted
under ``/api/v1/ext/<name>``), `panel()` adds a panel to the manager's dashboard.

Discovery: a package ``hall_controller/<pkg>/`` with a module ``extension.py`` that defines
``EXTENSION = MyExtension`` is loaded by every controller; nothing else to register.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import pkgutil
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from devices.protocol.payloads import JsonObject, Severity

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hall.settings import Settings
    from hall_controller.alarms import Alarm, AlarmBook
    from hall_controller.case_link import CaseServiceClient, Outbox
    from hall_controller.commands import CommandOutcome
    from hall_controller.registry import DeviceRecord, DeviceRegistry
    from hall_controller.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceEvent:
    device_id: str
    kind: str
    name: str
    data: JsonObject
    ts: float


@dataclass(frozen=True)
class PanelData:
    """A dashboard panel: summary figures as tiles, then an optional table of rows."""

    title: str
    summary: dict[str, str | int | float] = field(default_factory=dict)
    rows: list[dict[str, str | int | float]] = field(default_factory=list)


class ControllerContext:
    """What an extension may use. Built by the controller; an extension never builds one."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        registry: DeviceRegistry,
        alarms: AlarmBook,
        send: Callable[[str, str, JsonObject, float], Future[CommandOutcome]],
        raise_alarm: Callable[[str, str, Severity, str], Alarm | None],
        clear_alarm: Callable[[str, str], Alarm | None],
        notify: Callable[[], None],
        publish: Callable[[str, bytes, bool], bool],
        case_service: CaseServiceClient | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.settings = settings
        self.hall_id = settings.hall_id
        self.store = store
        self.registry = registry
        self.alarms = alarms
        self._send = send
        self._raise_alarm = raise_alarm
        self._clear_alarm = clear_alarm
        self._notify = notify
        self._publish = publish
        # HTTP to the case service with the controller's device token, and writes that must get there
        # even when it is away: `context.outbox.enqueue("POST", "/api/v1/...", body)`.
        self.case_service = case_service
        self.outbox = outbox
        self._extensions: tuple[Extension, ...] = ()

    def extension(self, name: str) -> Extension | None:
        """Another extension of this controller by its name (the window's devices ask the queue who is
        signed in at a window), or None."""
        return next((extension for extension in self._extensions if extension.name == name), None)

    def send_command(
        self, device_id: str, name: str, args: JsonObject | None = None, timeout: float = 5.0
    ) -> Future[CommandOutcome]:
        """Sends ``cmd/<name>`` with a fresh request id; the future completes with the device's
        completion, or with `timeOut` after `timeout` seconds. Never raises for device trouble."""
        return self._send(device_id, name, args or {}, timeout)

    async def command(
        self, device_id: str, name: str, args: JsonObject | None = None, *, seconds: float = 5.0
    ) -> CommandOutcome:
        """`send_command` for async code; `seconds` is the command's time-out."""
        return await asyncio.wrap_future(self.send_command(device_id, name, args, seconds))

    def raise_alarm(self, device_id: str, code: str, severity: Severity, message: str) -> Alarm | None:
        return self._raise_alarm(device_id, code, severity, message)

    def clear_alarm(self, device_id: str, code: str) -> Alarm | None:
        return self._clear_alarm(device_id, code)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Publishes outside the device contract (e.g. Home Assistant discovery); False if not sent.
        Device commands go through `send_command`, never through here."""
        return self._publish(topic, payload, retain)

    def notify(self) -> None:
        """Tells the live dashboard that this extension's panel changed."""
        self._notify()


class Extension:
    name: ClassVar[str] = ""
    # Device event names this extension receives; {"*"} for every event.
    events: ClassVar[frozenset[str]] = frozenset()
    # Of `events`, those handled on the MQTT link's thread the moment they arrive (no dispatcher hop).
    events_at_once: ClassVar[frozenset[str]] = frozenset()
    # `on_device` on the thread that noticed the change (the link's, the ticker's), not the dispatcher's.
    devices_at_once: ClassVar[bool] = False

    def __init__(self, context: ControllerContext) -> None:
        self.context = context

    def start(self) -> None:
        """Load state from the store, subscribe to what you need."""

    def stop(self) -> None:
        """Release what start() took."""

    def on_event(self, event: DeviceEvent) -> None:
        """A device event named in `events`."""

    def on_device(self, record: DeviceRecord) -> None:
        """A device's availability, description or state changed."""

    def on_completion(self, outcome: CommandOutcome) -> None:
        """A command ended (every command, whoever sent it)."""

    def router(self) -> APIRouter | None:
        return None

    def panel(self) -> PanelData | None:
        return None

    def wants(self, event_name: str) -> bool:
        return "*" in self.events or event_name in self.events

    def wants_at_once(self, event_name: str) -> bool:
        return event_name in self.events_at_once and self.wants(event_name)

    def wants_completion(self, outcome: CommandOutcome) -> bool:
        """Whether `on_completion` should hear of `outcome`; the dispatcher is not woken for one nobody
        wants (a display's show completing, several a call)."""
        return type(self).on_completion is not Extension.on_completion


ExtensionFactory = Callable[[ControllerContext], Extension]


def discover_extensions(package: str = "hall_controller") -> list[type[Extension]]:
    """Every ``<package>.<sub>.extension.EXTENSION``, sorted by name. Import errors are not hidden."""
    root = importlib.import_module(package)
    found: list[type[Extension]] = []
    for module in pkgutil.iter_modules(root.__path__):
        if not module.ispkg:
            continue
        module_name = f"{package}.{module.name}.extension"
        if importlib.util.find_spec(module_name) is None:
            continue
        extension: Any = getattr(importlib.import_module(module_name), "EXTENSION", None)
        if not (isinstance(extension, type) and issubclass(extension, Extension)):
            log.warning("%s has no EXTENSION class; skipped", module_name)
            continue
        found.append(extension)
    return sorted(found, key=lambda cls: cls.name)
