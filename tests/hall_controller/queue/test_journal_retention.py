"""Day journals older than `journal_days` leave the controller's store at a roll-over; the rest stay."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from hall.calendar import CHINA_TZ
from hall_controller.queue.config import demo_config
from hall_controller.queue.events import Source
from hall_controller.queue.service import JOURNAL_PREFIX, QueueService, journal_name
from hall_controller.store import Store


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now


def _journals(store: Store) -> list[str]:
    rows = store.execute(
        "SELECT DISTINCT collection FROM documents WHERE collection LIKE ? ORDER BY 1",
        (f"{JOURNAL_PREFIX}%",),
    )
    return [str(name) for (name,) in rows]


def test_a_roll_over_drops_the_journals_older_than_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "controller.db")
    store.open()
    try:
        today = date(2026, 11, 23)
        for age in (3, 4, 10):  # days the hall ran before, journaled (one event each suffices)
            store.collection(journal_name(today - timedelta(days=age))).put("000000000", {"kind": "old"})
        store.collection("queue.tickets-elsewhere").put("x", {"kept": True})  # not a journal
        config = demo_config().model_copy(update={"journal_days": 4})
        clock = Clock(datetime(2026, 11, 22, 9, 0, tzinfo=CHINA_TZ))
        service = QueueService(config, store, clock)
        service.start()
        service.run(lambda book, now: book.issue("business", now, source=Source.WINDOW))
        assert len(_journals(store)) == 4  # nothing dropped before a roll-over

        clock.now += 24 * 3600  # the 23rd: kept are the 20th to the 23rd
        service.run(lambda book, now: book.issue("business", now, source=Source.WINDOW))

        assert _journals(store) == [journal_name(today - timedelta(days=age)) for age in (3, 1, 0)]
        assert store.collection("queue.tickets-elsewhere").get("x") == {"kept": True}
        assert len(store.collection(journal_name(today))) >= 1
    finally:
        store.close()
