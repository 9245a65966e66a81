"""Bounds on what the controller keeps in memory through a long day (issue 10, the soak's memory curve).

Each test drives one structure with many distinct ids or a long stretch of time and checks that what it
holds stays under its bound, and that what it answers is unchanged by the bound.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from devices.protocol.payloads import Severity
from hall.calendar import CHINA_TZ
from hall_controller.alarms import AlarmBook
from hall_controller.alarms import Source as AlarmSource
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import QueueConfig, demo_config
from hall_controller.queue.estimate import THROUGHPUT_MINUTES, calls_per_minute
from hall_controller.queue.events import QueueEvent, Source
from hall_controller.store import Store
from tools.memtrace import MemTrace

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=CHINA_TZ).timestamp()


def big_day() -> QueueConfig:
    """The demo hall with room for a busy day's tickets (the default cap is 300 per service)."""
    config = demo_config()
    services = tuple(s.model_copy(update={"daily_cap": 2_000, "last_number": 9_999}) for s in config.services)
    return config.model_copy(update={"services": services})


def test_the_estimates_inputs_stay_bounded_through_a_day_of_tickets() -> None:
    config = big_day()
    book = QueueBook(config, DAY)
    book.sign_in(1, "clerk-1", T0)
    every = 20.0  # a call every 20 s, all day: 1,500 calls in 8 h 20 min
    calls: list[float] = []
    for n in range(1_500):
        now = T0 + n * every
        book.issue("business", now, source=Source.WINDOW)
        called = book.call_next(1, now + 1)
        assert called is not None
        calls.append(now + 1)
        book.finish(1, "done", now + 5)
        # What an unbounded list would answer, against what the bounded one does.
        assert book.estimate("business", now=now + 6).calls_per_minute == calls_per_minute(calls, now + 6)
    assert len(book.tickets) == 1_500  # the day's tickets are the day's record: all kept
    # The throughput view looks back THROUGHPUT_MINUTES: at one call per 20 s, 90 calls and the edge.
    assert len(book.call_times["business"]) <= THROUGHPUT_MINUTES * 60 / every + 1
    assert len(book.service_seconds["business"]) == config.estimate_window
    assert list(book.service_seconds["business"]) == [4.0] * config.estimate_window


def test_a_replayed_book_keeps_the_same_bounded_inputs() -> None:
    journal: list[QueueEvent] = []
    book = QueueBook(demo_config(), DAY, sink=journal.append)
    book.sign_in(2, "clerk-2", T0)
    for n in range(300):
        now = T0 + n * 30.0
        book.issue("social", now, source=Source.WINDOW)
        book.call_next(2, now + 1)
        book.finish(2, "done", now + 10)
    again = QueueBook.replay(demo_config(), DAY, journal)
    assert again.call_times == book.call_times
    assert again.service_seconds == book.service_seconds
    assert again.estimate("social") == book.estimate("social")


@pytest.mark.slow  # 5-12 s (--durations on the shared 2-core machine)
def test_closed_alarms_held_in_memory_stay_bounded_and_the_store_keeps_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "controller.db")
    store.open()
    try:
        book = AlarmBook(store.collection("alarms"), closed_in_memory=50)
        # A flapping device over many days: offline, back, acknowledged; 1,000 times.
        for n in range(1_000):
            alarm = book.raise_alarm(
                "led-1", "offline", Severity.WARNING, "silent", source=AlarmSource.CONTROLLER, now=n
            )
            assert alarm is not None
            book.clear("led-1", "offline", now=n + 0.5)
            book.acknowledge(alarm.alarm_id, "manager1", now=n + 0.7)
        open_one = book.raise_alarm(
            "bank-1", "door_forced", Severity.CRITICAL, "forced", source=AlarmSource.DEVICE, now=2_000
        )
        assert open_one is not None
        assert book.held() == 50 + 1  # the closed ones up to the bound, and the one needing attention
        assert book.attention() == [open_one]
        history = book.history(limit=10)
        assert history[0] == open_one and [a.raised_at for a in history[1:]] == [999 - k for k in range(9)]
        assert len(store.collection("alarms")) == 1_001  # the store keeps them all for the history days
        again = AlarmBook(store.collection("alarms"), closed_in_memory=50)
        again.load(now=3_000)
        assert again.held() == 51 and again.history(limit=10) == history
    finally:
        store.close()


def test_a_memtrace_dump_reports_native_memory(tmp_path: Path) -> None:
    trace = MemTrace(tmp_path / "memtrace.txt", every=3600, frames=0)
    trace.dump()
    first = (tmp_path / "memtrace.txt").read_text().splitlines()[0]
    assert " native: rss " in first and "python blocks " in first
    assert "malloc in use " in first  # glibc 2.33+ (the hall's Debian 12 has 2.36)
