"""Locker records on SQLAlchemy Core: SQLite (the embedded default) or PostgreSQL.

The concurrency guarantees live here, each in one short transaction:
- a compartment is claimed by ``UPDATE ... WHERE state = 'free'``: of two clerks only one sees a row
  change, the other moves on to the next candidate;
- a case is in at most one active deposit (a unique ``active_case_id``);
- a pickup secret is used by ``UPDATE ... WHERE state = 'ready'``: single use even under races.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from hall_controller.lockers.allocation import Candidate, Size, rank

log = logging.getLogger(__name__)

metadata = sa.MetaData()

compartments = sa.Table(
    "locker_compartments",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("bank_id", sa.String(64), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, default="free"),
    sa.Column("deposit_id", sa.String(40)),
)

deposits = sa.Table(
    "locker_deposits",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("case_id", sa.String(64), nullable=False, index=True),
    sa.Column("active_case_id", sa.String(64), unique=True),
    sa.Column("compartment_id", sa.String(80), nullable=False),
    sa.Column("bank_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("code_hash", sa.String(64), index=True),
    sa.Column("qr_hash", sa.String(64)),
    sa.Column("id_hash", sa.String(64), index=True),
    sa.Column("contact", sa.Text),  # the applicant's phone, AES-GCM encrypted
    sa.Column("code_expires", sa.Float),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("deposited", sa.Float),
    sa.Column("delivered", sa.Float),
    sa.Column("receipt", sa.Text),
)

attempts = sa.Table(
    "locker_failed_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(80), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False),
)

audit = sa.Table(
    "locker_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("compartment_id", sa.String(80)),
    sa.Column("deposit_id", sa.String(40)),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),
)

outbox = sa.Table(
    "locker_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),  # encrypted
    sa.Column("body", sa.Text, nullable=False),  # encrypted: it carries the pickup code
    sa.Column("state", sa.String(10), nullable=False, default="pending"),
    sa.Column("tries", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=False, default=""),
)


# Candidates read per claim: more than the clerks who can race for the same one.
CLAIM_CANDIDATES = 16


class RepositoryError(RuntimeError):
    """The locker database could not be read or written."""


class NoCompartmentError(LookupError):
    """No free compartment fits."""


class CaseAlreadyDepositedError(ValueError):
    """The case already has an active deposit."""


@dataclass(frozen=True)
class Compartment:
    id: str
    bank_id: str
    number: int
    size: Size
    state: str
    deposit_id: str | None


@dataclass(frozen=True)
class Deposit:
    id: str
    case_id: str
    compartment_id: str
    bank_id: str
    state: str
    code_hash: str | None
    qr_hash: str | None
    id_hash: str | None
    contact: str | None
    code_expires: float | None
    created: float
    deposited: float | None
    delivered: float | None
    receipt: dict[str, Any] | None


def _deposit(row: sa.Row[Any]) -> Deposit:
    values = dict(row._mapping)
    values.pop("active_case_id")
    values["receipt"] = json.loads(values["receipt"]) if values["receipt"] else None
    return Deposit(**values)


def _compartment(row: sa.Row[Any]) -> Compartment:
    values = dict(row._mapping)
    values["size"] = Size(values["size"])
    return Compartment(**values)


class LockerRepository:
    def __init__(self, url: str) -> None:
        connect_args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: Engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
        self._writer_lock: threading.RLock | None = None
        if url.startswith("sqlite"):
            self._writer_lock = threading.RLock()
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            # Take the write lock up front so two writers queue instead of failing on lock upgrade.
            sa.event.listen(
                self.engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE")
            )

    def create_schema(self) -> None:
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as err:
            raise RepositoryError(f"cannot create the locker tables: {err}") from err

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        # SQLite has one writer at a time; queueing our threads here beats its sleeping busy handler.
        with self._writer_lock if self._writer_lock is not None else nullcontext():
            yield from self._transaction()

    def _transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except (IntegrityError, NoCompartmentError, CaseAlreadyDepositedError):
            raise
        except SQLAlchemyError as err:
            raise RepositoryError(f"locker database: {err}") from err

    # -- compartments ------------------------------------------------------------------------------------
    def add_compartments(self, bank_id: str, sizes: Sequence[Size]) -> list[str]:
        """Registers a bank's compartments numbered 1..n (existing ones are kept as they are)."""
        ids = [f"{bank_id}/{number:02d}" for number in range(1, len(sizes) + 1)]
        with self.transaction() as connection:
            known = set(connection.scalars(sa.select(compartments.c.id).where(compartments.c.id.in_(ids))))
            rows = [
                {"id": cid, "bank_id": bank_id, "number": n, "size": int(size), "state": "free"}
                for n, (cid, size) in enumerate(zip(ids, sizes, strict=True), start=1)
                if cid not in known
            ]
            if rows:
                connection.execute(compartments.insert(), rows)
        return ids

    def compartment(self, compartment_id: str) -> Compartment | None:
        with self.transaction() as connection:
            row = connection.execute(compartments.select().where(compartments.c.id == compartment_id)).first()
        return _compartment(row) if row else None

    def compartments(self, bank_id: str | None = None) -> list[Compartment]:
        query = compartments.select().order_by(compartments.c.id)
        if bank_id is not None:
            query = query.where(compartments.c.bank_id == bank_id)
        with self.transaction() as connection:
            return [_compartment(row) for row in connection.execute(query)]

    def set_compartment_state(self, compartment_id: str, state: str, deposit_id: str | None) -> None:
        with self.transaction() as connection:
            connection.execute(
                compartments.update()
                .where(compartments.c.id == compartment_id)
                .values(state=state, deposit_id=deposit_id)
            )

    def claim(
        self, case_id: str, needed: Size, bank_id: str | None, now: float
    ) -> tuple[Deposit, Compartment]:
        """Reserves the best-fitting free compartment for a new deposit of `case_id`."""
        deposit_id = uuid.uuid4().hex
        with self.transaction() as connection:
            query = (
                sa.select(compartments.c.id, compartments.c.size)
                .where(compartments.c.state == "free", compartments.c.size >= int(needed))
                .order_by(compartments.c.size, compartments.c.id)
                .limit(CLAIM_CANDIDATES)
            )
            if bank_id is not None:
                query = query.where(compartments.c.bank_id == bank_id)
            free = [Candidate(row.id, Size(row.size)) for row in connection.execute(query)]
            chosen: Candidate | None = None
            for candidate in rank(free, needed):
                claimed = connection.execute(
                    compartments.update()
                    .where(compartments.c.id == candidate.compartment_id, compartments.c.state == "free")
                    .values(state="reserved", deposit_id=deposit_id)
                )
                if claimed.rowcount == 1:
                    chosen = candidate
                    break
            if chosen is None:
                raise NoCompartmentError(f"no free compartment of size {needed.name} or larger")
            row = connection.execute(compartments.select().where(compartments.c.id == chosen.compartment_id))
            compartment = _compartment(row.one())
            values = {
                "id": deposit_id,
                "case_id": case_id,
                "compartment_id": compartment.id,
                "bank_id": compartment.bank_id,
                "state": "depositing",
                "created": now,
            }
            try:
                with connection.begin_nested():
                    connection.execute(deposits.insert().values(active_case_id=case_id, **values))
            except IntegrityError as err:
                raise CaseAlreadyDepositedError(f"case {case_id} already has a deposit in a locker") from err
        deposit = Deposit(
            id=deposit_id,
            case_id=case_id,
            compartment_id=compartment.id,
            bank_id=compartment.bank_id,
            state="depositing",
            created=now,
            code_hash=None,
            qr_hash=None,
            id_hash=None,
            contact=None,
            code_expires=None,
            deposited=None,
            delivered=None,
            receipt=None,
        )
        return deposit, compartment

    # -- deposits ----------------------------------------------------------------------------------------
    def deposit(self, deposit_id: str) -> Deposit | None:
        with self.transaction() as connection:
            row = connection.execute(deposits.select().where(deposits.c.id == deposit_id)).first()
        return _deposit(row) if row else None

    def deposits_where(self, *conditions: sa.ColumnElement[bool]) -> list[Deposit]:
        with self.transaction() as connection:
            rows = connection.execute(deposits.select().where(*conditions).order_by(deposits.c.created))
            return [_deposit(row) for row in rows]

    def transition(self, deposit_id: str, from_states: Sequence[str], to_state: str, **values: Any) -> bool:
        """Moves a deposit between states only if it is in one of `from_states`; True if it moved."""
        if "receipt" in values and values["receipt"] is not None:
            values["receipt"] = json.dumps(values["receipt"], ensure_ascii=False)
        if to_state in {"delivered", "cancelled", "returned"}:
            values["active_case_id"] = None
        with self.transaction() as connection:
            moved = connection.execute(
                deposits.update()
                .where(deposits.c.id == deposit_id, deposits.c.state.in_(from_states))
                .values(state=to_state, **values)
            )
            return moved.rowcount == 1

    # -- failed attempts, audit, outbox --------------------------------------------------------------------
    def failures(self, scope: str, since: float) -> list[float]:
        with self.transaction() as connection:
            query = sa.select(attempts.c.ts).where(attempts.c.scope == scope, attempts.c.ts > since)
            return list(connection.scalars(query))

    def record_failure(self, scopes: Sequence[str], now: float) -> None:
        with self.transaction() as connection:
            connection.execute(attempts.insert(), [{"scope": scope, "ts": now} for scope in scopes])

    def clear_failures(self, scope: str) -> None:
        with self.transaction() as connection:
            connection.execute(attempts.delete().where(attempts.c.scope == scope))

    def audit(
        self,
        action: str,
        *,
        actor: str,
        compartment_id: str | None = None,
        deposit_id: str | None = None,
        now: float | None = None,
        **detail: Any,
    ) -> None:
        with self.transaction() as connection:
            connection.execute(
                audit.insert().values(
                    ts=now if now is not None else time.time(),
                    action=action,
                    compartment_id=compartment_id,
                    deposit_id=deposit_id,
                    actor=actor,
                    detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
                )
            )

    def door_opened_since(self, compartment_id: str, since: float) -> bool:
        """Whether a door event showed this compartment open at or after `since` (audit time)."""
        query = (
            sa.select(audit.c.id)
            .where(audit.c.compartment_id == compartment_id)
            .where(audit.c.action == "door_opened")
            .where(audit.c.ts >= since)
            .limit(1)
        )
        with self.transaction() as connection:
            return connection.execute(query).first() is not None

    def last_unlock_at(self, compartment_id: str) -> float | None:
        """When the last unlock of this compartment was sent (audit time), if ever."""
        query = (
            sa.select(sa.func.max(audit.c.ts))
            .where(audit.c.compartment_id == compartment_id)
            .where(audit.c.action == "unlock")
        )
        with self.transaction() as connection:
            value = connection.execute(query).scalar()
        return float(value) if value is not None else None

    def audited(self, action: str, deposit_ids: Sequence[str]) -> set[str]:
        """Which of `deposit_ids` have an audit entry `action`."""
        if not deposit_ids:
            return set()
        query = sa.select(audit.c.deposit_id).where(
            audit.c.action == action, audit.c.deposit_id.in_(list(deposit_ids))
        )
        with self.transaction() as connection:
            return {str(row.deposit_id) for row in connection.execute(query)}

    def audit_trail(self, compartment_id: str | None = None) -> list[dict[str, Any]]:
        query = audit.select().order_by(audit.c.id)
        if compartment_id is not None:
            query = query.where(audit.c.compartment_id == compartment_id)
        with self.transaction() as connection:
            return [{**row._mapping, "detail": json.loads(row.detail)} for row in connection.execute(query)]

    def enqueue_message(self, recipient: str, body: str, now: float) -> int:
        with self.transaction() as connection:
            inserted = connection.execute(
                outbox.insert().values(ts=now, recipient=recipient, body=body, state="pending")
            )
            key = inserted.inserted_primary_key
            assert key is not None
            return int(key[0])

    def pending_messages(self, limit: int = 50) -> list[sa.Row[Any]]:
        with self.transaction() as connection:
            query = outbox.select().where(outbox.c.state == "pending").order_by(outbox.c.id).limit(limit)
            return list(connection.execute(query))

    def mark_message(self, message_id: int, state: str, error: str = "") -> None:
        with self.transaction() as connection:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == message_id)
                .values(state=state, error=error[:500], tries=outbox.c.tries + 1)
            )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
