"""The book's index of waiting tickets (waiting.py) calls exactly whom ordering.py's rules call.

Random days of issues (every priority), calls, calls by number, transfers to a service or a window,
no-shows, cancellations and finishes, with the clock jumping past the longest wait and sometimes going back:
before every call the plain rules are run over every waiting ticket, and the book's call (its ticket and the
tickets it overtook, as journaled) must be theirs. A book replayed from the journal answers the same.
"""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hall.calendar import CHINA_TZ
from hall_controller.queue import ordering
from hall_controller.queue.book import QueueBook, QueueError, TicketState
from hall_controller.queue.config import Priority, demo_config
from hall_controller.queue.events import Called, QueueEvent, Source
from hall_controller.queue.waiting import WaitingIndex

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ).timestamp()
SERVICES = ("business", "social", "permits")
WINDOWS = st.integers(min_value=1, max_value=6)

STEP = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(SERVICES), st.sampled_from(list(Priority))),
    st.tuples(st.just("next"), WINDOWS, st.none()),
    st.tuples(st.just("next"), WINDOWS, st.none()),
    st.tuples(st.just("call"), WINDOWS, st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("to_service"), WINDOWS, st.sampled_from(SERVICES)),
    st.tuples(st.just("to_window"), WINDOWS, WINDOWS),
    st.tuples(st.just("no_show"), WINDOWS, st.none()),
    st.tuples(st.just("cancel"), st.none(), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("finish"), WINDOWS, st.none()),
)
# Seconds between two steps: mostly small, sometimes past the longest wait (1 minute here), sometimes back.
DELAY = st.one_of(
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=61, max_value=200),
    st.integers(min_value=-30, max_value=-1),
)


def _expected(book: QueueBook, window: int, now: float) -> tuple[str | None, tuple[str, ...]]:
    """Who the plain rules call over every waiting ticket, and whom that call overtakes."""
    settings_ = book.config.window(window)
    assert settings_ is not None
    candidates = [ticket.candidate() for ticket in book.waiting()]
    chosen = ordering.choose_next(candidates, settings_, book.config, now)
    if chosen is None:
        return None, ()
    return chosen.key, tuple(ordering.overtaken_by(chosen, candidates, settings_))


def _run(
    book: QueueBook, journal: list[QueueEvent], steps: list[tuple[object, ...]], delays: list[int]
) -> int:
    """Plays `steps` on `book`, checking every call against the plain rules; returns how many calls."""
    now = T0
    calls = 0
    for index, (action, first, second) in enumerate(steps):
        now += delays[index % len(delays)]
        window = first if isinstance(first, int) else 1
        try:
            if action == "issue":
                book.issue(str(first), now, source=Source.WINDOW, priority=Priority(str(second)))
            elif action in ("next", "call"):
                waiting = book.waiting()
                if action == "call" and not waiting:
                    continue
                if action == "next":
                    key, overtaken = _expected(book, window, now)
                    called = book.call_next(window, now)
                    if called is None:
                        assert key is None
                        continue
                else:
                    target = waiting[int(str(second)) % len(waiting)]
                    settings_ = book.config.window(window)
                    assert settings_ is not None
                    candidates = [ticket.candidate() for ticket in waiting]
                    key = target.number
                    overtaken = tuple(ordering.overtaken_by(target.candidate(), candidates, settings_))
                    called = book.call_specific(window, target.number, now)
                event = journal[-1]
                assert isinstance(event, Called)
                assert (called.number, event.overtaken) == (key, overtaken)
                calls += 1
            elif action == "to_service":
                book.transfer(window, now, to_service=str(second))
            elif action == "to_window":
                book.transfer(window, now, to_window=int(str(second)))
            elif action == "no_show":
                book.no_show(window, now)
            elif action == "cancel":
                waiting = book.waiting()
                if waiting:
                    book.cancel(waiting[int(str(second)) % len(waiting)].number, now)
            else:
                book.finish(window, "ok", now)
        except QueueError:
            continue  # refused (window busy, nothing called, wrong window...): nothing changed
    return calls


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(STEP, min_size=1, max_size=150),
    delays=st.lists(DELAY, min_size=1, max_size=20),
    limit=st.integers(min_value=0, max_value=3),
    max_wait=st.sampled_from([1.0, 10_000.0]),
)
def test_the_book_calls_whom_the_plain_rules_call(
    steps: list[tuple[object, ...]], delays: list[int], limit: int, max_wait: float
) -> None:
    config = demo_config().model_copy(update={"overtake_limit": limit, "max_wait_minutes": max_wait})
    journal: list[QueueEvent] = []
    book = QueueBook(config, DAY, sink=journal.append)
    for window in range(1, 7):
        book.sign_in(window, f"clerk-{window}", T0)
    _run(book, journal, steps, delays)

    replayed = QueueBook.replay(config, DAY, journal)
    for service in SERVICES:  # the display's and the estimates' counts
        assert book.waiting_count(service) == len(book.waiting(service)) == replayed.waiting_count(service)
    later = book.last_at + 30
    for window in range(1, 7):
        settings_ = config.window(window)
        assert settings_ is not None
        expected, _ = _expected(book, window, later)
        assert (getattr(book._queue.next_for(settings_, later), "key", None)) == expected
        assert (getattr(replayed._queue.next_for(settings_, later), "key", None)) == expected


def test_a_busy_day_keeps_every_waiting_ticket_filed_once() -> None:
    """After a day of every kind of step, the index holds exactly the waiting tickets."""
    config = demo_config().model_copy(update={"overtake_limit": 2, "max_wait_minutes": 1.0})
    journal: list[QueueEvent] = []
    book = QueueBook(config, DAY, sink=journal.append)
    for window in range(1, 7):
        book.sign_in(window, f"clerk-{window}", T0)
    steps: list[tuple[object, ...]] = []
    priorities = list(Priority)
    for round_ in range(150):
        window = round_ % 6 + 1
        steps.append(("issue", SERVICES[round_ % 3], priorities[round_ % len(priorities)]))
        steps.append(("issue", SERVICES[(round_ + 1) % 3], Priority.ORDINARY))
        steps.append(("next", window, None))
        ending = round_ % 5
        if ending == 2:
            steps.append(("no_show", window, None))
        elif ending == 3:
            steps.append(("to_window", window, (window + round_ % 4) % 6 + 1))
        elif ending == 4:
            steps.append(("to_service", window, SERVICES[(round_ + 2) % 3]))
        steps.append(("finish", window, None))  # refused after a no-show or transfer: nothing called
        if round_ % 7 == 0:
            steps.append(("cancel", None, round_))
    assert _run(book, journal, steps, [1, 2, 70, 3]) > 50
    waiting = {ticket.number for ticket in book.tickets.values() if ticket.state is TicketState.WAITING}
    assert waiting == {ticket.number for ticket in book.waiting()}
    assert len(book._queue) == len(waiting) and all(number in book._queue for number in waiting)


def test_with_the_clock_set_back_the_index_asks_the_rules_about_everyone() -> None:
    """A ticket that joined at an earlier clock time than the one before it waits longest though it is not
    first in its bucket: the index must still call it first once it is due."""
    config = demo_config().model_copy(update={"max_wait_minutes": 1.0})
    window = config.window(1)
    assert window is not None
    service = next(iter(window.services))
    index = WaitingIndex(config)
    first = ordering.Candidate("A1", service, Priority.ORDINARY, 1, T0 + 50)
    second = ordering.Candidate("A2", service, Priority.ORDINARY, 2, T0)  # the clock went back 50 s
    green = ordering.Candidate("A3", service, Priority.GREEN_CHANNEL, 3, T0 + 51)
    for candidate in (first, second, green):
        index.add(candidate)
    now = T0 + 70  # A2 has waited 70 s (due), A1 only 20 s
    expected = ordering.choose_next([first, second, green], window, config, now)
    assert expected is not None and expected.key == "A2"
    chosen = index.next_for(window, now)
    assert chosen is not None and chosen.key == "A2"


CANDIDATE = st.tuples(
    st.sampled_from(SERVICES),
    st.sampled_from(list(Priority)),
    st.integers(min_value=-100, max_value=400),  # seconds after T0 it joined: in order or not
    st.sampled_from([0, 0, 0, 0, 0, 1, 2, 3, 4]),  # overtaken: mostly not
    st.one_of(st.none(), st.none(), st.none(), WINDOWS),  # pinned: mostly not
)


@settings(max_examples=300, deadline=None)
@given(
    drawn=st.lists(CANDIDATE, max_size=40),
    gone=st.sets(st.integers(min_value=0, max_value=39)),
    limit=st.integers(min_value=0, max_value=3),
    now=st.integers(min_value=0, max_value=500),
)
@example(  # overtaken twice, behind a ticket of its bucket that was not: due, though not the bucket's first
    drawn=[("business", Priority.ORDINARY, 0, 0, None), ("business", Priority.ORDINARY, 1, 2, None)],
    gone=set(),
    limit=2,
    now=10,
)
def test_any_waiting_tickets_get_the_rules_answer(
    drawn: list[tuple[str, Priority, int, int, int | None]], gone: set[int], limit: int, now: int
) -> None:
    """Whatever the tickets (overtaken counts, joining times, pins), not only what a book's history makes:
    the index answers what the rules answer for each window, the overtaken tickets in the same order."""
    config = demo_config().model_copy(update={"overtake_limit": limit, "max_wait_minutes": 3.0})
    index = WaitingIndex(config)
    candidates = []
    for seq, (service, priority, joined, overtaken, pinned) in enumerate(drawn, start=1):
        candidate = ordering.Candidate(f"T{seq}", service, priority, seq, T0 + joined, overtaken, pinned)
        index.add(candidate)
        candidates.append(candidate)
    for position in gone:
        if position < len(candidates):
            index.remove(candidates[position].key)
    waiting = [candidate for position, candidate in enumerate(candidates) if position not in gone]
    assert len(index) == len(waiting)
    for window in config.windows:
        expected = ordering.choose_next(waiting, window, config, T0 + now)
        assert index.next_for(window, T0 + now) == expected
        for called in waiting:
            if ordering.servable(called, window):
                assert index.overtaken_by(called, window) == ordering.overtaken_by(called, waiting, window)
