"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

# SQLite engines: how a statement outside SQLAlchemy's execution (storage.rawsql) joins the writers' queue.
_WRITE_GATES: weakref.WeakKeyDictionary[Engine, Callable[[Any], None]] = weakref.WeakKeyDictionary()


def begin_write(engine: Engine, dbapi_connection: Any) -> None:
    """Call before the first writing statement run on a DBAPI connection of `engine` directly: on SQLite
    it waits for this process's other writers, as statements through SQLAlchemy do (released by the
    dialect's commit or rollback, or when the connection goes back to the pool). Elsewhere: nothing."""
    gate = _WRITE_GATES.get(engine)
    if gate is not None:
        gate(dbapi_connection)


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


def _serialise_sqlite_writers(engine: Engine) -> None:
    """SQLite has one writer at a time. Threads of this process that want to write queue on a Python
    lock from their first writing statement until their COMMIT or ROLLBACK has run, instead of in
    SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between retries and so wastes most of a busy
    second. Readers are not affected (WAL); other processes still meet the busy handler."""
    lock = threading.Lock()
    holders: set[int] = set()  # id() of the DBAPI connections holding the lock
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def give(dbapi_connection: Any) -> None:
        if id(dbapi_connection) in holders:
            holders.discard(id(dbapi_connection))
            lock.release()

    def take(dbapi_connection: Any) -> None:
        key = id(dbapi_connection)
        if key not in holders:
            lock.acquire()
            holders.add(key)

    _WRITE_GATES[engine] = take

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA")):
            take(conn.connection.dbapi_connection)

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            give(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            give(dbapi_connection)

    # After the DBAPI call, not in the engine's commit/rollback events, which run before it.
    setattr(dialect, "do_commit", do_commit)  # noqa: B010
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010

    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection: Any, _record: Any) -> None:
        give(dbapi_connection)  # statements run outside a transaction (e.g. AUTOCOMMIT)

    @event.listens_for(engine.pool, "invalidate")
    def _invalidate(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        give(dbapi_connection)
