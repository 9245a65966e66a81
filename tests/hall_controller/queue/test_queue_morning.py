"""A morning in the hall over a real broker: 200 tickets, 3 services, 6 windows, priorities, transfers,
no-shows, several services in one visit, a controller restart in the middle, evaluations with a bad-rating
follow-up, and the day's close — every ticket ends in exactly one final state, none lost."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from devices.idcard.checkdigit import check_character
from hall_controller.queue.book import FINAL_STATES, QueueBook, Ticket, TicketState
from hall_controller.queue.config import Priority
from hall_controller.queue.evaluation import RatingState
from hall_controller.queue.events import from_json
from hall_controller.queue.service import journal_name
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import wait_until
from tests.hall_controller.queue.morning import SimHall, sim_hall

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TICKETS = 200
STEP = 60.0  # simulated seconds per round
SERVICES = ("business", "social", "permits")
PRIORITIES = (
    Priority.ELDERLY,
    Priority.DISABLED,
    Priority.PREGNANT,
    Priority.MILITARY,
    Priority.GREEN_CHANNEL,
)


@dataclass
class Desk:
    phase: str = "idle"  # idle, serving
    until: float = 0.0


def id_number(index: int) -> str:
    first = f"110101199{index % 10}0101{index:03d}"
    return first + check_character(first)  # a number that passes the GB 11643 check


def issue(hall: SimHall, rng: random.Random, index: int, kinds: Counter[str]) -> None:
    service = rng.choice(SERVICES)
    priority = rng.choice(PRIORITIES) if rng.random() < 0.12 else Priority.ORDINARY
    roll = rng.random()
    if roll < 0.6:
        body: dict[str, object] = {
            "service": service,
            "source": "kiosk",
            "priority": priority,
            "id_number": id_number(index),
        }
        kind = "kiosk"
    elif roll < 0.75:
        body = {
            "service": service,
            "source": "window",
            "priority": priority,
            "print_slip": False,
        }
        kind = "window"
    elif roll < 0.85:
        body = {
            "service": service,
            "source": "appointment",
            "id_number": id_number(index),
            "appointment_id": f"ap-{index}",
        }
        kind = "appointment"
    else:
        answer = hall.api("POST", "/remote-tickets", json={"service": service, "phone": f"139{index:08d}"})
        assert answer.status_code == 201, answer.text
        kinds["remote"] += 1
        return
    answer = hall.api("POST", "/tickets", json=body)
    assert answer.status_code == 201, answer.text
    kinds[kind] += 1


def serve_round(
    hall: SimHall, rng: random.Random, desks: dict[int, Desk], now: float, outcome: Counter[str]
) -> None:
    for window, desk in desks.items():
        if desk.phase == "idle":
            if not hall.read(lambda book, w=window: any(w in servers(book, t) for t in book.waiting())):
                continue
            hall.press(window, "next")
            current = hall.read(lambda book, w=window: book.windows[w].ticket)
            if current is None:
                continue
            if rng.random() < 0.06:
                hall.press(window, "recall")
                hall.press(window, "no-show")
                outcome["no_show"] += 1
                continue
            hall.press(window, "start")
            desk.phase, desk.until = "serving", now + rng.uniform(3, 12) * 60
        elif now >= desk.until:
            roll = rng.random()
            here = hall.read(lambda book, w=window: book.tickets[book.windows[w].ticket].service)
            others = [code for code in SERVICES if code != here]
            if roll < 0.06:
                hall.press(window, "transfer", service=rng.choice(others))
                outcome["transfer"] += 1
                desk.phase = "idle"
            elif roll < 0.12:
                hall.press(window, "finish", outcome="一并办理", next_service=rng.choice(others))
                outcome["multi"] += 1
                desk.until = now + rng.uniform(2, 5) * 60
            else:
                case_id = str(rng.randint(1, 10_000)) if rng.random() < 0.7 else None
                number = hall.read(lambda book, w=window: book.windows[w].ticket)
                hall.press(window, "finish", outcome="受理", case_id=case_id)
                desk.phase = "idle"
                rate(hall, rng, window, number, outcome)


def shows_latest(hall: SimHall, number: str) -> bool:
    shown = hall.display.shown
    return shown is not None and shown.latest is not None and shown.latest.number == number


def servers(book: QueueBook, ticket: Ticket) -> set[int]:
    if ticket.pinned_window is not None:
        return {ticket.pinned_window}
    return {window.number for window in book.config.windows if ticket.service in window.services}


def rate(hall: SimHall, rng: random.Random, window: int, number: str, outcome: Counter[str]) -> None:
    evaluator = hall.windows[window].evaluator
    asked = wait_until(lambda: evaluator.asking is not None and evaluator.asking.number == number, timeout=10)
    assert asked, f"evaluator {window} was not asked about {number}"
    roll = rng.random()
    if roll < 0.13:
        outcome["unanswered"] += 1  # walks away: the rating times out
        return
    level = rng.choice((4, 5)) if roll < 0.87 else rng.choice((1, 2))
    hall.rate(window, level, attitude=level)
    outcome["rated"] += 1


def test_a_morning_with_a_restart_loses_no_ticket(mosquitto: Broker, tmp_path: Path) -> None:
    rng = random.Random(20261123)
    with sim_hall(mosquitto.url, tmp_path / "controller") as hall:
        for window in hall.windows:
            hall.press(window, "sign-in", clerk=f"clerk-{window:02d}")
        arrivals = sorted(rng.uniform(0, 150 * 60) for _ in range(TICKETS))
        desks = {window: Desk() for window in hall.windows}
        kinds: Counter[str] = Counter()
        outcome: Counter[str] = Counter()
        start = hall.clock()
        issued = 0
        restarted_with: tuple[int, str] | None = None
        while True:
            elapsed = hall.clock() - start
            while issued < TICKETS and arrivals[issued] <= elapsed:
                issue(hall, rng, issued, kinds)
                issued += 1
            if restarted_with is None and elapsed >= 90 * 60:
                before = hall.book()
                restarted_with = (len(before.tickets), before.calls[-1].number)
                hall.restart_controller()
                after = hall.book()
                assert len(after.tickets) == restarted_with[0]
                assert all(after.windows[w].clerk == f"clerk-{w:02d}" for w in hall.windows)
                # the main display is shown the current calls again by the new controller
                assert after.calls[-1].number == restarted_with[1]
                assert wait_until(partial(shows_latest, hall, restarted_with[1]))
            serve_round(hall, rng, desks, hall.clock(), outcome)
            if (
                issued == TICKETS
                and all(d.phase == "idle" for d in desks.values())
                and not hall.book().waiting()
            ):
                break
            assert elapsed < 8 * 3600, "the morning never ended"
            hall.clock.advance(STEP)

        assert restarted_with is not None
        book = hall.book()
        assert len(book.tickets) == TICKETS == sum(kinds.values())
        # kiosk and appointment tickets are printed; window and remote ones are not
        assert wait_until(lambda: len(hall.printer.printed) == kinds["kiosk"] + kinds["appointment"])
        # no-starvation bound held all morning
        assert max(ticket.overtaken for ticket in book.tickets.values()) <= book.config.overtake_limit
        assert outcome["transfer"] and outcome["no_show"] and outcome["multi"]

        # a bad rating opened a follow-up the manager sees, with a deadline; a callback closes it
        hall.clock.advance(120)  # unanswered ratings time out
        assert wait_until(
            lambda: all(r.state is not RatingState.PENDING for r in hall.book().ratings.values())
        )
        follow_ups = hall.api("GET", "/follow-ups").json()
        bad = sum(1 for r in book.ratings.values() if r.level is not None and r.level <= 2)
        assert bad and len(follow_ups) == bad
        assert follow_ups[0]["due"] > book.day.isoformat()
        closed = hall.api(
            "POST",
            f"/follow-ups/{follow_ups[0]['follow_up_id']}/callbacks",
            json={"note": "已回访", "close": True},
        )
        assert closed.status_code == 200 and closed.json()["closed_at"] is not None
        assert len(hall.api("GET", "/follow-ups").json()) == bad - 1
        rated = [r for r in book.ratings.values() if r.state is RatingState.RATED]
        timed_out = [r for r in book.ratings.values() if r.state is RatingState.TIMED_OUT]
        assert len(rated) == outcome["rated"] and len(timed_out) == outcome["unanswered"]
        with_case = {r.rating_id for r in rated if r.case_id}
        assert {entry.key for entry in hall.extension.outbox.entries()} == with_case

        # statistics for the manager, as CSV
        csv_text = hall.api("GET", "/stats.csv").text
        assert csv_text.count("\nservice,") == 3 and csv_text.count("\nwindow,") == 6

        # the day ends: the clock passes midnight and the queue rolls over
        day = book.day
        hall.clock.advance(24 * 3600)
        assert wait_until(lambda: hall.book().day != day)
        journal = [body for _key, body in hall.controller.store.collection(journal_name(day)).items()]
        closed_day = QueueBook.replay(hall.config, day, [from_json(body) for body in journal])
        states = Counter(ticket.state for ticket in closed_day.tickets.values())
        assert len(closed_day.tickets) == TICKETS
        assert all(ticket.state in FINAL_STATES for ticket in closed_day.tickets.values()), states
        assert states[TicketState.FINISHED] + states[TicketState.NO_SHOW] == TICKETS, states
        terminal = Counter(
            event["number"]
            for event in journal
            if event["type"] == "no_show" or (event["type"] == "finished" and not event.get("next_service"))
        )
        assert set(terminal.values()) == {1} and len(terminal) == TICKETS
        assert hall.api("GET", "/state").json()["day"] != day.isoformat()
