"""The controller's state that must survive a restart: one SQLite file under the data dir.

Every extension keeps its records (tickets, counters, lockers, alarms...) as JSON documents in named
collections::

    tickets = context.store.collection("queue.tickets")
    tickets.put("A012", {"number": "A012", "status": "waiting"})
    tickets.get("A012")
    with context.store.transaction():      # several writes, all or nothing
        tickets.put(...); counters.put(...)

Writes are committed before `put` returns (WAL mode, synchronous=FULL), so a crash loses nothing
that was acknowledged. Thread-safe; keep documents small (they are read whole).

`append` is the one fast write, for a journal written on the hot path (the queue's): committed before it
returns as well — a killed process loses nothing, the commit is in the WAL file in the operating system's
hands — but the WAL is not fsynced by the commit (appends go through a second connection, kept at
synchronous=NORMAL). The store's flusher thread fsyncs the WAL `FLUSH_SECONDS` after such a commit
(plus the time an fsync takes), so a power failure loses at most the appends of about the last
`FLUSH_SECONDS` (docs/adr/0009). Any later `put` (synchronous=FULL) makes them durable at once too.

No write checkpoints the WAL into the database file: SQLite's automatic checkpoint (every 1,000 pages, with
two fsyncs) made one append in ~440 take 3–4 ms, on a keypad's call. The flusher thread checkpoints
instead, on a connection of its own, once `CHECKPOINT_WRITES` writes have gone to the WAL (checked every
`CHECKPOINT_SECONDS`); a passive checkpoint lets writes go on meanwhile (docs/adr/0014).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# How long an `append` may stay in the page cache before the flusher fsyncs the WAL: the window of loss
# on power failure (measured and chosen in docs/adr/0009).
FLUSH_SECONDS = 0.2
# The flusher checkpoints the WAL after this many writes (~1,000 pages, SQLite's own default), looking every
# CHECKPOINT_SECONDS.
CHECKPOINT_WRITES = 300
CHECKPOINT_SECONDS = 1.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    updated REAL NOT NULL DEFAULT (julianday('now')),
    PRIMARY KEY (collection, key)
);
"""


UPSERT = (
    "INSERT INTO documents (collection, key, body) VALUES (?, ?, ?) "
    "ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body, updated = julianday('now')"
)


class StoreError(RuntimeError):
    """The controller's database could not be read or written."""


class Store:
    def __init__(self, path: Path, *, checkpoint_writes: int = CHECKPOINT_WRITES) -> None:
        self.path = path
        self.checkpoint_writes = checkpoint_writes
        self._lock = threading.RLock()
        self._depth = 0
        self._connection: sqlite3.Connection | None = None
        # The appends' own connection, synchronous=NORMAL for good: one statement an append. (Switching
        # the main connection to NORMAL and back took three, and SQLite lets go of the GIL at each, so an
        # append waited three times for the other threads — the pump, the MQTT loop — to hand it back.)
        self._appender: sqlite3.Connection | None = None
        self._unflushed = threading.Event()  # an `append` was committed and not yet fsynced
        self._closing = threading.Event()
        self._flusher: threading.Thread | None = None
        self._checkpointer: sqlite3.Connection | None = None  # the flusher's own
        self._checkpointed_at = 0  # `_changes()` at the last checkpoint
        self.flushes = 0
        self.checkpoints = 0

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            connection.executescript(SCHEMA)
            appender = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            appender.execute("PRAGMA synchronous=NORMAL")
            appender.execute("PRAGMA wal_autocheckpoint=0")
            checkpointer = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            checkpointer.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the controller database {self.path}: {err}") from err
        self._connection = connection
        self._appender = appender
        self._checkpointer = checkpointer
        self._closing.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="store-flusher", daemon=True)
        self._flusher.start()

    def close(self) -> None:
        self._closing.set()
        self._unflushed.set()  # wakes the flusher, which flushes what is left and ends
        if self._flusher is not None:
            self._flusher.join(5)
            self._flusher = None
        with self._lock:
            for connection in (self._checkpointer, self._appender, self._connection):
                if connection is not None:
                    connection.close()
            self._connection = self._appender = self._checkpointer = None

    # ------------------------------------------------------------------ the fast write

    def append(self, collection: str, key: str, body: str) -> None:
        """Inserts (or replaces) one document, committed but fsynced within `FLUSH_SECONDS` by the flusher.

        The only write with relaxed durability: a process crash loses nothing, a power failure at most the
        last `FLUSH_SECONDS` of appends. `body` is the document's JSON text.
        """
        with self._lock:
            self._require()
            if self._depth:  # inside a transaction: its commit decides, as for any write
                self.execute(UPSERT, (collection, key, body))
                return
            assert self._appender is not None  # opened and closed with the main connection
            try:
                self._appender.execute(UPSERT, (collection, key, body))
            except sqlite3.Error as err:
                raise StoreError(f"controller database: {err}") from err
            self._unflushed.set()

    def flush(self) -> None:
        """Makes every committed write durable now: fsyncs the WAL file (SQLite keeps it open)."""
        self._unflushed.clear()
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            descriptor = os.open(wal, os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: everything is in the database file, synced by its checkpoint
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        self.flushes += 1

    def checkpoint(self) -> None:
        """Copies the WAL's committed pages into the database file (passive: writers are not held up)."""
        with self._lock:
            self._checkpointed_at = self._changes()
            checkpointer = self._checkpointer
        if checkpointer is None:
            return
        checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.checkpoints += 1

    def _changes(self) -> int:
        """Rows written through both connections since they opened."""
        return sum(c.total_changes for c in (self._connection, self._appender) if c is not None)

    def _flush_loop(self) -> None:
        while True:
            if self._unflushed.wait(CHECKPOINT_SECONDS):
                if not self._closing.is_set():
                    # Group the appends of the next moment into one fsync; the window of loss stays bounded.
                    self._closing.wait(FLUSH_SECONDS)
                try:
                    self.flush()
                except OSError:  # the next append or put tries again; a full disk shows up there
                    log.exception("cannot flush the controller database %s", self.path)
            if self._closing.is_set():
                return
            if self._changes() - self._checkpointed_at >= self.checkpoint_writes:
                try:
                    self.checkpoint()
                except sqlite3.Error:  # a busy or failing checkpoint is tried again after more writes
                    log.exception("cannot checkpoint the controller database %s", self.path)

    def collection(self, name: str) -> Collection:
        return Collection(self, name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            connection = self._require()
            outermost = self._depth == 0
            if outermost:
                connection.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    connection.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                connection.execute("COMMIT")

    def _require(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the controller database is not open")
        return self._connection

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._require().execute(sql, parameters).fetchall()
            except sqlite3.Error as err:
                raise StoreError(f"controller database: {err}") from err


class Collection:
    """Named JSON documents by key."""

    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self.name = name

    def put(self, key: str, document: dict[str, Any]) -> None:
        self._store.execute(UPSERT, (self.name, key, _dump(document)))

    def append(self, key: str, document: dict[str, Any]) -> None:
        """`put` for a journal on the hot path: durable against a crash at once, against power loss within
        `FLUSH_SECONDS` (see `Store.append`)."""
        self._store.append(self.name, key, _dump(document))

    def get(self, key: str) -> dict[str, Any] | None:
        rows = self._store.execute(
            "SELECT body FROM documents WHERE collection = ? AND key = ?", (self.name, key)
        )
        return _load(rows[0][0]) if rows else None

    def delete(self, key: str) -> bool:
        with self._store.transaction():
            existed = self.get(key) is not None
            self._store.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (self.name, key))
        return existed

    def prune(self, *, older_than_days: float) -> int:
        """Deletes the documents last written more than `older_than_days` ago; how many went."""
        gone = self._store.execute(
            "DELETE FROM documents WHERE collection = ? AND updated < julianday('now') - ? RETURNING key",
            (self.name, older_than_days),
        )
        return len(gone)

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        rows = self._store.execute(
            "SELECT key, body FROM documents WHERE collection = ? ORDER BY key", (self.name,)
        )
        return [(str(key), _load(body)) for key, body in rows]

    def latest(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """The `limit` documents written last, newest first."""
        rows = self._store.execute(
            "SELECT key, body FROM documents WHERE collection = ? ORDER BY updated DESC, rowid DESC LIMIT ?",
            (self.name, limit),
        )
        return [(str(key), _load(body)) for key, body in rows]

    def count_by(self, field: str) -> dict[str, int]:
        """How many documents have each value of a top-level `field`, counted in SQL."""
        rows = self._store.execute(
            "SELECT json_extract(body, ?), count(*) FROM documents WHERE collection = ? GROUP BY 1",
            (f"$.{field}", self.name),
        )
        return {str(value): int(count) for value, count in rows}

    def __len__(self) -> int:
        rows = self._store.execute("SELECT count(*) FROM documents WHERE collection = ?", (self.name,))
        return int(rows[0][0])


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _load(body: str) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise StoreError("a stored document is not a JSON object")
    return value
