"""Queue ordering: priority classes, weights, pinned transfers, and the no-starvation bound."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import Priority, QueueConfig, WindowConfig, demo_config
from hall_controller.queue.events import Source
from hall_controller.queue.ordering import Candidate, choose_next, overtaken_by

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ).timestamp()
WINDOW = WindowConfig(number=1, services={"a": 2, "b": 1})


def config(**overrides: object) -> QueueConfig:
    return demo_config().model_copy(update=overrides)


def candidate(key: str, seq: int, priority: Priority = Priority.ORDINARY, **kw: object) -> Candidate:
    values: dict[str, object] = {
        "service": "a",
        "entered_at": T0 + seq,
        "overtaken": 0,
        "pinned_window": None,
    }
    values.update(kw)
    return Candidate(key=key, priority=priority, entry_seq=seq, **values)  # type: ignore[arg-type]


def test_priority_classes_go_first_in_the_configured_order() -> None:
    waiting = [
        candidate("A1", 1),
        candidate("A2", 2, Priority.ELDERLY),
        candidate("A3", 3, Priority.GREEN_CHANNEL),
        candidate("A4", 4, Priority.MILITARY),
    ]
    chosen = choose_next(waiting, WINDOW, config(), T0 + 10)
    assert chosen is not None and chosen.key == "A3"
    reordered = config(
        priority_order=(
            Priority.ELDERLY,
            Priority.GREEN_CHANNEL,
            Priority.RETURNING,
            Priority.APPOINTMENT,
            Priority.MILITARY,
            Priority.DISABLED,
            Priority.PREGNANT,
            Priority.ORDINARY,
        )
    )
    chosen = choose_next(waiting, WINDOW, reordered, T0 + 10)
    assert chosen is not None and chosen.key == "A2"


def test_window_prefers_its_heavier_service_then_the_oldest() -> None:
    waiting = [candidate("B1", 1, service="b"), candidate("A2", 2), candidate("A3", 3)]
    chosen = choose_next(waiting, WINDOW, config(), T0 + 10)
    assert chosen is not None and chosen.key == "A2"


def test_window_ignores_services_it_does_not_serve_and_tickets_pinned_elsewhere() -> None:
    waiting = [candidate("C1", 1, service="c"), candidate("A2", 2, pinned_window=4)]
    assert choose_next(waiting, WINDOW, config(), T0 + 10) is None
    pinned_here = [candidate("C1", 1, service="c", pinned_window=1)]
    chosen = choose_next(pinned_here, WINDOW, config(), T0 + 10)
    assert chosen is not None and chosen.key == "C1"


def test_an_overtaken_ordinary_ticket_becomes_due_and_beats_priorities() -> None:
    limit = config().overtake_limit
    waiting = [candidate("A1", 1, overtaken=limit), candidate("A2", 2, Priority.GREEN_CHANNEL)]
    chosen = choose_next(waiting, WINDOW, config(), T0 + 10)
    assert chosen is not None and chosen.key == "A1"
    waiting = [candidate("A1", 1, overtaken=limit - 1), candidate("A2", 2, Priority.GREEN_CHANNEL)]
    chosen = choose_next(waiting, WINDOW, config(), T0 + 10)
    assert chosen is not None and chosen.key == "A2"


def test_a_long_wait_makes_a_ticket_due() -> None:
    waiting = [candidate("A1", 1), candidate("A2", 2, Priority.GREEN_CHANNEL)]
    later = T0 + 1 + config().max_wait_minutes * 60
    chosen = choose_next(waiting, WINDOW, config(), later)
    assert chosen is not None and chosen.key == "A1"


def test_overtaken_counts_only_older_tickets_the_window_could_serve() -> None:
    waiting = [
        candidate("A1", 1),
        candidate("C2", 2, service="c"),
        candidate("A3", 3, Priority.ELDERLY),
        candidate("A4", 4),
    ]
    assert overtaken_by(waiting[2], waiting, WINDOW) == ["A1"]


PRIORITIES = st.sampled_from(list(Priority))
SERVICES = st.sampled_from(["business", "social", "permits"])
STEP = st.one_of(
    st.tuples(st.just("issue"), SERVICES, PRIORITIES),
    st.tuples(st.just("call"), st.integers(min_value=1, max_value=6), st.just(Priority.ORDINARY)),
)


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=120), limit=st.integers(min_value=0, max_value=4))
@example(
    steps=[("issue", "social", Priority.ORDINARY)]
    + [("issue", "social", Priority.ELDERLY)] * 3
    + [("call", 3, Priority.ORDINARY)] * 4,
    limit=1,
)
def test_no_ticket_is_ever_overtaken_more_than_the_limit(
    steps: list[tuple[str, object, Priority]], limit: int
) -> None:
    """Independent check of the bound: count, from the call log alone, how often each ticket was passed."""
    book = QueueBook(config(overtake_limit=limit, max_wait_minutes=10_000), DAY)
    for number in range(1, 7):
        book.sign_in(number, f"clerk-{number}", T0)
    joined: dict[str, int] = {}
    passed: dict[str, int] = {}
    waiting: set[str] = set()
    now = T0
    for action, target, priority in steps:
        now += 1
        if action == "issue":
            ticket = book.issue(str(target), now, source=Source.WINDOW, priority=priority)
            joined[ticket.number] = len(joined)
            passed[ticket.number] = 0
            waiting.add(ticket.number)
            continue
        window = int(str(target))
        called = book.call_next(window, now)
        if called is None:
            continue
        served = book.config.window(window)
        assert served is not None
        for other in waiting:
            older = other != called.number and joined[other] < joined[called.number]
            if older and book.tickets[other].service in served.services:
                passed[other] += 1
        waiting.discard(called.number)
        book.finish(window, "done", now)
    assert all(count <= limit for count in passed.values()), passed


@settings(max_examples=60, deadline=None)
@given(
    priorities=st.lists(PRIORITIES, min_size=1, max_size=60),
    limit=st.integers(min_value=0, max_value=3),
)
def test_an_ordinary_ticket_is_called_within_its_bound_under_a_stream_of_priorities(
    priorities: list[Priority], limit: int
) -> None:
    """One window; an ordinary ticket arrives behind `ahead` others while priority tickets keep coming:
    it is called after at most ahead + limit calls."""
    book = QueueBook(config(overtake_limit=limit, max_wait_minutes=10_000), DAY)
    book.sign_in(1, "clerk-1", T0)
    now = T0
    for priority in priorities:
        now += 1
        book.issue("business", now, source=Source.WINDOW, priority=priority)
    ahead = len(priorities)
    now += 1
    mine = book.issue("business", now, source=Source.WINDOW).number
    calls = 0
    while True:
        now += 1
        # a fresh priority ticket before every call: the worst case for ordinary tickets
        book.issue("business", now, source=Source.WINDOW, priority=Priority.GREEN_CHANNEL)
        called = book.call_next(1, now)
        assert called is not None
        calls += 1
        book.finish(1, "done", now)
        if called.number == mine:
            break
        assert calls <= ahead + limit + 1
    assert calls <= ahead + limit + 1
