"""The queue as a controller extension: keypad keys and evaluator ratings in, displays and LEDs out.

Wiring only: rules live in book.py, payloads in outputs.py, pushing in pump.py, the web side in routes.py.
The configuration is ``<data dir>/queue.json`` (a `QueueConfig`) when present, else the demo hall's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

from pydantic import ValidationError

from devices.protocol import queue as contract
from devices.protocol.payloads import CompletionCode, PayloadError
from hall.errors import StartupError
from hall_controller.case_link import Outbox
from hall_controller.commands import CommandOutcome
from hall_controller.extensions import ControllerContext, DeviceEvent, Extension, PanelData
from hall_controller.queue import events as ev
from hall_controller.queue import outputs
from hall_controller.queue.book import QueueBook, QueueError, RatingRequest
from hall_controller.queue.config import QueueConfig, demo_config
from hall_controller.queue.pump import OutputPump, window_of
from hall_controller.queue.service import QueueService
from hall_controller.queue.stats import statistics
from hall_controller.registry import Availability, DeviceRecord

if TYPE_CHECKING:
    from fastapi import APIRouter

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
QUEUE_COMMANDS = {
    contract.SHOW_CALLS,
    contract.SHOW_CALL,
    contract.ASK_RATING,
    contract.END_RATING,
    contract.PRINT_TICKET,
}
SHOWS = {contract.SHOW_CALLS, contract.SHOW_CALL}  # state shown; sending the newest again is harmless


def load_config(data_dir: Path) -> QueueConfig:
    path = data_dir / "queue.json"
    if not path.exists():
        return demo_config()
    try:
        return QueueConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as err:
        raise StartupError(f"bad queue configuration {path}: {err}") from err


class QueueExtension(Extension):
    name = "queue"
    events = frozenset({contract.KEY_EVENT, contract.RATED_EVENT})
    # A clerk's key is handled on the MQTT link's thread and its show pushed from there (docs/adr/0013).
    events_at_once = frozenset({contract.KEY_EVENT})
    devices_at_once = True  # on_device only notes what changed for the pump

    def __init__(
        self,
        context: ControllerContext,
        *,
        config: QueueConfig | None = None,
        clock: Callable[[], float] = time.time,
        deliver_ratings: bool = True,
    ) -> None:
        super().__init__(context)
        self.config = config or load_config(context.settings.data_dir)
        self.clock = clock
        self.service = QueueService(self.config, context.store, clock, self._on_queue_event)
        self.pump = OutputPump(self.service, context.registry.snapshot, context.send_command)
        # Ratings go to the case service over the controller's one link (its device token), keyed by
        # rating id so a resent rating is stored once; without it they stay in the controller's store.
        self.outbox = Outbox(
            context.store, context.case_service if deliver_ratings else None, collection="queue.outbox"
        )
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        # Device events taken care of (applied or refused): lets a test wait for a key press's effect.
        self.events_handled = 0
        self._announced: dict[str, tuple[str, bool]] = {}
        self.failed_commands: Counter[str] = Counter()  # "<command> <code>" of our commands that failed

    @classmethod
    def factory(cls, **kwargs: Any) -> Callable[[ControllerContext], QueueExtension]:
        return lambda context: cls(context, **kwargs)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        self.service.start()
        self.pump.start()
        self.outbox.start()
        self.pump.mark_all([window.number for window in self.config.windows])
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="queue-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(2)
        self.pump.stop()
        self.outbox.stop()

    def _tick_loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.service.tick()
            except Exception:  # keep ticking: a failed tick is logged and retried next time
                log.exception("queue tick failed")

    # ------------------------------------------------------------------ queue events → devices

    def _on_queue_event(self, book: QueueBook, event: ev.QueueEvent) -> None:
        match event:
            case (
                ev.SignedIn()
                | ev.SignedOut()
                | ev.Paused()
                | ev.Resumed()
                | ev.Called()
                | ev.Recalled()
                | ev.Started()
                | ev.NoShow()
                | ev.Transferred()
            ):
                self.pump.mark_window(event.window)
            case ev.Finished():
                self.pump.mark_window(event.window)
                if event.rating_id:
                    self._ask_rating(book.ratings[event.rating_id])
            case ev.Issued() | ev.Cancelled():
                self.pump.mark_display()
            case ev.DayClosed():
                self.pump.mark_display()
                self.pump.mark_all(list(book.windows))
            case ev.Rated() | ev.RatingTimedOut():
                self._end_rating(book.ratings[event.rating_id], event)
            case ev.RatingAsked() | ev.Callback():
                pass
            case _:
                assert_never(event)
        self.context.notify()

    def _ask_rating(self, request: RatingRequest) -> None:
        ask = outputs.ask_rating(request, self.config.rating_timeout_seconds)
        self.pump.command(
            contract.EVALUATOR,
            request.window,
            contract.ASK_RATING,
            ask.model_dump(mode="json", exclude_none=True),
        )

    def _end_rating(self, request: RatingRequest, event: ev.Rated | ev.RatingTimedOut) -> None:
        end = contract.EndRating(rating_id=request.rating_id, reason=event.TYPE)
        if request.window is not None:
            self.pump.command(
                contract.EVALUATOR, request.window, contract.END_RATING, end.model_dump(mode="json")
            )
        if isinstance(event, ev.Rated) and request.case_id:
            self.outbox.enqueue(
                "POST",
                f"/api/v1/cases/{request.case_id}/evaluations",
                evaluation_body(request),
                key=request.rating_id,
                subject=request.case_id,
            )

    # ------------------------------------------------------------------ devices → queue

    def on_device(self, record: DeviceRecord) -> None:
        """A display that came (back) online is shown the current calls; state updates are not news."""
        self.pump.device_changed(record)
        if record.kind not in (contract.QUEUE_DISPLAY, contract.WINDOW_LED, contract.CALLER_KEYPAD):
            return
        seen = (record.instance, record.availability is Availability.ONLINE)
        if self._announced.get(record.device_id) == seen:
            return
        self._announced[record.device_id] = seen
        if seen[1]:
            self.pump.mark_device(record.device_id)

    def wants_completion(self, outcome: CommandOutcome) -> bool:
        return outcome.command in QUEUE_COMMANDS and not outcome.ok

    def on_completion(self, outcome: CommandOutcome) -> None:
        if self.wants_completion(outcome):
            self.failed_commands[f"{outcome.command} {outcome.code.value}"] += 1
            if outcome.command in SHOWS and outcome.code is CompletionCode.TIME_OUT:
                # Lost on the way (say the broker restarted before the display subscribed again): a
                # display still online is shown the newest state again; one that went offline is shown
                # everything when it comes back.
                record = self.context.registry.get(outcome.device_id)
                if record is not None and record.availability is Availability.ONLINE:
                    self.pump.mark_device(outcome.device_id)
            log.warning(
                "%s to %s ended %s: %s",
                outcome.command,
                outcome.device_id,
                outcome.code.value,
                outcome.message,
            )

    def on_event(self, event: DeviceEvent) -> None:
        with self.pump.pushing_here():
            self._handle(event)

    def _handle(self, event: DeviceEvent) -> None:
        record = self.context.registry.get(event.device_id)
        window = window_of(record) if record is not None else None
        try:
            if event.name == contract.KEY_EVENT and event.kind == contract.CALLER_KEYPAD:
                if window is None:
                    raise QueueError("unbound_device", f"keypad {event.device_id} is bound to no window")
                self.press(window, contract.KeyPress.model_validate(event.data))
            elif event.name == contract.RATED_EVENT and event.kind == contract.EVALUATOR:
                rated = contract.Rated.model_validate(event.data)
                dimensions = {dimension.value: value for dimension, value in rated.dimensions.items()}

                def rate(book: QueueBook, now: float) -> object:
                    # Only the evaluator of the window that asked: another device's word is not the
                    # applicant's (an unknown id is refused by the book itself).
                    request = book.ratings.get(rated.rating_id)
                    if request is not None and (request.channel != "evaluator" or request.window != window):
                        raise QueueError("not_this_evaluator", f"{rated.rating_id} was not asked here")
                    return book.rate(rated.rating_id, rated.level, now, dimensions)

                self.service.run(rate)
        except (ValidationError, PayloadError) as err:
            log.warning("refused %s from %s: %s", event.name, event.device_id, str(err).splitlines()[0])
            self._tell_keypad(event, window, "无效按键 invalid key")
        except QueueError as err:
            log.info("refused %s from %s: %s", event.name, event.device_id, err.message)
            self._tell_keypad(event, window, err.message)
        finally:
            self.events_handled += 1

    def _tell_keypad(self, event: DeviceEvent, window: int | None, message: str) -> None:
        if event.name != contract.KEY_EVENT or window is None:
            return
        show = contract.LedShow(window=window, text=message[:200])
        self.pump.command_to(event.device_id, contract.SHOW_CALL, show.model_dump(mode="json"))

    def press(self, window: int, key: contract.KeyPress) -> object:
        """One clerk action at `window`, from a keypad or the web desk; QueueError when refused."""
        actions: dict[contract.KeyName, Callable[[QueueBook, float], object]] = {
            contract.KeyName.SIGN_IN: lambda book, now: book.sign_in(window, key.clerk or "", now),
            contract.KeyName.SIGN_OUT: lambda book, now: book.sign_out(window, now),
            contract.KeyName.NEXT: lambda book, now: book.call_next(window, now),
            contract.KeyName.CALL: lambda book, now: book.call_specific(window, key.number or "", now),
            contract.KeyName.RECALL: lambda book, now: book.recall(window, now),
            contract.KeyName.START: lambda book, now: book.start(window, now),
            contract.KeyName.NO_SHOW: lambda book, now: book.no_show(window, now),
            contract.KeyName.TRANSFER: lambda book, now: book.transfer(
                window, now, to_service=key.service, to_window=key.to_window
            ),
            contract.KeyName.FINISH: lambda book, now: book.finish(
                window, key.outcome or "办结", now, case_id=key.case_id, next_service=key.next_service
            ),
            contract.KeyName.PAUSE: lambda book, now: book.pause(window, key.reason, now),
            contract.KeyName.RESUME: lambda book, now: book.resume(window, now),
        }
        result = self.service.run(actions[key.key])
        if key.key is contract.KeyName.NEXT and result is None:
            self.pump.command(
                contract.CALLER_KEYPAD,
                window,
                contract.SHOW_CALL,
                contract.LedShow(window=window, text="暂无等候 nobody waiting").model_dump(mode="json"),
            )
        return result

    # ------------------------------------------------------------------ web and dashboard

    def router(self) -> APIRouter:
        from hall_controller.queue.routes import build_router
        from hall_controller.queue.screen import build_screen_router

        router = build_router(self)
        router.include_router(build_screen_router(self))
        return router

    def panel(self) -> PanelData:
        def build(book: QueueBook) -> PanelData:
            rows: list[dict[str, str | int | float]] = []
            measured = {row.key: row for row in statistics(book, self.clock()) if row.group == "service"}
            for line in outputs.service_lines(book):
                row = measured[line.code]
                rows.append(
                    {
                        "服务 service": line.name,
                        "等候 waiting": line.waiting,
                        "预计 estimate (min)": line.estimate_minutes,
                        "已办 served": row.served,
                        "平均等候 mean wait (min)": row.mean_wait_min,
                        "未办 abandoned": row.abandoned,
                        "告警 warning": "⚠" if line.warning else "",
                    }
                )
            open_windows = sum(1 for window in book.windows.values() if window.open)
            summary: dict[str, str | int | float] = {
                "取号 issued": len(book.tickets),
                "等候 waiting": len(book.waiting()),
                "开放窗口 open windows": open_windows,
                "待回访 open follow-ups": len(book.open_follow_ups()),
            }
            return PanelData(title="排队叫号 Queue", summary=summary, rows=rows)

        return self.service.read(build)


def evaluation_body(request: RatingRequest) -> dict[str, Any]:
    """The case service's EvaluationIn: score, comment (with the dimensions), window, clerk."""
    if request.level is None:
        raise ValueError(f"rating {request.rating_id} has not been given")
    dimensions = " ".join(f"{name}={value}" for name, value in sorted(request.dimensions.items()))
    comment = " ".join(part for part in (request.comment, f"[{dimensions}]" if dimensions else "") if part)
    return {
        "score": int(request.level),
        "comment": comment[:1000],
        "window": str(request.window) if request.window is not None else None,
        "clerk": request.clerk,
    }


EXTENSION = QueueExtension
