"""Simulated queue devices: main display, window LED, caller keypad, evaluator, ticket printer.

Each is a `ProtocolDevice` that speaks only the contract in devices/protocol/queue.py: it validates its
command arguments, shows what it was told as retained state, and publishes key presses and ratings as
events. Tests and the demo press their buttons through `press(...)` / `rate(...)`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.protocol import queue as contract
from devices.protocol.device import CommandFailedError, CommandResult, ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import Command, CompletionCode, JsonObject, Payload
from firmware_sim.queue.slip import render
from firmware_sim.queue.speech import Speaker, SpeechError

log = logging.getLogger(__name__)


def _args(model: type[Payload], command: Command) -> Any:
    """The command's arguments as `model`; a bad shape completes the command with invalidData."""
    from pydantic import ValidationError

    try:
        return model.model_validate(command.args)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "args"
        raise CommandFailedError(CompletionCode.INVALID_DATA, f"{where}: {first['msg']}") from err


def _dump(payload: Payload) -> JsonObject:
    dumped: JsonObject = payload.model_dump(mode="json", exclude_none=True)
    return dumped


class QueueDisplay(ProtocolDevice):
    """The hall's main screen: latest and recent calls, waiting per service; speaks new calls."""

    def __init__(self, hall: str, device_id: str, speaker: Speaker, **kwargs: Any) -> None:
        super().__init__(
            hall, device_id, kind=contract.QUEUE_DISPLAY, capabilities=["show", "speak"], **kwargs
        )
        self.speaker = speaker
        self.shown: contract.DisplayShow | None = None
        self.sounds: list[Path] = []
        self._spoken_seq = 0
        self._speech: queue.Queue[contract.CallLine | None] = queue.Queue()
        self._speech_thread: threading.Thread | None = None
        self.on_shown: Callable[[contract.DisplayShow], None] | None = None
        self.register_command(contract.SHOW_CALLS, self._show, at_once=True)  # on screen as it arrives

    def start(self, url: str, *args: Any, **kwargs: Any) -> None:
        self._speech_thread = threading.Thread(
            target=self._speak_loop, name=f"tts-{self.device_id}", daemon=True
        )
        self._speech_thread.start()
        super().start(url, *args, **kwargs)

    def stop(self, *, clean: bool = True) -> None:
        super().stop(clean=clean)
        self._speech.put(None)
        if self._speech_thread is not None:
            self._speech_thread.join(15)

    def _show(self, command: Command) -> CommandResult:
        show: contract.DisplayShow = _args(contract.DisplayShow, command)
        self.shown = show
        if self.on_shown is not None:
            self.on_shown(show)
        latest = show.latest
        if show.speak and latest is not None and latest.call_seq > self._spoken_seq:
            self._spoken_seq = latest.call_seq
            self._speech.put(latest)
        return CommandResult(result={"shown": latest.number if latest else None})

    def _speak_loop(self) -> None:
        # Speaking takes longer than showing: it runs here so the screen is never held up by the voice.
        while (line := self._speech.get()) is not None:
            name = f"{line.call_seq:06d}-{line.number}"
            try:
                for language, text in (("zh", line.speech_zh or line.text_zh), ("en", line.speech_en)):
                    if text:
                        path = self.speaker.speak(text, language, name)
                        if path is not None:
                            self.sounds.append(path)
                if any(known.code == HealthCode.DISPLAY_ERROR.value for known in self.issues):
                    # Only news is sent: a state after every call reached the controller beside the
                    # next call's key, for nothing.
                    self.update_state(clear_issues=[HealthCode.DISPLAY_ERROR.value])
            except SpeechError as err:
                log.error("%s: %s", self.device_id, err)
                self.update_state(raise_issues=[issue(HealthCode.DISPLAY_ERROR, f"voice: {err}"[:200])])
            finally:
                self._speech.task_done()

    def wait_spoken(self, timeout: float = 10.0) -> bool:
        """True once every call handed to the voice has been spoken."""
        deadline = time.monotonic() + timeout
        while self._speech.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return self._speech.unfinished_tasks == 0


class WindowLed(ProtocolDevice):
    """One window's LED strip above the counter."""

    def __init__(self, hall: str, device_id: str, window: int, **kwargs: Any) -> None:
        super().__init__(
            hall,
            device_id,
            kind=contract.WINDOW_LED,
            capabilities=["show"],
            attributes={contract.WINDOW_ATTRIBUTE: window},
            **kwargs,
        )
        self.window = window
        self.shown: contract.LedShow | None = None
        self.history: list[contract.LedShow] = []  # the last 50 things shown, oldest first
        self.on_shown: Callable[[contract.LedShow], None] | None = None
        self.register_command(contract.SHOW_CALL, self._show, at_once=True)

    def _show(self, command: Command) -> CommandResult:
        show: contract.LedShow = _args(contract.LedShow, command)
        if show.window != self.window:
            raise CommandFailedError(CompletionCode.INVALID_DATA, f"this LED is window {self.window}")
        self.shown = show
        self.history = [*self.history[-49:], show]
        if self.on_shown is not None:
            self.on_shown(show)
        return CommandResult(result={"shown": show.number})


class CallerKeypad(WindowLed):
    """呼叫器: the clerk's keypad with a small screen; keys become ``evt/key``."""

    def __init__(self, hall: str, device_id: str, window: int, **kwargs: Any) -> None:
        super().__init__(hall, device_id, window, **kwargs)
        self.kind = contract.CALLER_KEYPAD
        self.capabilities = ["show", "keys"]
        self.events = sorted({*self.events, contract.KEY_EVENT})

    def press(self, key: contract.KeyName | str, **fields: Any) -> None:
        press = contract.KeyPress(key=contract.KeyName(key), **fields)
        self.publish_event(contract.KEY_EVENT, _dump(press))


class Evaluator(ProtocolDevice):
    """评价器: five buttons, 非常满意 (5) to 非常不满意 (1); asks only when the controller says so."""

    def __init__(self, hall: str, device_id: str, window: int, **kwargs: Any) -> None:
        super().__init__(
            hall,
            device_id,
            kind=contract.EVALUATOR,
            capabilities=["five-buttons", "dimensions"],
            events=[contract.RATED_EVENT],
            attributes={contract.WINDOW_ATTRIBUTE: window},
            **kwargs,
        )
        self.window = window
        self.asking: contract.AskRating | None = None
        self.ended: list[str] = []
        self.register_command(contract.ASK_RATING, self._ask)
        self.register_command(contract.END_RATING, self._end)

    def _ask(self, command: Command) -> CommandResult:
        ask: contract.AskRating = _args(contract.AskRating, command)
        self.asking = ask
        self.update_state(data={"asking": _dump(ask)})
        return CommandResult()

    def _end(self, command: Command) -> CommandResult:
        end: contract.EndRating = _args(contract.EndRating, command)
        if self.asking is not None and self.asking.rating_id == end.rating_id:
            self.asking = None
            self.update_state(data={"asking": None})
        self.ended.append(end.rating_id)
        return CommandResult()

    def rate(self, level: int, dimensions: dict[str, int] | None = None, rating_id: str | None = None) -> str:
        """Presses a button: rates what is being asked (or `rating_id`, to test refusals)."""
        target = rating_id or (self.asking.rating_id if self.asking else None)
        if target is None:
            raise RuntimeError(f"{self.device_id} is not asking for a rating")
        rated = contract.Rated(rating_id=target, level=level, dimensions=dimensions or {})
        self.publish_event(contract.RATED_EVENT, _dump(rated))
        if self.asking is not None and self.asking.rating_id == target:
            self.asking = None
            self.update_state(data={"asking": None})
        return target


class TicketPrinter(ProtocolDevice):
    """An 80 mm thermal ticket printer; every slip's ESC/POS bytes are kept (and written to `folder`)."""

    def __init__(
        self, hall: str, device_id: str, *, paper: int = 1000, folder: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(
            hall, device_id, kind=contract.TICKET_PRINTER, capabilities=["escpos", "qr"], **kwargs
        )
        self.paper = paper
        self.folder = folder
        self.printed: list[bytes] = []
        self._lock = threading.Lock()
        self.register_command(contract.PRINT_TICKET, self._print)

    def _print(self, command: Command) -> CommandResult:
        slip: contract.TicketSlip = _args(contract.TicketSlip, command)
        with self._lock:
            if self.paper <= 0:
                self.update_state(raise_issues=[issue(HealthCode.PAPER_OUT)])
                raise CommandFailedError(CompletionCode.DEVICE_NOT_READY, "paper out")
            data = render(slip)
            self.printed.append(data)
            self.paper -= 1
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{len(self.printed):05d}-{slip.number}.bin").write_bytes(data)
            low = [issue(HealthCode.PAPER_LOW)] if self.paper < 20 else []
            self.update_state(data={"paper": self.paper, "printed": len(self.printed)}, raise_issues=low)
        return CommandResult(result={"bytes": len(data)})
