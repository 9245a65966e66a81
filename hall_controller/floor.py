"""The manager's floor view: every window (open / serving / paused / closed, who, since when), the lockers
by state (free / occupied / fault / unknown, with where each is, its size, whether a result is being put in
or awaits pickup, and the results left past the pickup period), and the day's queue figures.

The dashboard's one place for the lockers: the lockers extension has no panel of its own.

The reading rules are pure functions over the queue's book and the locker rows (`window_floor`,
`locker_floor`, `day_figures`); `floor_snapshot` gathers them from the controller's extensions for
``GET /api/v1/dashboard/floor`` (managers only: it names the clerks).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hall_controller.lockers.repository import Compartment, RepositoryError
from hall_controller.queue.book import QueueBook, TicketState
from hall_controller.queue.stats import statistics

if TYPE_CHECKING:
    from hall_controller.controller import HallController

log = logging.getLogger(__name__)


class WindowState(StrEnum):
    CLOSED = "closed"  # nobody signed in
    OPEN = "open"  # signed in, free to call
    SERVING = "serving"  # a ticket called or being served
    PAUSED = "paused"


WINDOW_LABELS = {
    WindowState.CLOSED: "未开放 closed",
    WindowState.OPEN: "空闲 open",
    WindowState.SERVING: "办理中 serving",
    WindowState.PAUSED: "暂停 paused",
}


class LockerState(StrEnum):
    FREE = "free"
    OCCUPIED = "occupied"  # a result in it, or being put in
    FAULT = "fault"
    UNKNOWN = "unknown"  # the bank's state and the controller's record disagree: to be checked on site


LOCKER_LABELS = {
    LockerState.FREE: "空闲 free",
    LockerState.OCCUPIED: "占用 occupied",
    LockerState.FAULT: "故障 fault",
    LockerState.UNKNOWN: "待核实 unknown",
}
# The locker repository's compartment states as the floor counts them.
_LOCKER_STATES = {
    "free": LockerState.FREE,
    "reserved": LockerState.OCCUPIED,
    "occupied": LockerState.OCCUPIED,
    "fault": LockerState.FAULT,
    "unknown": LockerState.UNKNOWN,
}
# And as each compartment's row says it (the finer state).
COMPARTMENT_LABELS = {
    "free": "空闲 free",
    "reserved": "存件中 depositing",
    "occupied": "待取件 awaiting pickup",
    "fault": "故障 fault",
    "unknown": "待核实 unknown",
}


@dataclass(frozen=True)
class WindowView:
    number: int
    state: str
    label: str
    clerk: str | None
    since: float | None  # when the window entered its state (epoch seconds)
    seconds: int | None  # how long it has been in it
    ticket: str | None
    reason: str | None  # a pause's reason


def window_floor(book: QueueBook, now: float) -> list[WindowView]:
    """Every window of the hall's configuration, by number."""
    views = []
    for number, window in sorted(book.windows.items()):
        ticket = book.tickets.get(window.ticket) if window.ticket else None
        busy = ticket is not None and ticket.state in (TicketState.CALLED, TicketState.SERVING)
        if window.clerk is None:
            state, since = WindowState.CLOSED, None
        elif window.paused is not None:
            state, since = WindowState.PAUSED, window.paused_at
        elif busy:
            state, since = WindowState.SERVING, window.busy_since
        else:
            state, since = WindowState.OPEN, window.opened_at
        views.append(
            WindowView(
                number=number,
                state=state.value,
                label=WINDOW_LABELS[state],
                clerk=window.clerk,
                since=since,
                seconds=None if since is None else max(0, int(now - since)),
                ticket=window.ticket if busy else None,
                reason=window.paused if state is WindowState.PAUSED else None,
            )
        )
    return views


def locker_state(state: str) -> LockerState:
    return _LOCKER_STATES.get(state, LockerState.UNKNOWN)


def locker_floor(
    compartments: Iterable[Compartment], places: Mapping[str, str], uncollected: Collection[str] = ()
) -> dict[str, Any]:
    """The count per state (every state listed), the results left past the pickup period (`uncollected`:
    their deposit ids), and every compartment that is not free, with its bank, the bank's place in the hall
    (`places`: the bank's `location` attribute, else its id), number, size and finer state."""
    counts: Counter[str] = Counter()
    listed = []
    for compartment in compartments:
        state = locker_state(compartment.state)
        counts[state.value] += 1
        if state is not LockerState.FREE:
            listed.append(
                {
                    "bank": compartment.bank_id,
                    "place": places.get(compartment.bank_id, compartment.bank_id),
                    "number": compartment.number,
                    "size": compartment.size.name,
                    "state": state.value,
                    "label": LOCKER_LABELS[state],
                    "detail": COMPARTMENT_LABELS.get(compartment.state, LOCKER_LABELS[state]),
                    "uncollected": (compartment.deposit_id or "") in uncollected,
                }
            )
    listed.sort(key=lambda row: (row["bank"], row["number"]))
    return {
        "counts": {state.value: counts[state.value] for state in LockerState},
        "labels": {state.value: label for state, label in LOCKER_LABELS.items()},
        "uncollected": sum(row["uncollected"] for row in listed),
        "compartments": listed,
        "unavailable": False,
    }


def day_figures(book: QueueBook, now: float) -> dict[str, Any]:
    """The day's queue so far: tickets issued, served, not served (no-show, cancelled), waiting now, the
    mean wait and service in minutes, the windows open now."""
    everything = next(row for row in statistics(book, now) if row.group == "all")
    return {
        "day": book.day.isoformat(),
        "issued": everything.issued,
        "served": everything.served,
        "abandoned": everything.abandoned,
        "waiting": len(book.waiting()),
        "mean_wait_min": everything.mean_wait_min,
        "mean_service_min": everything.mean_service_min,
        "windows_open": sum(1 for window in book.windows.values() if window.open),
    }


def floor_snapshot(controller: HallController) -> dict[str, Any]:
    """The floor view from the queue and locker extensions; a part whose extension is not running is
    None, the lockers ``{"unavailable": true}`` when their database does not answer (the page says so)."""
    context = controller.context
    answer: dict[str, Any] = {"windows": None, "day": None, "lockers": None}
    queue: Any = context.extension("queue")
    if queue is not None:
        now = queue.service.now()
        answer["windows"] = [asdict(view) for view in queue.service.read(lambda b: window_floor(b, now))]
        answer["day"] = queue.service.read(lambda book: day_figures(book, now))
    lockers: Any = context.extension("lockers")
    if lockers is not None and lockers.repository is not None and lockers.service is not None:
        places = {}
        for record in context.registry.snapshot():
            location = record.description.attributes.get("location") if record.description else None
            if location:
                places[record.device_id] = str(location)
        try:
            overdue = {deposit.id for deposit in lockers.service.uncollected()}
            answer["lockers"] = locker_floor(lockers.repository.compartments(), places, overdue)
        except RepositoryError:
            log.warning("floor view: the locker database is unavailable")
            answer["lockers"] = {"unavailable": True}
    return answer
