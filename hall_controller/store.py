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
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    updated REAL NOT NULL DEFAULT (julianday('now')),
    PRIMARY KEY (collection, key)
);
"""


class StoreError(RuntimeError):
    """The controller's database could not be read or written."""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._connection: sqlite3.Connection | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the controller database {self.path}: {err}") from err
        self._connection = connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

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
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        self._store.execute(
            "INSERT INTO documents (collection, key, body) VALUES (?, ?, ?) "
            "ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body, updated = julianday('now')",
            (self.name, key, body),
        )

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


def _load(body: str) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise StoreError("a stored document is not a JSON object")
    return value
