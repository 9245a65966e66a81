"""The live queue: one `QueueBook` per day behind a lock, journaled in the controller's store.

Each event the book produces is written to the store (one collection per day, committed before the command
returns) and only then handed to the listeners (the extension's output pump): a display never shows a call
the journal does not hold, whenever the process is killed. The journal uses the store's one fast write
(`Collection.append`: no fsync per call; the WAL is fsynced within `store.FLUSH_SECONDS`, docs/adr/0009).
On start the current day's journal is replayed; when the local date changes the old day is closed (open
tickets expire) and a new book starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from hall.calendar import china_day
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import QueueConfig
from hall_controller.queue.events import QueueEvent, from_json, to_json
from hall_controller.store import Collection, Store

log = logging.getLogger(__name__)

T = TypeVar("T")
META = "queue.meta"


JOURNAL_PREFIX = "queue.journal."


def journal_name(day: date) -> str:
    return f"{JOURNAL_PREFIX}{day.isoformat()}"


class QueueService:
    def __init__(
        self,
        config: QueueConfig,
        store: Store,
        clock: Callable[[], float],
        listener: Callable[[QueueBook, QueueEvent], None] | None = None,
    ) -> None:
        self.config = config
        self._store = store
        self._clock = clock
        self._listener = listener
        self._lock = threading.RLock()
        self._meta = store.collection(META)
        self._journal: Collection | None = None
        self._book: QueueBook | None = None
        self._next_key = 0

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        with self._lock:
            stored = self._meta.get("day")
            today = china_day(self._clock())
            day = date.fromisoformat(stored["day"]) if stored else today
            self._open(day)
            if day != today:
                self._roll(today)

    def _open(self, day: date) -> None:
        journal = self._store.collection(journal_name(day))
        events = [from_json(body) for _key, body in journal.items()]
        self._book = QueueBook.replay(self.config, day, events, sink=self._record)
        self._journal = journal
        self._next_key = len(events)
        self._meta.put("day", {"day": day.isoformat()})
        log.info("queue of %s opened with %d journaled events", day, len(events))

    def _roll(self, today: date) -> None:
        book = self._require()
        expired = book.close_day(self._clock())
        log.info("queue day %s closed, %d open tickets expired; opening %s", book.day, len(expired), today)
        self._open(today)
        self._drop_old_journals(today)

    def _drop_old_journals(self, today: date) -> None:
        """Days older than `journal_days` leave the store, so a hall running for years does not fill its
        disk. ISO dates sort as text: "older" is a text comparison of the collections' names."""
        oldest_kept = journal_name(today - timedelta(days=self.config.journal_days - 1))
        gone = self._store.execute(
            "DELETE FROM documents WHERE collection LIKE ? AND collection < ? RETURNING collection",
            (f"{JOURNAL_PREFIX}%", oldest_kept),
        )
        if gone:
            days = len({name for (name,) in gone})
            log.info("queue journals of %d old day(s) dropped (kept from %s)", days, oldest_kept)

    def _record(self, event: QueueEvent) -> None:
        assert self._journal is not None and self._book is not None
        self._journal.append(f"{self._next_key:09d}", to_json(event))
        self._next_key += 1
        if self._listener is not None:
            self._listener(self._book, event)

    def _require(self) -> QueueBook:
        if self._book is None:
            raise RuntimeError("the queue service is not started")
        return self._book

    # ------------------------------------------------------------------ use

    def now(self) -> float:
        return self._clock()

    def run(self, action: Callable[[QueueBook, float], T]) -> T:
        """Runs `action(book, now)` under the lock, after rolling over to a new day if the date changed."""
        with self._lock:
            now = self._clock()
            today = china_day(now)
            if self._require().day != today:
                self._roll(today)
            return action(self._require(), now)

    def read(self, action: Callable[[QueueBook], T]) -> T:
        with self._lock:
            return action(self._require())

    def books(self, first: date, last: date) -> list[QueueBook]:
        """The books of the days from `first` to `last` that have a journal, replayed from it without
        listeners (today's too: its journal is written under the lock): for figures over a range."""
        books = []
        for offset in range((last - first).days + 1):  # never steps past `last` (9999-12-31 has no next)
            day = first + timedelta(days=offset)
            with self._lock:
                events = self._journal_events(day)
            if events:
                books.append(QueueBook.replay(self.config, day, events))
        return books

    def _journal_events(self, day: date) -> list[QueueEvent]:
        return [from_json(body) for _key, body in self._store.collection(journal_name(day)).items()]

    def tick(self) -> dict[str, Any]:
        """Rating time-outs and the day's roll-over; called every fraction of a second."""
        return self.run(lambda book, now: {"expired": book.expire_ratings(now)})
