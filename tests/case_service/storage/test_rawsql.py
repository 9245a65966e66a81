"""Raw statements (the submission's path) store and read the same values as Core, and end their
transactions: a rollback leaves nothing and lets the next writer in."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from case_service.db import make_filing_engine, make_session_factory
from case_service.storage.models import Case, IdempotencyRecord
from case_service.storage.rawsql import RawStatement, RawTransaction

pytestmark = pytest.mark.integration

_KEYS = cast(Table, IdempotencyRecord.__table__)
_STORE = RawStatement(
    insert(_KEYS), keys=("scope", "key", "request_hash", "status_code", "response", "created_at")
)
_FIND = RawStatement(
    select(_KEYS.c.key, _KEYS.c.status_code, _KEYS.c.response, _KEYS.c.created_at).where(
        _KEYS.c.scope == bindparam("scope")
    )
)


def _row(key: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "scope": "test",
        "key": key,
        "request_hash": "h" * 64,
        "status_code": 201,
        "response": {"名": "张三", "n": [1, 2], "none": None},
        "created_at": at,
    }


def test_raw_rows_read_back_as_through_core_and_the_orm(engine: Engine) -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    with RawTransaction(engine) as tx:
        tx.execute(_STORE, _row("a", at))
        tx.execute_many(_STORE, [_row("b", at), _row("c", at)])
        tx.commit()
    with Session(engine) as session:
        stored = session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.key)).all()
        core = session.execute(_FIND_CORE, {"scope": "test"}).all()
    assert [record.key for record in stored] == ["a", "b", "c"]
    assert all(record.response == _row("x", at)["response"] for record in stored)
    assert all(record.created_at.replace(tzinfo=dt.UTC) == at for record in stored)
    with RawTransaction(engine) as tx:
        raw = tx.execute(_FIND, {"scope": "test"})
    assert sorted(raw) == sorted(tuple(row) for row in core)  # the same Python values as Core's


_FIND_CORE = select(_KEYS.c.key, _KEYS.c.status_code, _KEYS.c.response, _KEYS.c.created_at).where(
    _KEYS.c.scope == bindparam("scope")
)


def test_leaving_without_commit_rolls_back_and_lets_the_next_writer_in(engine: Engine) -> None:
    at = dt.datetime.now(dt.UTC)
    with pytest.raises(RuntimeError), RawTransaction(engine) as tx:
        tx.execute(_STORE, _row("lost", at))
        raise RuntimeError("the request failed after writing")
    sessions = make_session_factory(engine)

    def write_through_a_session() -> None:
        with sessions() as session:
            session.add(IdempotencyRecord(**_row("next", at)))
            session.commit()

    # On SQLite a writer left holding this process's writers' queue would block here for good.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(write_through_a_session).result(timeout=20)
    with Session(engine) as session:
        assert session.scalars(select(IdempotencyRecord.key)).all() == ["next"]


def test_a_committed_writer_lets_the_next_one_in_while_it_is_still_open(engine: Engine) -> None:
    at = dt.datetime.now(dt.UTC)
    sessions = make_session_factory(engine)

    def write_raw(key: str) -> None:
        with RawTransaction(engine) as tx:
            tx.execute(_STORE, _row(key, at))
            tx.commit()

    # On SQLite each writer below must leave this process's writers' queue at its COMMIT, not when its
    # session or transaction is left: the other thread's write would block here for good.
    with ThreadPoolExecutor(1) as pool:
        with sessions() as session:
            session.add(IdempotencyRecord(**_row("session", at)))
            session.commit()
            pool.submit(write_raw, "raw after the session").result(timeout=20)
        with RawTransaction(engine) as tx:
            tx.execute(_STORE, _row("raw", at))
            tx.commit()
            pool.submit(write_raw, "raw after the raw").result(timeout=20)
    with Session(engine) as session:
        assert sorted(session.scalars(select(IdempotencyRecord.key))) == [
            "raw",
            "raw after the raw",
            "raw after the session",
            "session",
        ]


def test_a_duplicate_key_raises_the_drivers_integrity_error(engine: Engine) -> None:
    at = dt.datetime.now(dt.UTC)
    with RawTransaction(engine) as tx:
        tx.execute(_STORE, _row("once", at))
        tx.commit()
        with pytest.raises(tx.integrity_error):
            tx.execute(_STORE, _row("once", at))
        tx.rollback()
        assert [row[0] for row in tx.execute(_FIND, {"scope": "test"})] == ["once"]


def test_an_insert_leaving_out_a_column_with_a_default_is_refused() -> None:
    # Core would fill `is_open` and the others in; a raw statement would silently store NULL.
    with pytest.raises(ValueError, match="is_open"):
        RawStatement(insert(cast(Table, Case.__table__)), keys=("number", "item_id"))


def test_prefetched_reads_answer_once_and_a_rollback_drops_them(engine: Engine) -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with RawTransaction(engine) as tx:
        tx.execute(_STORE, _row("a", at))
        tx.commit()
    with RawTransaction(engine) as tx:
        tx.prefetch([(_FIND, {"scope": "test"}), (_FIND, {"scope": "other"})])
        tx.execute(_STORE, _row("b", at))  # after the read-ahead: not in its answer
        assert [row[0] for row in tx.execute(_FIND, {"scope": "test"})] == ["a"]
        assert tx.execute(_FIND, {"scope": "other"}) == []
        assert sorted(row[0] for row in tx.execute(_FIND, {"scope": "test"})) == ["a", "b"]  # asked again
        tx.prefetch([(_FIND, {"scope": "test"})])
        tx.rollback()
        assert [row[0] for row in tx.execute(_FIND, {"scope": "test"})] == ["a"]
    with pytest.raises(ValueError), RawTransaction(engine) as tx:
        tx.prefetch([(_STORE, _row("c", at))])


def test_a_connection_dropped_before_the_transaction_is_replaced(engine: Engine) -> None:
    """The filing pool does not pre-ping: a connection found dead at its first statement is replaced."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to drop")
    filing = make_filing_engine(engine)
    try:
        with RawTransaction(filing) as tx:  # one connection into the pool
            assert tx.execute(_FIND, {"scope": "test"}) == []
        with engine.connect() as connection:
            killed = connection.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar_one()
        assert killed >= 1
        at = dt.datetime.now(dt.UTC)
        with RawTransaction(filing) as tx:
            tx.prefetch([(_FIND, {"scope": "test"})])
            assert tx.execute(_FIND, {"scope": "test"}) == []
            tx.execute(_STORE, _row("after", at))
            tx.commit()
        with RawTransaction(filing) as tx:
            assert [row[0] for row in tx.execute(_FIND, {"scope": "test"})] == ["after"]
    finally:
        filing.dispose()


def test_waiting_writes_go_with_the_commit_and_a_rollback_drops_them(engine: Engine) -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with RawTransaction(engine) as tx:
        tx.later(_STORE, [_row("a", at), _row("b", at)])
        # Where writes wait (PostgreSQL) the rows are not sent yet; elsewhere they ran at once.
        assert len(tx.execute(_FIND, {"scope": "test"})) == (0 if tx.defers_writes else 2)
        tx.commit()
    with RawTransaction(engine) as tx:
        tx.later(_STORE, [_row("lost", at)])
        tx.rollback()
        tx.commit()
    with RawTransaction(engine) as tx:
        assert sorted(row[0] for row in tx.execute(_FIND, {"scope": "test"})) == ["a", "b"]
        with pytest.raises(ValueError):
            tx.later(_FIND, [{"scope": "test"}])
