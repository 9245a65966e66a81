"""Queue figures over any range of days, from the days' books (replayed from the controller's journals).

Pure: books in, rows out. Per group (all, service, window, clerk, hour of day, day):
tickets issued, served and no-shows; waits (every wait a ticket did, a transfer waits again): mean, p90
(nearest rank) and the share over the hall's target; service times (each visit from its start, or its
call, to its end): mean and p90; and the wait estimate's error: the mean absolute difference, in minutes,
between the estimate printed on the ticket and the ticket's first wait. Window and clerk rows count the
visits and the waits that ended at that window or with that clerk; ticket counts are per service, hour
and day (the service the ticket was issued for, the hour it was issued).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import QueueBook, TicketState

GROUPS = ("all", "service", "window", "clerk", "hour", "day")


@dataclass(frozen=True, slots=True)
class _Wait:
    day: str
    service: str
    hour: str
    window: str | None
    clerk: str | None
    minutes: float


@dataclass(frozen=True, slots=True)
class _Visit:
    window: str
    clerk: str
    minutes: float | None  # None: a no-show
    no_show: bool


@dataclass(frozen=True, slots=True)
class _Ticket:
    day: str
    service: str
    hour: str
    served: bool
    no_show: bool
    estimate_error: float | None


@dataclass(frozen=True)
class RangeRow:
    group: str
    key: str
    tickets: int
    served: int
    no_shows: int
    waits: int
    mean_wait_min: float | None
    p90_wait_min: float | None
    over_target_share: float | None
    visits: int
    mean_service_min: float | None
    p90_service_min: float | None
    estimate_error_min: float | None
    # A service row's names (Chinese, English) from the hall's queue configuration; None for the other
    # groups, and for a code the configuration no longer has.
    name: str | None = None
    name_en: str | None = None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    return round(sorted(values)[math.ceil(0.9 * len(values)) - 1], 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _hour(at: float) -> str:
    return f"{datetime.fromtimestamp(at, CHINA_TZ).hour:02d}:00"


def _flatten(books: Iterable[QueueBook]) -> tuple[list[_Ticket], list[_Wait], list[_Visit]]:
    tickets, waits, visits = [], [], []
    for book in books:
        day = book.day.isoformat()
        for ticket in book.tickets.values():
            by_call = {visit.called_at: visit for visit in ticket.visits}
            for service, joined, called in ticket.waits:
                visit = by_call.get(called)
                waits.append(
                    _Wait(
                        day,
                        service,
                        _hour(joined),
                        str(visit.window) if visit else None,
                        visit.clerk if visit else None,
                        (called - joined) / 60,
                    )
                )
            error = None
            if ticket.waits and ticket.estimate_minutes is not None:
                _service, joined, called = ticket.waits[0]
                error = abs((called - joined) / 60 - ticket.estimate_minutes)
            tickets.append(
                _Ticket(
                    day,
                    ticket.issued_service,
                    _hour(ticket.issued_at),
                    ticket.state is TicketState.FINISHED,
                    ticket.state is TicketState.NO_SHOW,
                    error,
                )
            )
            for visit in ticket.visits:
                if visit.outcome == "no_show":
                    visits.append(_Visit(str(visit.window), visit.clerk, None, no_show=True))
                elif visit.finished_at is not None and visit.outcome not in (None, "expired"):
                    began = visit.started_at if visit.started_at is not None else visit.called_at
                    visits.append(
                        _Visit(
                            str(visit.window), visit.clerk, (visit.finished_at - began) / 60, no_show=False
                        )
                    )
    return tickets, waits, visits


def service_names(books: Iterable[QueueBook]) -> dict[str, tuple[str, str]]:
    """Each service code's (Chinese, English) name, the latest day's configuration winning."""
    return {
        service.code: (service.name, service.name_en) for book in books for service in book.config.services
    }


def range_statistics(books: Iterable[QueueBook], target_minutes: float) -> list[RangeRow]:
    books = list(books)
    names = service_names(books)
    tickets, waits, visits = _flatten(books)
    keys: dict[
        str,
        tuple[Callable[[_Ticket], str] | None, Callable[[_Wait], str | None], Callable[[_Visit], str] | None],
    ] = {
        "all": (lambda t: "all", lambda w: "all", lambda v: "all"),
        "service": (lambda t: t.service, lambda w: w.service, None),
        "window": (None, lambda w: w.window, lambda v: v.window),
        "clerk": (None, lambda w: w.clerk, lambda v: v.clerk),
        "hour": (lambda t: t.hour, lambda w: w.hour, None),
        "day": (lambda t: t.day, lambda w: w.day, None),
    }
    rows = []
    for group in GROUPS:
        of_ticket, of_wait, of_visit = keys[group]
        ticket_groups: dict[str, list[_Ticket]] = defaultdict(list)
        wait_groups: dict[str, list[float]] = defaultdict(list)
        visit_groups: dict[str, list[_Visit]] = defaultdict(list)
        if of_ticket is not None:
            for ticket in tickets:
                ticket_groups[of_ticket(ticket)].append(ticket)
        for wait in waits:
            key = of_wait(wait)
            if key is not None:
                wait_groups[key].append(wait.minutes)
        if of_visit is not None:
            for visit in visits:
                visit_groups[of_visit(visit)].append(visit)
        for key in sorted({*ticket_groups, *wait_groups, *visit_groups}):
            mine, minutes, seen = (
                ticket_groups.get(key, []),
                wait_groups.get(key, []),
                visit_groups.get(key, []),
            )
            served_minutes = [visit.minutes for visit in seen if visit.minutes is not None]
            errors = [ticket.estimate_error for ticket in mine if ticket.estimate_error is not None]
            by_ticket = of_ticket is not None
            name, name_en = names.get(key, (None, None)) if group == "service" else (None, None)
            rows.append(
                RangeRow(
                    group=group,
                    key=key,
                    tickets=len(mine),
                    served=sum(t.served for t in mine) if by_ticket else len(served_minutes),
                    no_shows=sum(t.no_show for t in mine) if by_ticket else sum(v.no_show for v in seen),
                    waits=len(minutes),
                    mean_wait_min=_mean(minutes),
                    p90_wait_min=_p90(minutes),
                    over_target_share=round(sum(m > target_minutes for m in minutes) / len(minutes), 4)
                    if minutes
                    else None,
                    visits=len(seen),
                    mean_service_min=_mean(served_minutes),
                    p90_service_min=_p90(served_minutes),
                    estimate_error_min=_mean(errors),
                    name=name,
                    name_en=name_en,
                )
            )
    return rows
