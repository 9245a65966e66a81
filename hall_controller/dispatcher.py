"""Routes device events, device changes and command completions to extensions, on one thread.

An extension that raises is logged and counted; the others and the controller carry on.
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


class Dispatcher:
    def __init__(self, extensions: Sequence[Extension], on_error: Callable[[str], None]) -> None:
        self._extensions = list(extensions)
        self._on_error = on_error
        self._queue: queue.SimpleQueue[Item | _Marker | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

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
        if self._extensions:
            self._queue.put(item)

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
            for extension in self._extensions:
                self._deliver(extension, item)

    def _deliver(self, extension: Extension, item: Item) -> None:
        try:
            if isinstance(item, DeviceEvent):
                if extension.wants(item.name):
                    extension.on_event(item)
            elif isinstance(item, DeviceRecord):
                extension.on_device(item)
            else:
                extension.on_completion(item)
        except Exception:  # an extension's bug must not stop the hall
            log.exception("extension %s failed on %s", extension.name, type(item).__name__)
            self._on_error(extension.name)


class _Marker:
    def __init__(self, done: threading.Event) -> None:
        self.done = done
