"""A Core SELECT run straight on a pooled DBAPI connection, for hot single-row reads.

SQLAlchemy's execution machinery (connection wrapper, execution context, result object) costs about
five times the query itself for a primary-key read on SQLite. `RawSelect` compiles the statement once
per dialect, runs it on the pool's DBAPI connection and applies the column types' own result
processors (dates on SQLite are stored as text), so callers get the same Python values as from Core.
A connection found dead (database restart, failover) is invalidated and the read retried once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Engine, Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # bind names in order, for qmark/format paramstyles
    processors: tuple[Callable[[Any], Any] | None, ...]


class RawSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            with self._lock:
                done = self._statement.compile(dialect=dialect)
                compiled = _Compiled(
                    sql=str(done),
                    positional=tuple(done.positiontup or ()) if done.positional else None,
                    processors=tuple(
                        column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in self._statement.selected_columns
                    ),
                )
                self._compiled[dialect.name] = compiled
        return compiled

    def first(self, engine: Engine, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        compiled = self._for(engine.dialect)
        args: Any = (
            tuple(params[name] for name in compiled.positional)
            if compiled.positional is not None
            else dict(params)
        )
        dbapi_error: Any = engine.dialect.loaded_dbapi.Error  # the driver's own DB-API Error class
        for attempt in (1, 2):
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(compiled.sql, args)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except dbapi_error as err:
                if attempt == 1 and engine.dialect.is_disconnect(err, connection.dbapi_connection, None):
                    connection.invalidate(err)
                    continue
                raise
            finally:
                connection.close()
            if row is None:
                return None
            return tuple(
                value if process is None else process(value)
                for value, process in zip(row, compiled.processors, strict=True)
            )
        raise AssertionError("unreachable: the second attempt returns or raises")
