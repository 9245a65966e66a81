"""The queue of one hall for one day, as a pure state machine driven by events.

Every command validates against the current state and either raises `QueueError` (nothing changes) or
produces one event (a `QueueEvent` of events.py) that is applied and handed to `sink` — the service appends it
to the journal. Replaying the journal (`QueueBook.replay`) rebuilds the same state after a restart, so events
carry every decision (e.g. which ticket a call picked) and replay never re-decides.

Times are seconds since the epoch, passed in by the caller: this module reads no clock.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, assert_never

from devices.protocol.queue import Dimension
from hall.calendar import CHINA_TZ, WorkingCalendar, china_calendar, china_day
from hall_controller.queue import ordering
from hall_controller.queue.config import Priority, QueueConfig, WindowConfig
from hall_controller.queue.estimate import THROUGHPUT_MINUTES, Estimate, estimate_wait
from hall_controller.queue.evaluation import RatingLevel, RatingState, is_bad
from hall_controller.queue.events import (
    Callback,
    Called,
    Cancelled,
    DayClosed,
    Finished,
    Issued,
    NoShow,
    Paused,
    QueueEvent,
    Rated,
    RatingAsked,
    RatingTimedOut,
    Recalled,
    Resumed,
    SignedIn,
    SignedOut,
    Source,
    Started,
    Transferred,
)
from hall_controller.queue.waiting import WaitingIndex

log = logging.getLogger(__name__)


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # still open when the day rolled over


FINAL_STATES = frozenset(
    {TicketState.FINISHED, TicketState.NO_SHOW, TicketState.CANCELLED, TicketState.EXPIRED}
)


class QueueError(Exception):
    """A command the queue refuses; `code` is stable for clients, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Visit:
    service: str
    window: int
    clerk: str
    called_at: float
    started_at: float | None = None
    finished_at: float | None = None
    outcome: str | None = None


@dataclass
class Ticket:
    number: str
    service: str
    priority: Priority
    source: Source
    issued_at: float
    entered_at: float
    entry_seq: int
    person: str | None = None
    case_id: str | None = None
    appointment_id: str | None = None
    estimate_minutes: float | None = None
    state: TicketState = TicketState.WAITING
    overtaken: int = 0
    pinned_window: int | None = None
    window: int | None = None
    recalls: int = 0
    ended_at: float | None = None
    visits: list[Visit] = field(default_factory=list)
    # (service, joined, called) for each time the ticket waited; a transfer waits again.
    waits: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def issued_service(self) -> str:
        return self.waits[0][0] if self.waits else self.service

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def candidate(self) -> ordering.Candidate:
        return ordering.Candidate(
            key=self.number,
            service=self.service,
            priority=self.priority,
            entry_seq=self.entry_seq,
            entered_at=self.entered_at,
            overtaken=self.overtaken,
            pinned_window=self.pinned_window,
        )


@dataclass
class Window:
    number: int
    clerk: str | None = None
    paused: str | None = None  # the reason, while paused
    ticket: str | None = None
    # time accounting for statistics
    opened_at: float | None = None
    open_seconds: float = 0.0
    busy_seconds: float = 0.0
    paused_seconds: float = 0.0
    paused_at: float | None = None
    busy_since: float | None = None

    @property
    def open(self) -> bool:
        return self.clerk is not None


@dataclass(frozen=True, slots=True)
class CallRecord:
    seq: int  # the book's event number: grows through the day, survives replay
    number: str
    window: int
    recall: bool
    at: float


@dataclass(slots=True)
class RatingRequest:
    rating_id: str
    ticket: str | None
    case_id: str | None
    clerk: str | None
    window: int | None
    channel: str  # "evaluator" or "kiosk"
    asked_at: float
    expires_at: float
    state: RatingState = RatingState.PENDING
    level: RatingLevel | None = None
    dimensions: dict[str, int] = field(default_factory=dict)
    comment: str = ""
    rated_at: float | None = None


@dataclass
class FollowUp:
    follow_up_id: str
    rating_id: str
    opened_at: float
    due: str  # ISO date
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    closed_at: float | None = None


def new_rating_id(kind: str) -> str:
    """Unguessable (96 random bits), so nobody rates a request they were not given; the event carries
    it, so replay does not draw again. Hex: the device contract's rating id allows no '_'."""
    return f"{kind}-{secrets.token_hex(12)}"


class QueueBook:
    def __init__(
        self,
        config: QueueConfig,
        day: date,
        sink: Callable[[QueueEvent], None] | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.config = config
        self.day = day
        self._sink = sink
        self._calendar = calendar or china_calendar()
        self.tickets: dict[str, Ticket] = {}
        # The waiting tickets, in the order of `tickets`, kept in step by `_apply` (`_index_waiting`): a
        # call, a display update and an estimate read them without scanning the whole day's tickets.
        self._waiting: dict[str, Ticket] = {}
        # The same tickets filed for the ordering (waiting.py): a call looks at a few, not at all of them.
        self._queue = WaitingIndex(config)
        self.windows: dict[int, Window] = {window.number: Window(window.number) for window in config.windows}
        self.issued: dict[str, int] = {service.code: 0 for service in config.services}
        # What the estimates read, kept only as far back as they look: the last `estimate_window`
        # service times, the calls of the last THROUGHPUT_MINUTES. (Whole-day lists grew with every
        # ticket and every estimate scanned them; the day's figures come from the tickets.)
        self.service_seconds: dict[str, deque[float]] = {
            service.code: deque(maxlen=config.estimate_window) for service in config.services
        }
        self.ratings: dict[str, RatingRequest] = {}
        # The pending ones, in the same order, kept in step by `_apply`: a finish and the ticker look at
        # these, not at every rating of the day.
        self._pending: dict[str, RatingRequest] = {}
        self.follow_ups: dict[str, FollowUp] = {}
        self.rated_cases: set[str] = set()
        self.calls: list[CallRecord] = []
        self.call_times: dict[str, deque[float]] = {service.code: deque() for service in config.services}
        self.last_at = 0.0  # the newest event's time: "now" for estimates shown between events
        self._entry_seq = itertools.count(1)
        self.sequence = 0  # events applied

    # ---------------------------------------------------------------- replay

    @classmethod
    def replay(
        cls,
        config: QueueConfig,
        day: date,
        events: Iterable[QueueEvent],
        sink: Callable[[QueueEvent], None] | None = None,
    ) -> QueueBook:
        book = cls(config, day)
        for event in events:
            book._apply(event)
        book._sink = sink
        return book

    def _emit(self, event: QueueEvent) -> QueueEvent:
        self._apply(event)
        if self._sink is not None:
            self._sink(event)
        return event

    # ---------------------------------------------------------------- look-ups

    def _service_config(self, code: str) -> None:
        if self.config.service(code) is None:
            known = ", ".join(service.code for service in self.config.services)
            raise QueueError("unknown_service", f"unknown service {code!r}; known: {known}")

    def _window_config(self, number: int) -> WindowConfig:
        window = self.config.window(number)
        if window is None:
            raise QueueError("unknown_window", f"there is no window {number}")
        return window

    def _open_window(self, number: int) -> Window:
        self._window_config(number)
        window = self.windows[number]
        if not window.open:
            raise QueueError("window_closed", f"window {number} is closed: no clerk is signed in")
        return window

    def ticket(self, number: str) -> Ticket:
        ticket = self.tickets.get(number)
        if ticket is None:
            raise QueueError("unknown_ticket", f"no ticket {number!r} today")
        return ticket

    def waiting(self, service: str | None = None) -> list[Ticket]:
        """The waiting tickets (of `service`), in the order they were issued."""
        if service is None:
            return list(self._waiting.values())
        return [ticket for ticket in self._waiting.values() if ticket.service == service]

    def waiting_count(self, service: str) -> int:
        """`len(self.waiting(service))`, without building the list (a display update asks per service)."""
        return self._queue.count(service)

    def open_windows(self) -> list[int]:
        return [number for number, window in self.windows.items() if window.open and window.paused is None]

    def estimate(self, service: str, ahead: int | None = None, now: float | None = None) -> Estimate:
        self._service_config(service)
        count = self.waiting_count(service) if ahead is None else ahead
        return estimate_wait(
            self.config,
            service,
            count,
            self.open_windows(),
            self.service_seconds[service],
            call_times=self.call_times[service],
            now=now if now is not None else self.last_at,
        )

    def position(self, number: str) -> int:
        """How many tickets of the same service joined before this waiting ticket and still wait."""
        ticket = self.ticket(number)
        return sum(1 for other in self.waiting(ticket.service) if other.entry_seq < ticket.entry_seq)

    def warnings(self) -> list[str]:
        return [
            f"{service.name}: {self.waiting_count(service.code)} waiting (limit {service.warn_waiting})"
            for service in self.config.services
            if self.waiting_count(service.code) > service.warn_waiting
        ]

    # ---------------------------------------------------------------- commands: windows

    def sign_in(self, window: int, clerk: str, now: float) -> QueueEvent:
        self._window_config(window)
        if not clerk.strip():
            raise QueueError("bad_clerk", "a clerk id is required")
        current = self.windows[window].clerk
        if current is not None:
            raise QueueError("window_taken", f"window {window} is already staffed by {current}")
        for other in self.windows.values():
            if other.clerk == clerk:
                raise QueueError("clerk_busy", f"clerk {clerk} is signed in at window {other.number}")
        return self._emit(SignedIn(window, clerk, now))

    def sign_out(self, window: int, now: float) -> QueueEvent:
        state = self._open_window(window)
        if state.ticket is not None:
            raise QueueError("window_busy", f"window {window} still has {state.ticket}; finish it first")
        return self._emit(SignedOut(window, now))

    def pause(self, window: int, reason: str, now: float) -> QueueEvent:
        state = self._open_window(window)
        if not reason.strip():
            raise QueueError("bad_reason", "a pause needs a reason")
        if state.paused is not None:
            raise QueueError("already_paused", f"window {window} is already paused ({state.paused})")
        if state.ticket is not None:
            raise QueueError("window_busy", f"window {window} still has {state.ticket}; finish it first")
        return self._emit(Paused(window, reason.strip()[:100], now))

    def resume(self, window: int, now: float) -> QueueEvent:
        state = self._open_window(window)
        if state.paused is None:
            raise QueueError("not_paused", f"window {window} is not paused")
        return self._emit(Resumed(window, now))

    # ---------------------------------------------------------------- commands: tickets

    def issue(
        self,
        service: str,
        now: float,
        *,
        source: Source = Source.KIOSK,
        priority: Priority = Priority.ORDINARY,
        person: str | None = None,
        case_id: str | None = None,
        appointment_id: str | None = None,
    ) -> Ticket:
        self._service_config(service)
        settings = self.config.service(service)
        assert settings is not None
        moment = datetime.fromtimestamp(now, CHINA_TZ)
        if moment.date() != self.day:
            raise QueueError("wrong_day", f"the queue is for {self.day}, not {moment.date()}")
        clock = moment.time()
        if not any(window.start <= clock < window.end for window in settings.issue_windows):
            hours = ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M}" for w in settings.issue_windows)
            raise QueueError("not_issuing", f"{settings.name} issues tickets only {hours}")
        if self.issued[service] >= settings.capacity:
            raise QueueError("cap_reached", f"{settings.name}: today's {settings.capacity} tickets are gone")
        if source in (Source.KIOSK, Source.REMOTE, Source.APPOINTMENT) and person is None:
            raise QueueError("person_required", f"a {source} ticket must be bound to a person")
        if source is Source.APPOINTMENT:
            if not appointment_id:
                raise QueueError("appointment_required", "an appointment check-in needs the appointment id")
            if any(ticket.appointment_id == appointment_id for ticket in self.tickets.values()):
                raise QueueError("appointment_used", f"appointment {appointment_id} already checked in")
            priority = Priority.APPOINTMENT
        if person is not None:
            self._check_hoarding(person, service)
        number = f"{settings.prefix}{settings.first_number + self.issued[service]:0{settings.number_width}d}"
        estimate = self.estimate(service, now=now).minutes
        self._emit(
            Issued(
                number=number,
                service=service,
                priority=priority,
                source=source,
                at=now,
                person=person,
                case_id=case_id,
                appointment_id=appointment_id,
                estimate_minutes=round(estimate, 2),
            )
        )
        return self.tickets[number]

    def _check_hoarding(self, person: str, service: str) -> None:
        mine = [t for t in self.tickets.values() if t.person == person and t.service == service]
        active = sum(1 for ticket in mine if not ticket.final)
        if active >= self.config.max_active_per_person:
            raise QueueError("hoarding", "this person already holds a ticket for this service")
        if len(mine) >= self.config.max_daily_per_person:
            raise QueueError("hoarding", "this person has taken the most tickets allowed today")

    def call_next(self, window: int, now: float) -> Ticket | None:
        """Calls the next ticket for `window` (ordering.py's rules); None when nobody waits for it."""
        state = self._ready_to_call(window)
        settings = self._window_config(window)
        chosen = self._queue.next_for(settings, now)
        if chosen is None:
            return None
        return self._call(state, settings, chosen, now)

    def call_specific(self, window: int, number: str, now: float) -> Ticket:
        state = self._ready_to_call(window)
        settings = self._window_config(window)
        ticket = self.ticket(number)
        if ticket.state is not TicketState.WAITING:
            raise QueueError("not_waiting", f"{number} is {ticket.state}, not waiting")
        chosen = ticket.candidate()
        if not ordering.servable(chosen, settings):
            raise QueueError("wrong_window", f"window {window} does not serve {number}")
        return self._call(state, settings, chosen, now)

    def _ready_to_call(self, window: int) -> Window:
        state = self._open_window(window)
        if state.paused is not None:
            raise QueueError("window_paused", f"window {window} is paused ({state.paused})")
        if state.ticket is not None:
            raise QueueError("window_busy", f"window {window} still has {state.ticket}; finish it first")
        return state

    def _call(self, state: Window, settings: WindowConfig, chosen: ordering.Candidate, now: float) -> Ticket:
        overtaken = self._queue.overtaken_by(chosen, settings)
        clerk = state.clerk
        assert clerk is not None  # a window calls only while a clerk is signed in (_ready_to_call)
        self._emit(Called(chosen.key, state.number, clerk, tuple(overtaken), now))
        return self.tickets[chosen.key]

    def _current(self, window: int) -> Ticket:
        state = self._open_window(window)
        if state.ticket is None:
            raise QueueError("no_ticket", f"window {window} has no ticket called")
        return self.tickets[state.ticket]

    def recall(self, window: int, now: float) -> Ticket:
        ticket = self._current(window)
        if ticket.state is not TicketState.CALLED:
            raise QueueError(
                "not_called", f"{ticket.number} is {ticket.state}; only a called ticket is recalled"
            )
        self._emit(Recalled(ticket.number, window, now))
        return ticket

    def start(self, window: int, now: float) -> Ticket:
        ticket = self._current(window)
        if ticket.state is not TicketState.CALLED:
            raise QueueError("not_called", f"{ticket.number} is {ticket.state}, not called")
        self._emit(Started(ticket.number, window, now))
        return ticket

    def no_show(self, window: int, now: float) -> Ticket:
        ticket = self._current(window)
        if ticket.state is not TicketState.CALLED:
            raise QueueError("not_called", f"{ticket.number} is being served; it cannot be a no-show")
        self._emit(NoShow(ticket.number, window, now))
        return ticket

    def transfer(
        self, window: int, now: float, *, to_service: str | None = None, to_window: int | None = None
    ) -> Ticket:
        """Sends the customer to another service or window, where the ticket waits again with priority."""
        ticket = self._current(window)
        if (to_service is None) == (to_window is None):
            raise QueueError("bad_transfer", "transfer to exactly one of: a service, a window")
        if to_service is not None:
            self._service_config(to_service)
        if to_window is not None:
            self._window_config(to_window)
            if to_window == window:
                raise QueueError("bad_transfer", "cannot transfer to the same window")
        # A ticket sent to a window keeps its service; that window calls it first among equals.
        target_service = to_service or ticket.service
        self._emit(Transferred(ticket.number, window, target_service, to_window, now))
        return ticket

    def finish(
        self,
        window: int,
        outcome: str,
        now: float,
        *,
        case_id: str | None = None,
        next_service: str | None = None,
    ) -> tuple[Ticket, RatingRequest | None]:
        """Ends the current service; with `next_service`, the same customer goes on at this window.

        Without `next_service` the ticket is finished and a rating request for the evaluator opens.
        """
        ticket = self._current(window)
        if ticket.state not in (TicketState.CALLED, TicketState.SERVING):
            raise QueueError("not_serving", f"{ticket.number} is {ticket.state}")
        if not outcome.strip():
            raise QueueError("bad_outcome", "finishing needs an outcome")
        if next_service is not None:
            self._service_config(next_service)
            if next_service == ticket.service:
                raise QueueError("bad_service", f"{ticket.number} is already at {next_service}")
        rating_id = None if next_service else new_rating_id("r")
        if rating_id is not None:
            # The evaluator asks about one customer at a time: an unanswered question about the last one ends.
            for request in list(self._pending.values()):
                if request.window == window:
                    self._emit(RatingTimedOut(request.rating_id, now))
        self._emit(
            Finished(
                ticket.number,
                window,
                outcome.strip()[:200],
                now,
                case_id=case_id,
                next_service=next_service,
                rating_id=rating_id,
            )
        )
        return ticket, (self.ratings[rating_id] if rating_id else None)

    def cancel(self, number: str, now: float, reason: str = "cancelled") -> Ticket:
        ticket = self.ticket(number)
        if ticket.state is not TicketState.WAITING:
            raise QueueError("not_waiting", f"{number} is {ticket.state}; only a waiting ticket is cancelled")
        self._emit(Cancelled(number, reason[:100], now))
        return ticket

    # ---------------------------------------------------------------- ratings

    def ask_kiosk_rating(self, case_id: str, now: float) -> RatingRequest:
        """A rating from the kiosk: one per matter (case)."""
        if not case_id.strip():
            raise QueueError("bad_case", "a kiosk rating needs the case id")
        if case_id in self.rated_cases or any(r.case_id == case_id for r in self._pending.values()):
            raise QueueError("already_rated", f"case {case_id} has been rated already")
        rating_id = new_rating_id("k")
        self._emit(RatingAsked(rating_id, case_id, now))
        return self.ratings[rating_id]

    def rate(
        self,
        rating_id: str,
        level: int,
        now: float,
        dimensions: dict[str, int] | None = None,
        comment: str = "",
    ) -> tuple[RatingRequest, FollowUp | None]:
        request = self.ratings.get(rating_id)
        if request is None:
            raise QueueError("unknown_rating", f"no rating request {rating_id!r}")
        if request.state is RatingState.RATED:
            raise QueueError("already_rated", f"rating {rating_id} has been given already")
        if request.state is RatingState.TIMED_OUT or now > request.expires_at:
            raise QueueError("rating_expired", f"rating {rating_id} timed out")
        try:
            if isinstance(level, bool):
                raise ValueError(level)
            parsed = RatingLevel(level)
        except ValueError as err:
            raise QueueError(
                "bad_level", f"a rating is 1 (非常不满意) to 5 (非常满意), not {level!r}"
            ) from err
        checked = _check_dimensions(dimensions or {})
        follow_up_id = f"f-{rating_id}" if is_bad(parsed) else None
        due = self._calendar.add_working_days(china_day(now), self.config.follow_up_working_days).date
        self._emit(
            Rated(
                rating_id,
                int(parsed),
                now,
                dimensions=checked,
                comment=comment.strip()[:500],
                follow_up_id=follow_up_id,
                due=due.isoformat() if follow_up_id else None,
            )
        )
        return request, (self.follow_ups[follow_up_id] if follow_up_id else None)

    def expire_ratings(self, now: float) -> list[RatingRequest]:
        expired = [request for request in self._pending.values() if now > request.expires_at]
        for request in expired:
            self._emit(RatingTimedOut(request.rating_id, now))
        return expired

    def record_callback(self, follow_up_id: str, note: str, now: float, *, close: bool = False) -> FollowUp:
        follow_up = self.follow_ups.get(follow_up_id)
        if follow_up is None:
            raise QueueError("unknown_follow_up", f"no follow-up {follow_up_id!r}")
        if follow_up.closed_at is not None:
            raise QueueError("follow_up_closed", f"follow-up {follow_up_id} is closed")
        if not note.strip():
            raise QueueError("bad_note", "a callback record needs a note")
        self._emit(Callback(follow_up_id, note.strip()[:500], close, now))
        return follow_up

    def open_follow_ups(self) -> list[FollowUp]:
        return [follow_up for follow_up in self.follow_ups.values() if follow_up.closed_at is None]

    # ---------------------------------------------------------------- day end

    def close_day(self, now: float) -> list[Ticket]:
        """Every ticket still open becomes expired; windows close. Returns the expired tickets."""
        still_open = [ticket for ticket in self.tickets.values() if not ticket.final]
        self._emit(DayClosed(now))
        return still_open

    # ---------------------------------------------------------------- apply

    def _apply(self, event: QueueEvent) -> None:
        at = event.at
        match event:
            case SignedIn():
                self._apply_signed_in(event, at)
            case SignedOut():
                self._apply_signed_out(event, at)
            case Paused():
                self._apply_paused(event, at)
            case Resumed():
                self._apply_resumed(event, at)
            case Issued():
                self._apply_issued(event, at)
            case Called():
                self._apply_called(event, at)
            case Recalled():
                self._apply_recalled(event, at)
            case Started():
                self._apply_started(event, at)
            case NoShow():
                self._apply_no_show(event, at)
            case Transferred():
                self._apply_transferred(event, at)
            case Finished():
                self._apply_finished(event, at)
            case Cancelled():
                self._apply_cancelled(event, at)
            case RatingAsked():
                self._apply_rating_asked(event, at)
            case Rated():
                self._apply_rated(event, at)
            case RatingTimedOut():
                self._apply_rating_timed_out(event, at)
            case Callback():
                self._apply_callback(event, at)
            case DayClosed():
                self._apply_day_closed(event, at)
            case _:
                assert_never(event)
        self._index_waiting(event)
        self.sequence += 1
        self.last_at = max(self.last_at, at)

    def _index_waiting(self, event: QueueEvent) -> None:
        """Brings `_waiting` and `_queue` in step with the event just applied: only the event's own ticket
        changes state, except at the day's close; a call also counts the tickets it overtook."""
        number = getattr(event, "number", None)
        if isinstance(event, DayClosed):
            self._waiting = {}
            self._queue = WaitingIndex(self.config)
        elif isinstance(number, str) and number in self.tickets:
            ticket = self.tickets[number]
            if ticket.state is not TicketState.WAITING:
                self._waiting.pop(number, None)
                self._queue.remove(number)
            elif number not in self._waiting:
                self._queue.add(ticket.candidate())
                if number == next(reversed(self.tickets)):
                    self._waiting[number] = ticket  # just issued: the last ticket, the last waiting
                else:  # waiting again (a transfer): its place is its place among the day's tickets
                    self._waiting = {
                        key: other
                        for key, other in self.tickets.items()
                        if other.state is TicketState.WAITING
                    }
            if isinstance(event, Called):
                for key in event.overtaken:
                    self._queue.update(self.tickets[key].candidate())

    def _apply_signed_in(self, event: SignedIn, at: float) -> None:
        window = self.windows[event.window]
        window.clerk = event.clerk
        window.opened_at = at

    def _apply_signed_out(self, event: SignedOut, at: float) -> None:
        window = self.windows[event.window]
        _close_pause(window, at)
        if window.opened_at is not None:
            window.open_seconds += at - window.opened_at
        window.clerk = None
        window.opened_at = None

    def _apply_paused(self, event: Paused, at: float) -> None:
        window = self.windows[event.window]
        window.paused = event.reason
        window.paused_at = at

    def _apply_resumed(self, event: Resumed, at: float) -> None:
        _close_pause(self.windows[event.window], at)

    def _apply_issued(self, event: Issued, at: float) -> None:
        seq = next(self._entry_seq)
        self.issued[event.service] += 1
        self.tickets[event.number] = Ticket(
            number=event.number,
            service=event.service,
            priority=event.priority,
            source=event.source,
            issued_at=at,
            entered_at=at,
            entry_seq=seq,
            person=event.person,
            case_id=event.case_id,
            appointment_id=event.appointment_id,
            estimate_minutes=event.estimate_minutes,
        )

    def _apply_called(self, event: Called, at: float) -> None:
        ticket = self.tickets[event.number]
        for key in event.overtaken:
            self.tickets[key].overtaken += 1
        ticket.state = TicketState.CALLED
        ticket.window = event.window
        ticket.pinned_window = None
        ticket.waits.append((ticket.service, ticket.entered_at, at))
        ticket.visits.append(Visit(ticket.service, event.window, event.clerk, called_at=at))
        self.windows[event.window].ticket = ticket.number
        self.windows[event.window].busy_since = at
        times = self.call_times[ticket.service]
        times.append(at)
        while times and times[0] < at - THROUGHPUT_MINUTES * 60:
            times.popleft()
        self.calls.append(CallRecord(self.sequence + 1, ticket.number, event.window, False, at))

    def _apply_recalled(self, event: Recalled, at: float) -> None:
        self.tickets[event.number].recalls += 1
        self.calls.append(CallRecord(self.sequence + 1, event.number, event.window, True, at))

    def _apply_started(self, event: Started, at: float) -> None:
        ticket = self.tickets[event.number]
        ticket.state = TicketState.SERVING
        ticket.visits[-1].started_at = at

    def _apply_no_show(self, event: NoShow, at: float) -> None:
        ticket = self.tickets[event.number]
        ticket.state = TicketState.NO_SHOW
        ticket.ended_at = at
        ticket.visits[-1].finished_at = at
        ticket.visits[-1].outcome = "no_show"
        self._release_window(event.window, at)

    def _apply_transferred(self, event: Transferred, at: float) -> None:
        ticket = self.tickets[event.number]
        visit = ticket.visits[-1]
        visit.finished_at = at
        visit.outcome = "transferred"
        self._release_window(event.window, at)
        ticket.state = TicketState.WAITING
        ticket.service = event.to_service
        ticket.priority = Priority.RETURNING
        ticket.pinned_window = event.to_window
        ticket.entered_at = at
        ticket.overtaken = 0
        ticket.window = None
        ticket.recalls = 0
        # The customer returns with priority, but joins the order of waiting at the end.
        ticket.entry_seq = next(self._entry_seq)

    def _apply_finished(self, event: Finished, at: float) -> None:
        ticket = self.tickets[event.number]
        visit = ticket.visits[-1]
        visit.finished_at = at
        visit.outcome = event.outcome
        started = visit.started_at if visit.started_at is not None else visit.called_at
        self.service_seconds[visit.service].append(at - started)
        if event.case_id:
            ticket.case_id = event.case_id
        if event.next_service:
            ticket.service = event.next_service
            ticket.state = TicketState.SERVING
            ticket.visits.append(
                Visit(ticket.service, visit.window, visit.clerk, called_at=at, started_at=at)
            )
            return
        ticket.state = TicketState.FINISHED
        ticket.ended_at = at
        self._release_window(event.window, at)
        rating_id = event.rating_id
        if rating_id:
            self.ratings[rating_id] = RatingRequest(
                rating_id=rating_id,
                ticket=ticket.number,
                case_id=ticket.case_id,
                clerk=visit.clerk,
                window=visit.window,
                channel="evaluator",
                asked_at=at,
                expires_at=at + self.config.rating_timeout_seconds,
            )
            self._pending[rating_id] = self.ratings[rating_id]

    def _apply_cancelled(self, event: Cancelled, at: float) -> None:
        ticket = self.tickets[event.number]
        ticket.state = TicketState.CANCELLED
        ticket.ended_at = at

    def _apply_rating_asked(self, event: RatingAsked, at: float) -> None:
        self.ratings[event.rating_id] = RatingRequest(
            rating_id=event.rating_id,
            ticket=None,
            case_id=event.case_id,
            clerk=None,
            window=None,
            channel="kiosk",
            asked_at=at,
            expires_at=at + self.config.rating_timeout_seconds,
        )
        self._pending[event.rating_id] = self.ratings[event.rating_id]

    def _apply_rated(self, event: Rated, at: float) -> None:
        request = self.ratings[event.rating_id]
        request.state = RatingState.RATED
        self._pending.pop(event.rating_id, None)
        request.level = RatingLevel(event.level)
        request.dimensions = dict(event.dimensions)
        request.comment = event.comment
        request.rated_at = at
        if request.case_id:
            self.rated_cases.add(request.case_id)
        if event.follow_up_id and event.due:
            self.follow_ups[event.follow_up_id] = FollowUp(
                follow_up_id=event.follow_up_id,
                rating_id=request.rating_id,
                opened_at=at,
                due=event.due,
            )

    def _apply_rating_timed_out(self, event: RatingTimedOut, _at: float) -> None:
        self.ratings[event.rating_id].state = RatingState.TIMED_OUT
        self._pending.pop(event.rating_id, None)

    def _apply_callback(self, event: Callback, at: float) -> None:
        follow_up = self.follow_ups[event.follow_up_id]
        follow_up.callbacks.append({"note": event.note, "at": at})
        if event.close:
            follow_up.closed_at = at

    def _apply_day_closed(self, _event: DayClosed, at: float) -> None:
        for ticket in self.tickets.values():
            if not ticket.final:
                if ticket.visits and ticket.visits[-1].finished_at is None:
                    ticket.visits[-1].finished_at = at
                    ticket.visits[-1].outcome = "expired"
                ticket.state = TicketState.EXPIRED
                ticket.ended_at = at
        for window in self.windows.values():
            if window.ticket is not None:
                self._release_window(window.number, at)
            if window.open:
                _close_pause(window, at)
                if window.opened_at is not None:
                    window.open_seconds += at - window.opened_at
                window.clerk = None
                window.opened_at = None

    def _release_window(self, number: int, at: float) -> None:
        window = self.windows[number]
        window.ticket = None
        if window.busy_since is not None:
            window.busy_seconds += at - window.busy_since
        window.busy_since = None


def _close_pause(window: Window, at: float) -> None:
    if window.paused_at is not None:
        window.paused_seconds += at - window.paused_at
    window.paused = None
    window.paused_at = None


def _check_dimensions(dimensions: dict[str, int]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, value in dimensions.items():
        try:
            dimension = Dimension(name)
        except ValueError as err:
            known = ", ".join(d.value for d in Dimension)
            raise QueueError("bad_dimension", f"unknown dimension {name!r}; known: {known}") from err
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise QueueError("bad_level", f"dimension {name} takes 1 to 5, not {value!r}")
        checked[dimension.value] = value
    return checked
