"""Queue figures over a range of days: the pure rows over hand-made days, and the manager's route over the
journals a real controller wrote across two days (a day roll-over in between)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hall.calendar import CHINA_TZ
from hall_controller.app import create_app
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import demo_config
from hall_controller.queue.events import Source
from hall_controller.queue.extension import QueueExtension
from hall_controller.queue.range_stats import range_statistics
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers
from tests.hall_controller.queue.morning import SimClock

MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)


def at(day: date, hour: int, minute: int) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ).timestamp()


def two_days() -> list[QueueBook]:
    monday = QueueBook(demo_config(), MONDAY)
    monday.sign_in(1, "clerk-a", at(MONDAY, 8, 55))
    for minute in (0, 5, 10):
        monday.issue("business", at(MONDAY, 9, minute), source=Source.WINDOW)
    monday.call_next(1, at(MONDAY, 9, 20))  # A001 waited 20
    monday.start(1, at(MONDAY, 9, 21))
    monday.finish(1, "办结", at(MONDAY, 9, 31))  # served 10
    monday.call_next(1, at(MONDAY, 9, 40))  # A002 waited 35
    monday.no_show(1, at(MONDAY, 9, 45))
    monday.call_next(1, at(MONDAY, 9, 50))  # A003 waited 40
    monday.start(1, at(MONDAY, 9, 50))
    monday.finish(1, "办结", at(MONDAY, 10, 10))  # served 20
    tuesday = QueueBook(demo_config(), TUESDAY)
    tuesday.sign_in(3, "clerk-b", at(TUESDAY, 13, 55))
    tuesday.issue("social", at(TUESDAY, 14, 0), source=Source.WINDOW)
    tuesday.call_next(3, at(TUESDAY, 14, 5))  # B001 waited 5
    tuesday.start(3, at(TUESDAY, 14, 5))
    tuesday.finish(3, "办结", at(TUESDAY, 14, 11))  # served 6
    return [monday, tuesday]


def by_key(rows: list[Any]) -> dict[tuple[str, str], Any]:
    return {(row.group, row.key): row for row in rows}


def test_rows_over_two_hand_made_days() -> None:
    books = two_days()
    rows = by_key(range_statistics(books, target_minutes=30))
    total = rows["all", "all"]
    assert (rows["service", "business"].name, rows["service", "business"].name_en) == (
        "企业开办",
        "Business registration",
    )
    assert rows["window", "1"].name is None and total.name is None
    assert (total.tickets, total.served, total.no_shows, total.waits, total.visits) == (4, 3, 1, 4, 4)
    assert (total.mean_wait_min, total.p90_wait_min, total.over_target_share) == (25.0, 40.0, 0.5)
    assert (total.mean_service_min, total.p90_service_min) == (12.0, 20.0)
    estimates = [t.estimate_minutes or 0.0 for book in books for t in book.tickets.values()]
    assert all(t.estimate_minutes is not None for book in books for t in book.tickets.values())
    waited = [20, 35, 40, 5]
    assert total.estimate_error_min == round(
        sum(abs(w - e) for w, e in zip(waited, estimates, strict=True)) / 4, 2
    )
    window1 = rows["window", "1"]
    assert (window1.waits, window1.visits, window1.served, window1.no_shows) == (3, 3, 2, 1)
    assert rows["clerk", "clerk-b"].mean_service_min == 6.0
    assert rows["service", "business"].tickets == 3 and rows["service", "social"].mean_wait_min == 5.0
    assert rows["hour", "09:00"].tickets == 3 and rows["hour", "14:00"].tickets == 1
    assert rows["day", "2026-11-23"].tickets == 3 and rows["day", "2026-11-24"].over_target_share == 0.0


@pytest.mark.integration
def test_the_manager_reads_figures_over_the_days_the_controller_journaled(
    mosquitto: Broker, tmp_path: Path
) -> None:
    clock = SimClock(at(MONDAY, 8, 50))
    settings = controller_settings(mosquitto.url, tmp_path, new_hall_id())
    factory = QueueExtension.factory(config=demo_config(), clock=clock, deliver_ratings=False)
    clerk = staff_headers(settings, "clerk-a", ("clerk",))
    manager = staff_headers(settings, "boss", ("manager",))
    with TestClient(create_app(settings, [factory])) as client:
        base = "/api/v1/ext/queue"

        def act(window: int, key: str) -> None:
            answer = client.post(f"{base}/windows/{window}/actions", json={"key": key}, headers=clerk)
            assert answer.status_code == 200, answer.text

        def ticket(service: str) -> None:
            body = {"service": service, "source": "window", "print_slip": False}
            assert client.post(f"{base}/tickets", json=body, headers=clerk).status_code == 201

        act(1, "sign-in")
        ticket("business")
        ticket("business")
        clock.advance(15 * 60)
        act(1, "next")
        act(1, "start")
        clock.advance(10 * 60)
        act(1, "finish")
        act(1, "next")
        act(1, "no-show")
        clock.advance(24 * 3600)  # Tuesday: the day rolls over at the next action
        act(1, "sign-in")
        ticket("business")
        clock.advance(50 * 60)
        act(1, "next")

        params: dict[str, str | int] = {"from": "2026-11-22", "to": "2026-11-24", "target": 30}
        assert client.get(f"{base}/stats/range", params=params, headers=clerk).status_code == 403
        answer = client.get(f"{base}/stats/range", params=params, headers=manager)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["days_with_journal"] == ["2026-11-23", "2026-11-24"]
        rows = {(row["group"], row["key"]): row for row in body["rows"]}
        assert rows["all", "all"]["tickets"] == 3 and rows["all", "all"]["no_shows"] == 1
        assert rows["day", "2026-11-23"]["tickets"] == 2 and rows["day", "2026-11-24"]["tickets"] == 1
        assert rows["all", "all"]["mean_service_min"] == 10.0
        assert rows["day", "2026-11-24"]["over_target_share"] == 1.0  # waited 50 minutes
        bad = client.get(
            f"{base}/stats/range", params={"from": "2026-11-24", "to": "2026-11-23"}, headers=manager
        )
        assert bad.status_code == 422
        last = {"from": "9999-12-31", "to": "9999-12-31"}
        assert (
            client.get(f"{base}/stats/range", params=last, headers=manager).json()["days_with_journal"] == []
        )
