"""Idempotent creates: a retry with the same key returns the first answer and creates nothing new."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from case_service.domain.errors import ConflictError, InvalidInputError
from case_service.storage import audit
from case_service.storage.models import IdempotencyRecord, utcnow
from case_service.storage.rawsql import RawStatement, RawTransaction

REPLAY_HEADER = "Idempotent-Replayed"


def fingerprint(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


_RECORDS = cast(Table, IdempotencyRecord.__table__)
_FIND = select(_RECORDS.c.request_hash, _RECORDS.c.status_code, _RECORDS.c.response).where(
    _RECORDS.c.scope == bindparam("scope"), _RECORDS.c.key == bindparam("key")
)
_STORE = insert(_RECORDS)


@dataclass(frozen=True)
class _Stored:
    request_hash: str
    status_code: int
    response: Any


def _replay(record: _Stored, request_hash: str) -> JSONResponse:
    if record.request_hash != request_hash:
        raise ConflictError("this Idempotency-Key was already used with a different request")
    return JSONResponse(record.response, status_code=record.status_code, headers={REPLAY_HEADER: "true"})


def _find(session: Session, scope: str, key: str) -> _Stored | None:
    # Core on the session's connection: a third of the ORM query's cost, on every create.
    row = session.connection().execute(_FIND, {"scope": scope, "key": key}).first()
    return None if row is None else _Stored(str(row[0]), int(row[1]), row[2])


_RAW_FIND = RawStatement(_FIND)
_RAW_STORE = RawStatement(
    _STORE, keys=("scope", "key", "request_hash", "status_code", "response", "created_at")
)


def find_read(scope: str, key: str) -> tuple[RawStatement, dict[str, Any]]:
    """The statement `run_raw` looks the key up with: for RawTransaction.prefetch."""
    return _RAW_FIND, {"scope": scope, "key": key}


def _find_raw(tx: RawTransaction, scope: str, key: str) -> _Stored | None:
    rows = tx.execute(*find_read(scope, key))
    return None if not rows else _Stored(str(rows[0][0]), int(rows[0][1]), rows[0][2])


def _required(key: str | None) -> str:
    if not key or not key.strip():
        raise InvalidInputError("the Idempotency-Key header is required on every create (any unique string)")
    return key


def run_raw(
    tx: RawTransaction,
    *,
    scope: str,
    key: str | None,
    request_hash: str,
    produce: Callable[[], BaseModel],
    status_code: int = 201,
) -> Response:
    """`run` in a RawTransaction (the submission's path): the answer is stored, then the transaction's
    audit entries written and committed (audit.write_and_commit), so a lost race on the key fails
    before taking the audit chain's lock."""
    key = _required(key)
    existing = _find_raw(tx, scope, key)
    if existing is not None:
        return _replay(existing, request_hash)
    answer = produce()
    store = {
        "scope": scope,
        "key": key,
        "request_hash": request_hash,
        "status_code": status_code,
        "response": answer.model_dump(mode="json"),
        "created_at": utcnow(),
    }
    try:
        # The key's row goes in with the audit entries and the COMMIT: one round trip on PostgreSQL,
        # whose pipeline stops at a failed statement, so a lost race takes no audit number either.
        audit.write_and_commit(tx, [(_RAW_STORE, store)])
    except tx.integrity_error:
        tx.rollback()
        winner = _find_raw(tx, scope, key)
        if winner is None:  # the conflict was not the key's: let the error handler report it
            raise
        return _replay(winner, request_hash)
    return Response(answer.model_dump_json(), status_code=status_code, media_type="application/json")


def run(
    session: Session,
    *,
    scope: str,
    key: str | None,
    request_hash: str,
    produce: Callable[[], BaseModel],
    status_code: int = 201,
) -> Response:
    """Runs `produce` and stores its answer under (scope, key) in the same transaction.

    Two requests racing with one key both run `produce`, but the key's unique constraint lets only one
    commit: the other's INSERT waits for the first, fails, rolls its work back and replays the answer.
    """
    key = _required(key)
    existing = _find(session, scope, key)
    if existing is not None:
        return _replay(existing, request_hash)
    answer = produce()
    body = answer.model_dump(mode="json")  # what is stored, and replayed
    try:
        session.connection().execute(
            _STORE,
            {
                "scope": scope,
                "key": key,
                "request_hash": request_hash,
                "status_code": status_code,
                "response": body,
                "created_at": utcnow(),
            },
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = _find(session, scope, key)
        if winner is None:  # the conflict was not the key's: let the error handler report it
            raise
        return _replay(winner, request_hash)
    # Serialised by pydantic-core, not a second time by json.dumps; the replay sends the same JSON.
    return Response(answer.model_dump_json(), status_code=status_code, media_type="application/json")
