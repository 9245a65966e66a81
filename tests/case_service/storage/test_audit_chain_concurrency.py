"""Audit entries appended by concurrent raw transactions form one unbroken chain. On PostgreSQL the
database chains them (sha256 in SQL); their hashes must equal the ones `verify` computes in Python."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select

from case_service.db import make_session_factory
from case_service.storage import audit
from case_service.storage.models import AuditEntry
from case_service.storage.rawsql import RawTransaction

pytestmark = pytest.mark.integration

WRITERS, EACH = 6, 15


def _append(engine: Engine, writer: int) -> None:
    for n in range(EACH):
        with RawTransaction(engine) as tx:
            audit.append_raw(
                tx,
                actor=f"staff:写入者{writer}",
                action="test.append",
                subject_type="case",
                subject_id=writer * 1000 + n,
                before=None if n % 2 else {"名": "张三", "z": [1, 2.5, None], "a": {"嵌": True}},
                after={"n": n, "quote": 'a "b" \\ c', "nl": "x\ny\u0000"},
            )
            if n % 3 == 0:  # some transactions carry two entries
                audit.append_raw(tx, actor="system", action="test.second", subject_type="case", subject_id=n)
            audit.write_and_commit(tx)


def test_concurrent_appends_make_one_verifiable_chain(engine: Engine) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda writer: _append(engine, writer), range(WRITERS)))
    expected = WRITERS * (EACH + len(range(0, EACH, 3)))
    with make_session_factory(engine)() as session:
        report = audit.verify(session)
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert report == audit.ChainReport(True, expected)
    assert list(seqs) == list(range(1, expected + 1))


def test_a_rolled_back_transaction_leaves_no_entry_and_no_gap(engine: Engine) -> None:
    with RawTransaction(engine) as tx:
        audit.append_raw(tx, actor="system", action="test.kept", subject_type="case", subject_id=1)
        audit.write_and_commit(tx)
    with pytest.raises(RuntimeError), RawTransaction(engine) as tx:
        audit.append_raw(tx, actor="system", action="test.lost", subject_type="case", subject_id=2)
        raise RuntimeError("the request failed before its commit")
    with RawTransaction(engine) as tx:
        audit.append_raw(tx, actor="system", action="test.kept", subject_type="case", subject_id=3)
        audit.write_and_commit(tx)
    with make_session_factory(engine)() as session:
        assert audit.verify(session) == audit.ChainReport(True, 2)
