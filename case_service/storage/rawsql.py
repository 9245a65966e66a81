"""Core statements run straight on a pooled DBAPI connection: the submission's transaction, the status poll.

SQLAlchemy's execution machinery (connection wrapper, execution context, cache key, result object) costs
several times the statement itself on SQLite, and a submission runs nine of them. `RawStatement`
compiles a Core statement once per dialect and keeps what SQLAlchemy would apply around it: the column
types' bind processors (dates as text on SQLite, JSON serialised), the literal binds the statement
carries, and the result processors of its selected or RETURNING columns. `RawTransaction` runs such
statements on one pooled connection: the same SQL, parameters and values as through Core, and on SQLite
the same queue of this process's writers (db.begin_write) as a Session's statements take. `read_one`
runs a single SELECT the same way, outside a transaction (the status poll).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import Dialect, Engine, Select
from sqlalchemy.sql.dml import Insert, UpdateBase

from case_service import db


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind names, in order for positional paramstyles
    positional: bool
    # per bind, in `names` order: its type's bind processor, and its value when not given (a literal of
    # the statement's own, else None)
    plan: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]
    result_processors: tuple[Callable[[Any], Any] | None, ...]


class RawStatement:
    """`keys`: for an INSERT without values, the columns given (as Core's `execute(insert, row)` does).
    Statements with expanding (IN list) parameters are not supported: they are compiled per call."""

    def __init__(self, statement: Select[Any] | UpdateBase, keys: Sequence[str] = ()) -> None:
        self._statement = statement
        self._keys = list(keys)
        self.writes = not isinstance(statement, Select)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        if isinstance(statement, Insert) and keys:
            table = statement.table
            missing = [
                column.name
                for column in getattr(table, "columns", ())
                if column.default is not None and column.name not in self._keys
            ]
            if missing:  # Core would fill these in; this class does not
                raise ValueError(f"give a value for the columns with defaults: {', '.join(missing)}")

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is not None:
            return compiled
        with self._lock:
            done = self._statement.compile(dialect=dialect, column_keys=self._keys or None)
            if done.literal_execute_params or done.post_compile_params:
                raise ValueError("expanding or post-compile parameters are not supported")
            binds = done.binds
            names = tuple(done.positiontup or ()) if done.positional else tuple(binds)
            bind_processors: dict[str, Callable[[Any], Any]] = {}
            defaults = {}
            for name, bind in binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    bind_processors[name] = process
                if not bind.required and bind.callable is None and name not in self._keys:
                    defaults[name] = bind.value
            returned = getattr(self._statement, "exported_columns", ())
            compiled = _Compiled(
                sql=str(done),
                names=names,
                positional=bool(done.positional),
                plan=tuple((name, bind_processors.get(name), defaults.get(name)) for name in names),
                result_processors=tuple(
                    column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
                ),
            )
            self._compiled[dialect.name] = compiled
        return compiled

    @staticmethod
    def arguments(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        """The DBAPI arguments: each bind's value (a bind not given: the statement's own literal, else
        NULL, as for a nullable column left out), through its type's bind processor."""
        values = []
        for name, process, default in compiled.plan:
            value = params.get(name, default)
            values.append(value if process is None or value is None else process(value))
        return tuple(values) if compiled.positional else dict(zip(compiled.names, values, strict=True))


class RawTransaction:
    """One transaction on one pooled DBAPI connection. Use as a context manager: leaving it without
    `commit` rolls back; the connection always goes back to the pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._pooled = engine.raw_connection()
        self._dbapi: Any = self._pooled.dbapi_connection
        self._writing = False
        self._fresh = True  # nothing sent on this connection in this transaction yet
        self._batching = False
        self._later: list[tuple[RawStatement, Sequence[Mapping[str, Any]]]] = []
        # PostgreSQL: writes whose results are not read wait for the transaction's last round trip.
        self.defers_writes = self._dialect.name == "postgresql"
        self.dialect_name = self._dialect.name
        self.integrity_error: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
        self.info: dict[str, Any] = {}  # as Session.info: what callers keep for this transaction
        # Rows read ahead by `prefetch`, by (statement, parameters): taken by the matching `execute`.
        self._ahead: dict[tuple[int, Any], list[tuple[Any, ...]]] = {}

    def __enter__(self) -> RawTransaction:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        try:
            if self._dbapi is not None and (self._writing or kind is not None):
                self.rollback()
        finally:
            self._pooled.close()

    def _before(self, statement: RawStatement) -> _Compiled:
        if statement.writes and not self._writing:
            db.begin_write(self._engine, self._dbapi)
            self._writing = True
        return statement.compiled(self._dialect)

    def _run(self, call: Callable[[Any], Any]) -> Any:
        fresh, self._fresh = self._fresh, False
        try:
            return self._run_once(call)
        except self._dialect.loaded_dbapi.Error:
            if not (fresh and self._dbapi is None and not self._batching):
                raise
        # The connection was dead at the transaction's first statement (a pool without the pre-ping):
        # nothing was done in it, so the statement runs again on a new one.
        self._pooled.close()
        self._pooled = self._engine.raw_connection()
        self._dbapi = self._pooled.dbapi_connection
        if self._writing:
            db.begin_write(self._engine, self._dbapi)
        return self._run_once(call)

    def _run_once(self, call: Callable[[Any], Any]) -> Any:
        cursor = self._pooled.cursor()
        try:
            return call(cursor)
        except self._dialect.loaded_dbapi.Error as err:
            if self._dialect.is_disconnect(err, self._dbapi, cursor):
                self._pooled.invalidate(err)
                self._dbapi = None
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def execute(
        self, statement: RawStatement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Runs the statement; its rows (selected or RETURNING columns) with the types' processing."""
        params = params or {}
        if self._ahead and not statement.writes:
            ahead = self._ahead.pop(_ahead_key(statement, params), None)
            if ahead is not None:
                return ahead
        compiled = self._before(statement)
        args = RawStatement.arguments(compiled, params)

        def call(cursor: Any) -> list[tuple[Any, ...]]:
            cursor.execute(compiled.sql, args)
            return _rows(cursor, compiled)

        result: list[tuple[Any, ...]] = self._run(call)
        return result

    def prefetch(self, reads: Sequence[tuple[RawStatement, Mapping[str, Any]]]) -> None:
        """Runs these SELECTs now, in one round trip where the driver pipelines (PostgreSQL), and keeps
        their rows for the `execute` of the same statement and parameters later in this transaction.
        Only for reads that the transaction's own writes in between would not change: each then answers
        as it would have a moment later (every statement of a READ COMMITTED transaction sees the
        database as of its own start anyway)."""
        if any(statement.writes or _ahead_key(statement, params)[1] is None for statement, params in reads):
            raise ValueError("only reads with plain (hashable) parameters are prefetched")
        compiled = [(statement.compiled(self._dialect), statement, params) for statement, params in reads]

        def call(cursor: Any) -> None:
            cursors = [cursor, *(self._pooled.cursor() for _ in compiled[1:])]
            try:
                with self.batch():
                    for each, (done, _, params) in zip(cursors, compiled, strict=True):
                        each.execute(done.sql, RawStatement.arguments(done, params))
                for each, (done, statement, params) in zip(cursors, compiled, strict=True):
                    self._ahead[_ahead_key(statement, params)] = _rows(each, done)
            finally:
                for each in cursors[1:]:
                    with contextlib.suppress(Exception):
                        each.close()

        self._run(call)

    def execute_many(self, statement: RawStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._before(statement)
        args = [RawStatement.arguments(compiled, row) for row in rows]
        self._run(lambda cursor: cursor.executemany(compiled.sql, args))

    def later(self, statement: RawStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Writes `rows` with `statement` (an INSERT or UPDATE whose result is not read). Where the
        driver pipelines (`defers_writes`) they wait and go with the COMMIT's round trip (`run_later`,
        or `commit` itself), in the order given; elsewhere they run now. Their errors then surface at
        that round trip, not here."""
        if not statement.writes:
            raise ValueError("only writes wait")
        if not self.defers_writes:
            self.execute_many(statement, rows)
            return
        self._before(statement)
        self._later.append((statement, rows))

    def run_later(self) -> None:
        """Sends the writes `later` kept (inside `batch`, with what follows them)."""
        waiting, self._later = self._later, []
        for statement, rows in waiting:
            if len(rows) == 1:
                self.execute(statement, rows[0])
            else:
                self.execute_many(statement, rows)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Statements whose results are not read until the block ends go in one round trip where the
        driver can (psycopg's pipeline mode); elsewhere this does nothing."""
        pipeline = getattr(self._dbapi, "pipeline", None)
        if pipeline is None:
            yield
            return
        self._batching = True
        try:
            with pipeline():
                yield
        finally:
            self._batching = False

    def commit(self) -> None:
        if self._later:
            self.run_later()
        self._ahead.clear()
        self._dialect.do_commit(self._dbapi)
        db.end_write(self._engine, self._dbapi)
        self._writing = False
        self.info.clear()

    def rollback(self) -> None:
        self.info.clear()
        self._ahead.clear()
        self._later.clear()
        try:
            if self._dbapi is not None:
                self._dialect.do_rollback(self._dbapi)
                db.end_write(self._engine, self._dbapi)
        finally:
            self._writing = False


def read_one(engine: Engine, statement: RawStatement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of a SELECT on a pooled connection, outside any transaction of the caller's: for a
    hot single-row read (the status poll). A connection found dead (database restart, failover) is
    invalidated and the read run once more on a new one."""
    if statement.writes:
        raise ValueError("read_one runs a SELECT")
    compiled = statement.compiled(engine.dialect)
    args = RawStatement.arguments(compiled, params)
    dbapi_error: Any = engine.dialect.loaded_dbapi.Error  # the driver's own DB-API Error class
    for attempt in (1, 2):
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, args)
                rows = _rows(cursor, compiled)
            finally:
                cursor.close()
        except dbapi_error as err:
            if attempt == 1 and engine.dialect.is_disconnect(err, connection.dbapi_connection, None):
                connection.invalidate(err)
                continue
            raise
        finally:
            connection.close()
        return rows[0] if rows else None
    raise AssertionError("unreachable: the second attempt returns or raises")


def _ahead_key(statement: RawStatement, params: Mapping[str, Any]) -> tuple[int, Any]:
    """Prefetched reads take plain (hashable) parameters; other reads simply find no entry."""
    try:
        return id(statement), frozenset(params.items())
    except TypeError:
        return id(statement), None


def _rows(cursor: Any, compiled: _Compiled) -> list[tuple[Any, ...]]:
    if cursor.description is None:
        return []
    rows = cursor.fetchall()
    processors = compiled.result_processors
    if not any(processors):
        return [tuple(row) for row in rows]
    return [
        tuple(
            value if process is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )
        for row in rows
    ]
