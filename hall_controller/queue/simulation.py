"""A simulated day of the queue, to measure the wait-time estimate's error. Pure: seeded randomness only.

Customers arrive at random (Poisson) for each service through the issuing hours; every window calls the
next ticket as soon as it is free; service times are drawn around each service's *true* mean, which the
configuration does not know (its prior differs on purpose). For every ticket the estimate printed on it
is compared with the wait it really had, and so is a naive estimate that ignores live service rates
(ahead × the configured prior ÷ the number of windows serving the service).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import QueueBook, TicketState
from hall_controller.queue.config import Priority, QueueConfig, demo_config
from hall_controller.queue.estimate import mean_absolute_error
from hall_controller.queue.events import Source

STEP_SECONDS = 5.0


@dataclass(frozen=True)
class DayPlan:
    day: date = date(2026, 11, 23)
    opens: time = time(8, 30)
    last_ticket: time = time(11, 30)
    # arrivals per hour, and the true mean service minutes, per service
    arrivals_per_hour: tuple[tuple[str, float], ...] = (
        ("business", 14.0),
        ("social", 22.0),
        ("permits", 9.0),
    )
    true_service_minutes: tuple[tuple[str, float], ...] = (
        ("business", 12.0),
        ("social", 5.0),
        ("permits", 18.0),
    )
    priority_share: float = 0.1
    no_show_share: float = 0.04
    seed: int = 6


@dataclass
class DayResult:
    book: QueueBook
    estimate_pairs: list[tuple[float, float]] = field(default_factory=list)  # (estimated, actual) minutes
    naive_pairs: list[tuple[float, float]] = field(default_factory=list)

    @property
    def mae_minutes(self) -> float:
        return mean_absolute_error(self.estimate_pairs)

    @property
    def naive_mae_minutes(self) -> float:
        return mean_absolute_error(self.naive_pairs)


def simulate_day(config: QueueConfig | None = None, plan: DayPlan | None = None) -> DayResult:
    config = config or demo_config()
    plan = plan or DayPlan()
    rng = random.Random(plan.seed)  # noqa: S311 - a reproducible simulation, not a secret
    book = QueueBook(config, plan.day)
    opens = datetime.combine(plan.day, plan.opens, CHINA_TZ).timestamp()
    last = datetime.combine(plan.day, plan.last_ticket, CHINA_TZ).timestamp()
    true_minutes = dict(plan.true_service_minutes)
    naive: dict[str, float] = {}
    for window in config.windows:
        book.sign_in(window.number, f"clerk-{window.number}", opens)
    busy_until: dict[int, float] = {}
    now = opens
    while now < last or book.waiting() or busy_until:
        if now < last:
            for service, per_hour in plan.arrivals_per_hour:
                if rng.random() < per_hour * STEP_SECONDS / 3600:
                    _arrive(book, rng, plan=plan, config=config, service=service, now=now, naive=naive)
        for window in config.windows:
            _work(
                book,
                rng,
                plan=plan,
                true_minutes=true_minutes,
                window=window.number,
                now=now,
                busy_until=busy_until,
            )
        now += STEP_SECONDS
    result = DayResult(book)
    for ticket in book.tickets.values():
        if not ticket.waits or ticket.estimate_minutes is None:
            continue
        _service, joined, called = ticket.waits[0]
        actual = (called - joined) / 60
        result.estimate_pairs.append((ticket.estimate_minutes, actual))
        result.naive_pairs.append((naive[ticket.number], actual))
    return result


def _arrive(
    book: QueueBook,
    rng: random.Random,
    *,
    plan: DayPlan,
    config: QueueConfig,
    service: str,
    now: float,
    naive: dict[str, float],
) -> None:
    priority = Priority.ELDERLY if rng.random() < plan.priority_share else Priority.ORDINARY
    ahead = book.waiting_count(service)
    ticket = book.issue(service, now, source=Source.WINDOW, priority=priority)
    settings = config.service(service)
    assert settings is not None
    servers = sum(1 for window in config.windows if service in window.services)
    naive[ticket.number] = ahead * settings.prior_service_minutes / servers


def _work(
    book: QueueBook,
    rng: random.Random,
    *,
    plan: DayPlan,
    true_minutes: dict[str, float],
    window: int,
    now: float,
    busy_until: dict[int, float],
) -> None:
    if window in busy_until:
        if now < busy_until[window]:
            return
        current = book.windows[window].ticket
        if current is not None and book.tickets[current].state is TicketState.CALLED:
            book.no_show(window, now)
        elif current is not None:
            book.finish(window, "办结", now)
        del busy_until[window]
    ticket = book.call_next(window, now)
    if ticket is None:
        return
    if rng.random() < plan.no_show_share:
        busy_until[window] = now + 60  # waits a minute for the customer, then marks the no-show
        return
    book.start(window, now)
    minutes = rng.expovariate(1 / true_minutes[ticket.service]) * 0.5 + true_minutes[ticket.service] * 0.5
    busy_until[window] = now + minutes * 60
