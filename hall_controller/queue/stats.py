"""Queue statistics: waiting, service and idle times, abandonment — per service, window, clerk and hour.

Pure functions over a `QueueBook`'s tickets and windows; `to_csv` renders rows for the manager's export.
Times are reported in minutes. Abandonment counts tickets that never got served: no-shows, cancellations,
and tickets still open at day end.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import QueueBook, Ticket, TicketState

ABANDONED = frozenset({TicketState.NO_SHOW, TicketState.CANCELLED, TicketState.EXPIRED})


@dataclass(frozen=True)
class StatsRow:
    group: str  # "service", "window", "clerk", "hour" or "all"
    key: str
    issued: int
    served: int
    abandoned: int
    mean_wait_min: float
    max_wait_min: float
    mean_service_min: float
    busy_min: float
    idle_min: float


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def _row(group: str, key: str, tickets: list[Ticket], waits: list[float], services: list[float]) -> StatsRow:
    return StatsRow(
        group=group,
        key=key,
        issued=len(tickets),
        served=sum(1 for ticket in tickets if ticket.state is TicketState.FINISHED),
        abandoned=sum(1 for ticket in tickets if ticket.state in ABANDONED),
        mean_wait_min=_mean(waits),
        max_wait_min=round(max(waits), 2) if waits else 0.0,
        mean_service_min=_mean(services),
        busy_min=round(sum(services), 2),
        idle_min=0.0,
    )


def _service_minutes(book: QueueBook) -> list[tuple[Ticket, str, int, str, float]]:
    """(ticket, service, window, clerk, minutes) for every completed visit."""
    rows = []
    for ticket in book.tickets.values():
        for visit in ticket.visits:
            if visit.finished_at is None or visit.outcome in (None, "no_show", "expired"):
                continue
            started = visit.started_at if visit.started_at is not None else visit.called_at
            rows.append(
                (ticket, visit.service, visit.window, visit.clerk, (visit.finished_at - started) / 60)
            )
    return rows


def statistics(book: QueueBook, now: float) -> list[StatsRow]:
    tickets = list(book.tickets.values())
    visits = _service_minutes(book)
    rows = [
        _row(
            "all",
            "all",
            tickets,
            [(called - joined) / 60 for ticket in tickets for _s, joined, called in ticket.waits],
            [minutes for *_, minutes in visits],
        )
    ]
    for service in book.config.services:
        mine = [ticket for ticket in tickets if ticket.issued_service == service.code]
        waits = [
            (called - joined) / 60
            for ticket in tickets
            for code, joined, called in ticket.waits
            if code == service.code
        ]
        services = [minutes for _t, code, *_rest, minutes in visits if code == service.code]
        rows.append(_row("service", service.code, mine, waits, services))
    for number, window in sorted(book.windows.items()):
        served = [entry for entry in visits if entry[2] == number]
        row = _row("window", str(number), [], [], [entry[4] for entry in served])
        open_seconds = window.open_seconds + (now - window.opened_at if window.opened_at is not None else 0)
        busy = window.busy_seconds + (now - window.busy_since if window.busy_since is not None else 0)
        paused = window.paused_seconds + (now - window.paused_at if window.paused_at is not None else 0)
        idle = max(0.0, open_seconds - busy - paused) / 60
        rows.append(_with(row, served=len(served), busy_min=round(busy / 60, 2), idle_min=round(idle, 2)))
    by_clerk: dict[str, list[float]] = defaultdict(list)
    for _ticket, _code, _window, clerk, minutes in visits:
        by_clerk[clerk].append(minutes)
    for clerk, durations in sorted(by_clerk.items()):
        rows.append(_with(_row("clerk", clerk, [], [], durations), served=len(durations)))
    by_hour: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        by_hour[datetime.fromtimestamp(ticket.issued_at, CHINA_TZ).hour].append(ticket)
    for hour, group in sorted(by_hour.items()):
        waits = [(called - joined) / 60 for ticket in group for _s, joined, called in ticket.waits[:1]]
        rows.append(_row("hour", f"{hour:02d}:00", group, waits, []))
    return rows


def _with(row: StatsRow, **changes: float | int) -> StatsRow:
    values = asdict(row)
    values.update(changes)
    return StatsRow(**values)


def to_csv(rows: Iterable[StatsRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([field.name for field in fields(StatsRow)])
    for row in rows:
        writer.writerow(astuple_row(row))
    return buffer.getvalue()


def astuple_row(row: StatsRow) -> list[str | int | float]:
    return [getattr(row, field.name) for field in fields(StatsRow)]
