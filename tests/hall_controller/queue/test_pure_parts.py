"""Voice text, wait estimates, statistics with CSV export, working-day deadlines, configuration checks."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from pydantic import ValidationError

from hall.calendar import CHINA_TZ, weekend_only_calendar
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import QueueConfig, WindowConfig, demo_config
from hall_controller.queue.estimate import capacity, estimate_wait, mean_absolute_error
from hall_controller.queue.evaluation import RatingLevel, is_bad
from hall_controller.queue.events import Source
from hall_controller.queue.stats import statistics, to_csv
from hall_controller.queue.voice import call_announcement, spell_zh

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA_TZ).timestamp()


def test_call_announcement_in_chinese_and_english() -> None:
    spoken = call_announcement("A012", 3)
    assert spoken.text_zh == "请 A012 号到 3 号窗口办理"
    assert spoken.speech_zh == "请 A 零 一 二 号到 3 号窗口办理"
    assert spoken.text_en == "Number A012, please go to window 3."
    assert spoken.speech_en == "Number A zero one two, please go to window 3."
    again = call_announcement("B100", 12, recall=True)
    assert again.text_zh == "请 B100 号再次到 12 号窗口办理" and again.text_en.endswith("window 12, again.")
    assert spell_zh("C907") == "C 九 零 七"


def test_capacity_shares_windows_by_weight() -> None:
    config = demo_config()
    assert capacity(config, "business", [1, 2, 6]) == pytest.approx(1 + 2 / 3 + 1 / 3)
    assert capacity(config, "business", [1]) == pytest.approx(1)
    assert capacity(config, "business", []) == capacity(config, "business", [1, 2, 6])


def test_estimate_uses_recent_services_or_the_prior() -> None:
    config = demo_config()
    assert estimate_wait(config, "social", 6, [3], []).minutes == pytest.approx(6 * 6)
    recent = [60.0] * 30 + [240.0] * 20  # the last twenty count
    assert estimate_wait(config, "social", 6, [3], recent).minutes == pytest.approx(6 * 4)
    with pytest.raises(ValueError, match="unknown service"):
        estimate_wait(config, "nope", 1, [], [])
    assert mean_absolute_error([(10, 12), (5, 4)]) == pytest.approx(1.5)


def test_statistics_per_service_window_clerk_hour_and_csv() -> None:
    book = QueueBook(demo_config(), DAY)
    book.sign_in(1, "clerk-1", T0)
    book.issue("business", T0, source=Source.WINDOW)
    book.issue("business", T0 + 60, source=Source.WINDOW)
    book.call_next(1, T0 + 120)  # A001 waited 2 min
    book.finish(1, "done", T0 + 420)  # 5 min service
    book.call_next(1, T0 + 480)  # A002 waited 7 min
    book.no_show(1, T0 + 540)
    rows = statistics(book, T0 + 600)
    by_key = {(row.group, row.key): row for row in rows}
    business = by_key[("service", "business")]
    assert (business.issued, business.served, business.abandoned) == (2, 1, 1)
    assert business.mean_wait_min == pytest.approx(4.5) and business.max_wait_min == pytest.approx(7)
    assert business.mean_service_min == pytest.approx(5)
    window = by_key[("window", "1")]
    # open 10 min, busy 5 min (A001) + 1 min (A002 called until no-show)
    assert window.busy_min == pytest.approx(6) and window.idle_min == pytest.approx(4)
    assert by_key[("clerk", "clerk-1")].served == 1
    assert by_key[("hour", "09:00")].issued == 2
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert len(parsed) == len(rows)
    assert parsed[0].keys() >= {"group", "key", "mean_wait_min", "idle_min"}
    assert next(r for r in parsed if r["group"] == "service" and r["key"] == "business")["abandoned"] == "1"


def test_bad_ratings_and_working_day_deadlines() -> None:
    assert is_bad(RatingLevel.DISSATISFIED) and is_bad(RatingLevel.VERY_DISSATISFIED)
    assert not is_bad(RatingLevel.BASICALLY_SATISFIED)
    # A bad rating's follow-up is due in working days of the hall's one calendar (hall/calendar.py):
    # National Day 2026, Oct 1-7 off, so a bad rating on Sep 30 is due on Oct 8 with one working day.
    config = demo_config().model_copy(update={"follow_up_working_days": 1})
    book = QueueBook(config, date(2026, 9, 30))
    evening = datetime(2026, 9, 30, 16, 0, tzinfo=CHINA_TZ).timestamp()
    request = book.ask_kiosk_rating("C-1", evening)
    _, follow_up = book.rate(request.rating_id, 1, evening + 1)
    assert follow_up is not None and follow_up.due == "2026-10-08"
    # The calendar is passed in: with weekends only, the next day is a working day.
    book = QueueBook(config, date(2026, 9, 30), calendar=weekend_only_calendar())
    request = book.ask_kiosk_rating("C-1", evening)
    _, follow_up = book.rate(request.rating_id, 1, evening + 1)
    assert follow_up is not None and follow_up.due == "2026-10-01"


def test_configuration_mistakes_are_refused_clearly() -> None:
    base = demo_config()
    with pytest.raises(ValidationError, match="unknown services"):
        QueueConfig(services=base.services, windows=(WindowConfig(number=1, services={"nope": 1}),))
    with pytest.raises(ValidationError, match="no window serves"):
        QueueConfig(services=base.services, windows=(WindowConfig(number=1, services={"business": 1}),))
    with pytest.raises(ValidationError, match="priority_order"):
        QueueConfig(services=base.services, windows=base.windows, priority_order=("ordinary",))
    with pytest.raises(ValidationError, match="Extra inputs"):
        QueueConfig.model_validate({"services": [], "windows": [], "colour": "red"})


def test_a_simulated_day_measures_the_estimate_against_real_waits() -> None:
    from hall_controller.queue.book import FINAL_STATES
    from hall_controller.queue.simulation import DayPlan, simulate_day

    result = simulate_day(plan=DayPlan(last_ticket=time(10, 0), seed=3))
    tickets = list(result.book.tickets.values())
    assert tickets and all(ticket.state in FINAL_STATES for ticket in tickets)
    assert len(result.estimate_pairs) == len(tickets) == len(result.naive_pairs)
    by_hand = sum(abs(e - a) for e, a in result.estimate_pairs) / len(result.estimate_pairs)
    assert result.mae_minutes == pytest.approx(by_hand)
    assert result.naive_mae_minutes >= 0


def test_what_displays_and_leds_are_told() -> None:
    from hall_controller.queue import outputs
    from hall_controller.queue.config import ServiceConfig

    base = demo_config()
    busy = base.services[1].model_copy(update={"warn_waiting": 2})
    assert isinstance(busy, ServiceConfig)
    config = QueueConfig(services=(base.services[0], busy, base.services[2]), windows=base.windows)
    book = QueueBook(config, DAY)
    assert outputs.led_show(book, 3).text == "3号窗口 暂停服务 Closed"
    book.sign_in(3, "clerk-3", T0)
    for second in range(3):
        book.issue("social", T0 + second, source=Source.WINDOW)
    assert book.warnings() == ["社保医保: 3 waiting (limit 2)"]
    shown = outputs.display_show(book)
    assert shown.latest is None and [line.warning for line in shown.services] == [False, True, False]
    book.call_next(3, T0 + 10)
    led = outputs.led_show(book, 3)
    assert (led.number, led.text, led.waiting) == ("B001", "请 B001 号到3号窗口", 2)
    book.start(3, T0 + 20)
    assert outputs.led_show(book, 3).text == "正在办理 B001 号"
    shown = outputs.display_show(book)
    assert shown.latest is not None and shown.latest.text_zh == "请 B001 号到 3 号窗口办理"
    assert shown.latest.call_seq == 20261123 * 1_000_000 + book.calls[-1].seq
    slip = outputs.ticket_slip(book, book.ticket("B003"), hall_name="政务服务中心", link=None)
    assert (slip.ahead, slip.service_name, slip.issued_at) == (1, "社保医保", "2026-11-23 09:00")
    book.finish(3, "办结", T0 + 30)
    book.pause(3, "午休", T0 + 31)
    assert outputs.led_show(book, 3).text == "暂停：午休"


def test_every_show_repeats_the_recent_calls_as_they_were_first_shown() -> None:
    """The lines of the recent calls are made once and repeated (outputs.py caches them): each show is
    still exactly what building every line afresh gives, recalls included, newest first, day by day."""
    from hall_controller.queue import outputs
    from hall_controller.queue.voice import call_announcement

    for day, start in ((DAY, T0), (date(2026, 11, 24), T0 + 86400)):
        book = QueueBook(demo_config(), day)
        book.sign_in(3, "clerk-3", start)
        for second in range(12):
            book.issue("social", start + second, source=Source.WINDOW)
        for second in range(10):
            book.call_next(3, start + 20 + second)
            if second % 3 == 0:
                book.recall(3, start + 20.5 + second)
            book.finish(3, "办结", start + 20.7 + second)
            shown = outputs.display_show(book)
            expected = []
            for call in reversed(book.calls[-outputs.RECENT_CALLS :]):
                spoken = call_announcement(call.number, call.window, recall=call.recall)
                expected.append(
                    (
                        call.number,
                        call.recall,
                        spoken.text_zh,
                        spoken.speech_en,
                        int(f"{day:%Y%m%d}") * 1_000_000 + call.seq,
                    )
                )
            lines = [(x.number, x.recall, x.text_zh, x.speech_en, x.call_seq) for x in shown.recent]
            assert lines == expected
            assert shown.latest is not None and shown.latest == shown.recent[0]
        assert any(line.recall for line in shown.recent) and not all(line.recall for line in shown.recent)


def test_estimate_blends_in_the_observed_call_rate() -> None:
    from hall_controller.queue.estimate import calls_per_minute

    config = demo_config()
    now = T0 + 3600
    six_calls = [now - minutes * 60 for minutes in (12, 10, 8, 6, 4, 2)]
    assert calls_per_minute(six_calls, now) == pytest.approx(6 / 12)
    assert calls_per_minute(six_calls[:3], now) is None  # too few to tell
    assert calls_per_minute([now - 3 * 3600] * 10, now) is None  # too old
    blended = estimate_wait(config, "social", 6, [3], [], call_times=six_calls, now=now)
    assert blended.minutes == pytest.approx((6 * 6 + 6 / 0.5) / 2)
    assert estimate_wait(config, "social", 6, [3], [], call_times=six_calls[:3], now=now).minutes == 36
