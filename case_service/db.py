"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

# SQLite engines: their writers' queue, for statements run outside SQLAlchemy's execution (storage.rawsql).
_WRITERS: weakref.WeakKeyDictionary[Engine, _WriterQueue] = weakref.WeakKeyDictionary()


def begin_write(engine: Engine, dbapi_connection: Any) -> None:
    """Call before the first writing statement run on a DBAPI connection of `engine` directly: on SQLite
    it waits for this process's other writers, as statements through SQLAlchemy do. Elsewhere: nothing."""
    queue = _WRITERS.get(engine)
    if queue is not None:
        queue.take(dbapi_connection)


def end_write(engine: Engine, dbapi_connection: Any) -> None:
    """Call after the COMMIT or ROLLBACK of a connection that `begin_write` let in: the next writer goes.
    (Returning the connection to the pool does it too; this is earlier.)"""
    queue = _WRITERS.get(engine)
    if queue is not None:
        queue.give(dbapi_connection)


def make_engine(url: str) -> Engine:
    """Accepts `postgresql://` as shorthand for the psycopg 3 driver."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        _serialise_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_poll_engine(engine: Engine) -> Engine:
    """For the status poll's single read. On PostgreSQL a small pool of its own in autocommit, without
    the pre-ping: one round trip per poll instead of four (BEGIN, the ping, the query, ROLLBACK); a
    connection found dead is retried once by the caller. SQLite: the engine itself."""
    if engine.dialect.name == "sqlite":
        return engine
    return create_engine(
        engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_size=10, max_overflow=10
    )


def make_filing_engine(engine: Engine) -> Engine:
    """For the submission's RawTransactions. On PostgreSQL a pool of its own without the pre-ping (a
    round trip and ~0.1 ms of CPU per submission): RawTransaction replaces a connection found dead at
    its first statement, before anything was sent in the transaction. SQLite: the engine itself (its
    writers' queue is per engine)."""
    if engine.dialect.name == "sqlite":
        return engine
    return create_engine(engine.url, pool_pre_ping=False, pool_size=10, max_overflow=10)


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(bind=engine, expire_on_commit=False)


class _WriterQueue:
    """SQLite has one writer at a time. Threads of this process that want to write queue on a Python
    lock from their first writing statement until their connection is back in the pool (SQLAlchemy's
    sessions and connections) or `end_write` (storage.rawsql, right after its COMMIT), instead of in
    SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between retries and so wastes most of a busy
    second: without this queue the bench's SQLite submissions/s fall by about 40 %. Readers are not
    affected (WAL); other processes still meet the busy handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: set[int] = set()  # id() of the DBAPI connections holding the lock

    def take(self, dbapi_connection: Any) -> None:
        key = id(dbapi_connection)
        if key not in self._holders:
            self._lock.acquire()
            self._holders.add(key)

    def give(self, dbapi_connection: Any) -> None:
        if id(dbapi_connection) in self._holders:
            self._holders.discard(id(dbapi_connection))
            self._lock.release()


def _serialise_sqlite_writers(engine: Engine) -> None:
    queue = _WRITERS[engine] = _WriterQueue()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA")):
            queue.take(conn.connection.dbapi_connection)

    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection: Any, _record: Any) -> None:
        queue.give(dbapi_connection)  # after the pool's reset (a ROLLBACK) of a connection given back

    @event.listens_for(engine.pool, "invalidate")
    def _invalidate(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        queue.give(dbapi_connection)
