"""The queue book: issuing rules, clerk actions, ratings, refusals, replay after a restart, day end."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import FINAL_STATES, QueueBook, QueueError, TicketState
from hall_controller.queue.config import (
    IssueWindow,
    Priority,
    QueueConfig,
    ServiceConfig,
    WindowConfig,
    demo_config,
)
from hall_controller.queue.evaluation import RatingState
from hall_controller.queue.events import QueueEvent, Source

DAY = date(2026, 11, 23)  # a Monday
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ).timestamp()


def make_book(config: QueueConfig | None = None) -> tuple[QueueBook, list[QueueEvent]]:
    journal: list[QueueEvent] = []
    return QueueBook(config or demo_config(), DAY, sink=journal.append), journal


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_tickets_are_numbered_per_service_with_prefix_and_width() -> None:
    book, _ = make_book()
    first = book.issue("business", T0, source=Source.WINDOW)
    second = book.issue("business", T0 + 1, source=Source.WINDOW)
    other = book.issue("social", T0 + 2, source=Source.WINDOW)
    assert (first.number, second.number, other.number) == ("A001", "A002", "B001")


def test_issuing_refuses_unknown_services_caps_closed_hours_and_other_days() -> None:
    service = ServiceConfig(
        code="tax",
        name="税务",
        name_en="Tax",
        prefix="T",
        daily_cap=2,
        issue_windows=(IssueWindow(start=time(8, 30), end=time(11, 30)),),
    )
    base = demo_config()
    config = QueueConfig(
        services=(*base.services, service),
        windows=(*base.windows, WindowConfig(number=7, services={"tax": 1})),
    )
    book, journal = make_book(config)
    error = refused("unknown_service", book.issue, "passports", T0, source=Source.WINDOW)
    assert "business" in error.message
    book.issue("tax", T0, source=Source.WINDOW)
    book.issue("tax", T0, source=Source.WINDOW)
    refused("cap_reached", book.issue, "tax", T0, source=Source.WINDOW)
    afternoon = datetime(2026, 11, 23, 14, 0, tzinfo=CHINA_TZ).timestamp()
    refused("not_issuing", book.issue, "tax", afternoon, source=Source.WINDOW)
    refused("wrong_day", book.issue, "business", T0 + 86_400, source=Source.WINDOW)
    assert len(journal) == 2  # refusals leave no trace


def test_one_person_cannot_hoard_tickets_for_one_service() -> None:
    book, _ = make_book()
    ticket = book.issue("business", T0, person="p1")
    refused("hoarding", book.issue, "business", T0 + 1, person="p1")
    book.issue("social", T0 + 1, person="p1")  # another service is fine
    book.sign_in(1, "clerk-1", T0)
    book.call_next(1, T0 + 2)
    book.finish(1, "done", T0 + 3)
    assert ticket.state is TicketState.FINISHED
    book.issue("business", T0 + 4, person="p1")
    book.cancel("A002", T0 + 5)
    book.issue("business", T0 + 6, person="p1")
    book.cancel("A003", T0 + 7)
    refused("hoarding", book.issue, "business", T0 + 8, person="p1")  # three today: the daily limit


def test_kiosk_remote_and_appointment_tickets_need_a_person_and_appointments_check_in_once() -> None:
    book, _ = make_book()
    refused("person_required", book.issue, "business", T0, source=Source.KIOSK)
    refused("person_required", book.issue, "business", T0, source=Source.REMOTE)
    ticket = book.issue("business", T0, source=Source.APPOINTMENT, person="p1", appointment_id="ap-1")
    assert ticket.priority is Priority.APPOINTMENT
    refused(
        "appointment_used",
        book.issue,
        "social",
        T0,
        source=Source.APPOINTMENT,
        person="p2",
        appointment_id="ap-1",
    )
    refused("appointment_required", book.issue, "social", T0, source=Source.APPOINTMENT, person="p2")


def test_clerk_actions_and_their_refusals() -> None:
    book, _ = make_book()
    refused("window_closed", book.call_next, 1, T0)
    refused("unknown_window", book.call_next, 99, T0)
    book.sign_in(1, "clerk-1", T0)
    refused("window_taken", book.sign_in, 1, "clerk-2", T0)
    refused("clerk_busy", book.sign_in, 2, "clerk-1", T0)
    assert book.call_next(1, T0) is None
    book.issue("business", T0, source=Source.WINDOW)
    book.issue("business", T0 + 1, source=Source.WINDOW)
    refused("no_ticket", book.recall, 1, T0)
    called = book.call_specific(1, "A002", T0 + 2)
    assert called.number == "A002" and called.state is TicketState.CALLED
    refused("window_busy", book.call_next, 1, T0 + 3)
    book.recall(1, T0 + 3)
    assert called.recalls == 1
    book.no_show(1, T0 + 4)
    assert book.ticket("A002").state is TicketState.NO_SHOW
    refused("not_waiting", book.call_specific, 1, "A002", T0 + 5)
    book.pause(1, "午休", T0 + 5)
    refused("window_paused", book.call_next, 1, T0 + 6)
    book.resume(1, T0 + 7)
    book.call_next(1, T0 + 8)
    book.start(1, T0 + 9)
    refused("not_called", book.no_show, 1, T0 + 10)
    _, rating = book.finish(1, "受理", T0 + 11)
    assert rating is not None
    refused("no_ticket", book.finish, 1, "受理", T0 + 12)  # double finish


def test_transfer_returns_the_customer_with_priority() -> None:
    book, _ = make_book()
    book.sign_in(1, "clerk-1", T0)
    book.sign_in(3, "clerk-3", T0)
    ticket = book.issue("business", T0, source=Source.WINDOW)
    for second in range(1, 4):
        book.issue("social", T0 + second, source=Source.WINDOW, priority=Priority.ELDERLY)
    book.call_next(1, T0 + 10)
    refused("unknown_service", book.transfer, 1, T0 + 11, to_service="nope")
    refused("bad_transfer", book.transfer, 1, T0 + 11)
    book.transfer(1, T0 + 11, to_service="social")
    assert ticket.state is TicketState.WAITING and ticket.priority is Priority.RETURNING
    called = book.call_next(3, T0 + 12)
    assert called is ticket  # ahead of the elderly who joined earlier: returning ranks higher by default


def test_transfer_to_a_window_pins_the_ticket_there() -> None:
    book, _ = make_book()
    for window in (1, 2, 6):
        book.sign_in(window, f"clerk-{window}", T0)
    ticket = book.issue("business", T0, source=Source.WINDOW)
    book.issue("business", T0 + 1, source=Source.WINDOW)
    book.call_next(1, T0 + 2)
    book.transfer(1, T0 + 3, to_window=6)
    other = book.call_next(2, T0 + 4)
    assert other is not None and other.number == "A002"
    assert book.call_next(6, T0 + 5) is ticket


def test_several_services_in_one_visit() -> None:
    book, _ = make_book()
    book.sign_in(2, "clerk-2", T0)
    ticket = book.issue("business", T0, source=Source.WINDOW)
    book.call_next(2, T0 + 60)
    _, rating = book.finish(2, "设立登记受理", T0 + 600, next_service="social")
    assert rating is None and ticket.state is TicketState.SERVING and ticket.service == "social"
    _, rating = book.finish(2, "社保开户", T0 + 900, case_id="case-7")
    assert book.ticket("A001").state is TicketState.FINISHED
    assert [visit.service for visit in ticket.visits] == ["business", "social"]
    assert (
        rating is not None and rating.case_id == "case-7" and rating.clerk == "clerk-2" and rating.window == 2
    )


def test_ratings_bad_ones_open_follow_ups_and_duplicates_are_refused() -> None:
    book, _ = make_book()
    book.sign_in(1, "clerk-1", T0)
    book.issue("business", T0, source=Source.WINDOW)
    book.call_next(1, T0)
    _, rating = book.finish(1, "受理", T0 + 60, case_id="case-1")
    assert rating is not None
    refused("bad_level", book.rate, rating.rating_id, 6, T0 + 61)
    refused("bad_level", book.rate, rating.rating_id, True, T0 + 61)
    refused("bad_dimension", book.rate, rating.rating_id, 1, T0 + 61, {"speed": 3})
    rated, follow_up = book.rate(rating.rating_id, 1, T0 + 62, {"attitude": 1}, "等太久")
    assert rated.state is RatingState.RATED and follow_up is not None
    assert follow_up.due == "2026-11-30"  # five working days after a Monday
    refused("already_rated", book.rate, rating.rating_id, 5, T0 + 63)
    refused("unknown_rating", book.rate, "r-nope", 5, T0 + 63)
    assert book.open_follow_ups() == [follow_up]
    book.record_callback(follow_up.follow_up_id, "已电话回访，致歉", T0 + 3600, close=True)
    assert book.open_follow_ups() == []
    refused("follow_up_closed", book.record_callback, follow_up.follow_up_id, "again", T0 + 3700)


def test_unanswered_ratings_time_out_and_kiosk_ratings_are_one_per_matter() -> None:
    book, _ = make_book()
    book.sign_in(1, "clerk-1", T0)
    book.issue("business", T0, source=Source.WINDOW)
    book.call_next(1, T0)
    _, rating = book.finish(1, "受理", T0 + 60)
    assert rating is not None
    late = T0 + 61 + book.config.rating_timeout_seconds
    refused("rating_expired", book.rate, rating.rating_id, 5, late)
    assert book.expire_ratings(late) == [rating] and rating.state is RatingState.TIMED_OUT
    kiosk = book.ask_kiosk_rating("case-9", late)
    refused("already_rated", book.ask_kiosk_rating, "case-9", late)
    book.rate(kiosk.rating_id, 4, late + 1)
    refused("already_rated", book.ask_kiosk_rating, "case-9", late + 2)


def test_a_finish_ends_only_its_own_windows_unanswered_question() -> None:
    """The book keeps the pending ratings apart (a finish no longer reads every rating of the day): they
    stay exactly those whose state is pending, through finishes, ratings, time-outs, kiosk asks and replay."""
    book, journal = make_book()
    for window in (1, 3, 5):
        book.sign_in(window, f"clerk-{window}", T0)
    now = T0
    asked: dict[int, str] = {}
    for round_ in range(12):
        for window in (1, 3, 5):
            now += 10
            book.issue(["business", "social", "permits"][window // 2], now, source=Source.WINDOW)
            assert book.call_next(window, now) is not None
            before = asked.get(window)
            _, rating = book.finish(window, "done", now)
            assert rating is not None
            if before is not None:  # this window's earlier question ended; the others' did not
                assert book.ratings[before].state is not RatingState.PENDING
            asked[window] = rating.rating_id
            if (round_ + window) % 4 == 0:
                book.rate(rating.rating_id, 5, now + 1)
        book.ask_kiosk_rating(f"case-{round_}", now)
        pending = [r for r in book.ratings.values() if r.state is RatingState.PENDING]
        assert list(book._pending.values()) == pending
        assert {r.window for r in pending if r.window is not None} <= {1, 3, 5}
        assert sum(1 for r in pending if r.window == 1) <= 1
    expired = book.expire_ratings(now + book.config.rating_timeout_seconds + 1)
    assert expired == pending and not book._pending
    again = QueueBook.replay(demo_config(), DAY, journal)
    assert not again._pending and again.ratings.keys() == book.ratings.keys()


def test_replaying_the_journal_rebuilds_the_same_state() -> None:
    book, journal = make_book()
    book.sign_in(1, "clerk-1", T0)
    book.sign_in(3, "clerk-3", T0)
    for second in range(8):
        book.issue(["business", "social"][second % 2], T0 + second, source=Source.WINDOW)
    book.call_next(1, T0 + 10)
    book.transfer(1, T0 + 11, to_service="social")
    book.call_next(3, T0 + 12)
    book.no_show(3, T0 + 13)
    book.call_next(3, T0 + 14)
    book.finish(3, "done", T0 + 15)
    book.pause(1, "开会", T0 + 16)
    again = QueueBook.replay(demo_config(), DAY, journal)
    assert {n: vars(t) for n, t in again.tickets.items()} == {n: vars(t) for n, t in book.tickets.items()}
    assert {n: vars(w) for n, w in again.windows.items()} == {n: vars(w) for n, w in book.windows.items()}
    assert again.ratings.keys() == book.ratings.keys()
    # and it goes on numbering and ordering where the first left off
    assert again.issue("business", T0 + 20, source=Source.WINDOW).number == "A005"


def test_closing_the_day_leaves_every_ticket_in_exactly_one_final_state() -> None:
    book, _ = make_book()
    book.sign_in(1, "clerk-1", T0)
    for second in range(5):
        book.issue("business", T0 + second, source=Source.WINDOW)
    book.call_next(1, T0 + 10)
    expired = book.close_day(T0 + 100)
    assert len(expired) == 5
    assert all(ticket.state in FINAL_STATES for ticket in book.tickets.values())
    assert not book.windows[1].open and book.windows[1].ticket is None


def test_the_wait_estimate_follows_measured_service_times() -> None:
    book, _ = make_book()
    book.sign_in(1, "clerk-1", T0)
    first = book.issue("business", T0, source=Source.WINDOW)
    assert first.estimate_minutes == 0
    for second in range(1, 5):
        book.issue("business", T0 + second, source=Source.WINDOW)
    # window 1 (all business) + window 2 (2/3 business) + window 6 (1/3 business) are assumed open
    # before anyone signs in; here only window 1 is open: capacity 1, prior 10 minutes.
    assert book.estimate("business").minutes == pytest.approx(5 * 10)
    book.call_next(1, T0 + 10)
    book.finish(1, "done", T0 + 10 + 4 * 60)
    assert book.estimate("business").minutes == pytest.approx(4 * 4)
