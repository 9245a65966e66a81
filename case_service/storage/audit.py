"""The hash-chained audit trail: every action and document access, with actor, time, before and after.

Each entry's hash covers its fields and the previous entry's hash, so altering, removing or reordering
any entry breaks the chain from that point; `verify` names the first broken link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from case_service.storage.models import AuditEntry, AuditHead
from case_service.storage.rawsql import RawStatement, RawTransaction

GENESIS = "0" * 64
HEAD_ID = 1


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON array [seq, at, actor, action, subject_type, subject_id, before,
    after, prev_hash] (keys sorted, no spaces, UTF-8)."""
    middle = canonical_middle(
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
    )
    return hashlib.sha256(_canonical(seq, middle, prev_hash).encode()).hexdigest()


def canonical_middle(
    *, at: dt.datetime, actor: str, action: str, subject_type: str, subject_id: str, before: Any, after: Any
) -> str:
    """The canonical array's items between seq and prev_hash, joined as json.dumps joins them: what
    the entry itself fixes, before it has a place in the chain."""
    return json.dumps(
        [_timestamp(at), actor, action, subject_type, subject_id, before, after],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )[1:-1]


def _canonical(seq: int, middle: str, prev_hash: str) -> str:
    # json.dumps of [seq, *middle, prev_hash]: an int as its digits, a hex string in plain quotes. The
    # same concatenation runs in SQL on PostgreSQL (_PG_APPEND), so the two must stay this simple.
    return f'[{seq},{middle},"{prev_hash}"]'


_HEAD, _ENTRIES = cast(Table, AuditHead.__table__), cast(Table, AuditEntry.__table__)
# Built once: constructing and cache-keying a statement costs more than running it on SQLite.
_TAKE_SEQS = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=_HEAD.c.seq + bindparam("count"))
    .returning(_HEAD.c.seq, _HEAD.c.last_hash)
)
_INSERT_ENTRY = insert(_ENTRIES)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_hash=bindparam("new_hash"))
PENDING = "audit_pending"  # Session.info key: this transaction's entries, written at commit


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Records an entry in the caller's transaction: it is chained and written when that transaction
    commits, right before the COMMIT (and dropped if it rolls back). The head row is the chain's lock;
    writing late holds it for three statements and the COMMIT, not for the rest of the request."""
    session.connection()  # belong to a transaction: its rollback drops the entry
    pending: list[dict[str, Any]] = session.info.setdefault(PENDING, [])
    pending.append(
        entry(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )
    )


def entry(
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An entry not yet chained, stamped now."""
    return {
        "at": dt.datetime.now(dt.UTC),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "before": before,
        "after": after,
    }


def chain(pending: list[dict[str, Any]], last_seq: int, last_hash: str) -> list[dict[str, Any]]:
    """The rows of `pending` numbered to end at `last_seq` (the head after taking them) and chained
    onto `last_hash`, the hash of the entry before the first of them."""
    rows = []
    prev_hash = last_hash
    for seq, fields in enumerate(pending, start=last_seq - len(pending) + 1):
        row = {**fields, "seq": seq, "prev_hash": prev_hash}
        prev_hash = entry_hash(**row)
        rows.append({**row, "hash": prev_hash})
    return rows


def _write_pending(session: Session) -> None:
    pending: list[dict[str, Any]] | None = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()  # the request's own changes first: the lock below is then held only to COMMIT
    connection = session.connection()
    last_seq, prev_hash = connection.execute(_TAKE_SEQS, {"count": len(pending)}).one()
    rows = chain(pending, int(last_seq), str(prev_hash))
    connection.execute(_INSERT_ENTRY, rows)
    connection.execute(_MOVE_HEAD, {"new_hash": rows[-1]["hash"]})


_RAW_TAKE_SEQS = RawStatement(_TAKE_SEQS)
# An entry's columns, in the order the raw statements bind them.
_ENTRY_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "prev_hash",
    "hash",
)
_RAW_INSERT_ENTRY = RawStatement(_INSERT_ENTRY, keys=_ENTRY_COLUMNS)
_RAW_MOVE_HEAD = RawStatement(_MOVE_HEAD)


def append_raw(
    tx: RawTransaction,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """`append` for a RawTransaction: chained and written by `write_and_commit` (dropped on rollback)."""
    pending: list[dict[str, Any]] = tx.info.setdefault(PENDING, [])
    pending.append(
        entry(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )
    )


# PostgreSQL: an entry chained by the database itself. Each INSERT reads the head row FOR UPDATE (the
# chain's lock, taken or waited for there), numbers the entry after it and hashes it with the head's
# hash in SQL: sha256 over the same text as `_canonical`, with the part the entry fixes (`middle`)
# computed in Python. The head's move follows; with the COMMIT they go in one pipeline, so the lock is
# held only while the server runs them, never across a round trip to this process (or its GIL).
_NEW_SEQ = _HEAD.c.seq + 1
_PG_HASH = func.encode(
    func.sha256(
        func.convert_to(
            func.concat("[", _NEW_SEQ, ",", bindparam("middle", type_=String), ',"', _HEAD.c.last_hash, '"]'),
            "UTF8",
        )
    ),
    "hex",
)
_PG_APPEND = RawStatement(
    insert(_ENTRIES).from_select(
        list(_ENTRY_COLUMNS),
        select(
            _NEW_SEQ,
            bindparam("at", type_=_ENTRIES.c.at.type),
            bindparam("actor", type_=_ENTRIES.c.actor.type),
            bindparam("action", type_=_ENTRIES.c.action.type),
            bindparam("subject_type", type_=_ENTRIES.c.subject_type.type),
            bindparam("subject_id", type_=_ENTRIES.c.subject_id.type),
            bindparam("before", type_=_ENTRIES.c.before.type),
            bindparam("after", type_=_ENTRIES.c.after.type),
            _HEAD.c.last_hash,
            _PG_HASH,
        )
        .where(_HEAD.c.id == HEAD_ID)
        .with_for_update(),
    )
)
_PG_MOVE_HEAD = RawStatement(
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(
        seq=_NEW_SEQ,
        last_hash=select(_ENTRIES.c.hash).where(_ENTRIES.c.seq == _NEW_SEQ).scalar_subquery(),
    )
)


def write_and_commit(
    tx: RawTransaction, writes: Sequence[tuple[RawStatement, Mapping[str, Any]]] = ()
) -> None:
    """A RawTransaction's last statements: the writes waiting in `tx` (RawTransaction.later) and
    `writes` (statements whose results are not read), then `_write_pending` and the COMMIT. The head
    row's lock is held from taking the numbers to the COMMIT. On PostgreSQL all of it goes in one round
    trip (tx.batch), the chaining done by the database (_PG_APPEND); elsewhere the entries are chained
    here, after taking the numbers."""
    pending: list[dict[str, Any]] = tx.info.pop(PENDING, [])
    if tx.dialect_name == "postgresql":
        with tx.batch():
            tx.run_later()  # the transaction's own waiting writes, before the chain's lock is taken
            for statement, params in writes:
                tx.execute(statement, params)
            for fields in pending:
                tx.execute(_PG_APPEND, {**fields, "middle": canonical_middle(**fields)})
                tx.execute(_PG_MOVE_HEAD)
            tx.commit()
        return
    for statement, params in writes:
        tx.execute(statement, params)
    if pending:
        ((last_seq, prev_hash),) = tx.execute(_RAW_TAKE_SEQS, {"count": len(pending)})
        rows = chain(pending, int(last_seq), str(prev_hash))
        tx.execute_many(_RAW_INSERT_ENTRY, rows)
        tx.execute(_RAW_MOVE_HEAD, {"new_hash": rows[-1]["hash"]})
    tx.commit()


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or rolled back)
        session.info.pop(PENDING, None)


event.listen(Session, "before_commit", _write_pending)
event.listen(Session, "after_transaction_end", _drop_pending)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return ChainReport(False, checked, entry.seq, "prev_hash does not match the entry before")
            recomputed = entry_hash(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                subject_type=entry.subject_type,
                subject_id=entry.subject_id,
                before=entry.before,
                after=entry.after,
                prev_hash=entry.prev_hash,
            )
            if recomputed != entry.hash:
                return ChainReport(False, checked, entry.seq, "the entry's content does not match its hash")
            prev_hash, expected_seq, last_seq = entry.hash, expected_seq + 1, entry.seq
            checked += 1
    head = session.get(AuditHead, HEAD_ID)
    if head is not None and head.seq != checked:
        return ChainReport(
            False, checked, checked + 1, f"the head counts {head.seq} entries, found {checked}"
        )
    return ChainReport(True, checked)
