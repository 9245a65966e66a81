"""Typed queue events read the journals written before them, and write the same JSON back.

`data/journal-before-typed-events.json` was written by the controller before events were typed (book.py
of commit f0a09cf, one event of every kind), together with the state that controller rebuilt from it.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from hall.calendar import CHINA_TZ
from hall_controller.queue.book import QueueBook, TicketState
from hall_controller.queue.config import Priority, demo_config
from hall_controller.queue.events import EVENT_TYPES, Finished, Issued, Rated, Source, from_json, to_json
from hall_controller.queue.service import QueueService, journal_name
from hall_controller.store import Store

OLD = json.loads((Path(__file__).parent / "data" / "journal-before-typed-events.json").read_text("utf-8"))
DAY = date.fromisoformat(OLD["day"])


def summary(book: QueueBook) -> dict[str, Any]:
    """The same summary the old controller's state was recorded as."""
    return {
        "tickets": {
            n: {
                "state": t.state.value,
                "service": t.service,
                "priority": t.priority.value,
                "source": t.source.value,
                "person": t.person,
                "case_id": t.case_id,
                "window": t.window,
                "visits": len(t.visits),
                "overtaken": t.overtaken,
                "entry_seq": t.entry_seq,
            }
            for n, t in book.tickets.items()
        },
        "windows": {
            str(n): {
                "clerk": w.clerk,
                "paused": w.paused,
                "open_seconds": w.open_seconds,
                "busy_seconds": w.busy_seconds,
                "paused_seconds": w.paused_seconds,
            }
            for n, w in book.windows.items()
        },
        "ratings": {
            r: {
                "state": q.state.value,
                "level": q.level and int(q.level),
                "dimensions": q.dimensions,
                "channel": q.channel,
                "case_id": q.case_id,
            }
            for r, q in book.ratings.items()
        },
        "follow_ups": {
            f: {"due": u.due, "callbacks": len(u.callbacks), "closed_at": u.closed_at}
            for f, u in book.follow_ups.items()
        },
        "calls": len(book.calls),
        "sequence": book.sequence,
    }


def test_the_old_journal_holds_every_kind_of_event() -> None:
    assert {event["type"] for event in OLD["events"]} == set(EVENT_TYPES)


@pytest.mark.parametrize("body", OLD["events"], ids=lambda body: str(body["type"]))
def test_each_journaled_event_reads_and_writes_back_unchanged(body: dict[str, Any]) -> None:
    event = from_json(body)
    assert body["type"] == type(event).TYPE
    assert to_json(event) == body
    assert json.loads(json.dumps(to_json(event))) == body


def test_an_old_journal_replays_through_the_service_to_the_state_it_had(tmp_path: Path) -> None:
    store = Store(tmp_path / "controller.db")
    store.open()
    try:
        journal = store.collection(journal_name(DAY))
        for number, body in enumerate(OLD["events"]):
            journal.put(f"{number:09d}", body)
        evening = datetime(DAY.year, DAY.month, DAY.day, 20, 0, tzinfo=CHINA_TZ).timestamp()
        service = QueueService(demo_config(), store, lambda: evening)
        service.start()
        assert service.read(summary) == OLD["state"]
        # The next event is journaled in the same form, after the old ones.
        service.run(lambda book, now: book.ask_kiosk_rating("C-78", now))
        assert len(journal) == len(OLD["events"]) + 1
        added = journal.get(f"{len(OLD['events']):09d}")
        assert added is not None and re.fullmatch(r"k-[0-9a-f]{24}", added.pop("rating_id"))  # unguessable
        assert added == {"type": "rating_asked", "case_id": "C-78", "at": evening}
    finally:
        store.close()


def test_optional_fields_missing_from_older_events_default_to_none() -> None:
    issued = from_json({"type": "issued", "number": "A001", "service": "business", "priority": "ordinary",
                        "source": "window", "at": 1})  # fmt: skip
    assert issued == Issued("A001", "business", Priority.ORDINARY, Source.WINDOW, 1.0)
    finished = from_json({"type": "finished", "number": "A001", "window": 1, "outcome": "办结", "at": 2})
    assert finished == Finished("A001", 1, "办结", 2.0)
    rated = from_json({"type": "rated", "rating_id": "r-1", "level": 5, "at": 3})
    assert rated == Rated("r-1", 5, 3.0)


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown queue event 'teleported'"):
        from_json({"type": "teleported", "at": 1})


def test_the_waiting_tickets_kept_in_step_are_those_a_scan_finds_after_every_event() -> None:
    """The book keeps its waiting tickets apart (a call reads them without scanning the day): after
    each event of every kind (transfers back into the queue, the day's close) they are exactly the
    tickets in state waiting, in the order they were issued."""
    events = [from_json(body) for body in OLD["events"]]
    transfers = 0
    for count in range(len(events) + 1):
        book = QueueBook.replay(demo_config(), DAY, events[:count])
        scanned = [ticket for ticket in book.tickets.values() if ticket.state is TicketState.WAITING]
        assert book.waiting() == scanned, f"after {count} events"
        for service in ("business", "social", "permits"):
            assert book.waiting(service) == [ticket for ticket in scanned if ticket.service == service]
        transfers += count > 0 and events[count - 1].TYPE == "transferred"
    assert transfers and any(event.TYPE == "day_closed" for event in events)  # both paths were walked
