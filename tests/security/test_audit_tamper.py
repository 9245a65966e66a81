"""The audit chain catches a database administrator's edit: a running case service on PostgreSQL, rows
changed behind its back with SQL, and the verification endpoint names the first altered entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.fixtures.postgres import PostgresCluster
from tests.reliability.workers import CaseWorker, login, submit_complete

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def service(postgres: PostgresCluster, tmp_path: Path) -> Iterator[tuple[CaseWorker, str]]:
    database_url = postgres.create_database()
    worker = CaseWorker.start(tmp_path, "case-service", database_url=database_url)
    try:
        yield worker, database_url.replace("postgresql+psycopg://", "postgresql://")
    finally:
        worker.stop()
        postgres.drop_database(database_url.rsplit("/", 1)[1])


def _verify(worker: CaseWorker) -> dict[str, Any]:
    answer = httpx.get(f"{worker.url}/api/v1/audit/verify", headers=login(worker.url, "admin"), timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_an_edited_and_a_deleted_audit_row_are_named(service: tuple[CaseWorker, str]) -> None:
    worker, dsn = service
    clerk = login(worker.url, "clerk1")
    for index in range(3):
        case = submit_complete(worker.url, clerk, f"tamper-{index}", index)
        httpx.post(
            f"{worker.url}/api/v1/cases/{case['id']}/actions/accept", json={}, headers=clerk, timeout=30
        )
    clean = _verify(worker)
    assert clean["ok"] and clean["first_broken_seq"] is None

    with psycopg.connect(dsn, autocommit=True) as db:
        accept_seq = db.execute("SELECT min(seq) FROM audit_entries WHERE action = 'case.accept'").fetchone()[
            0
        ]  # type: ignore[index]
        original = db.execute("SELECT actor FROM audit_entries WHERE seq = %s", (accept_seq,)).fetchone()[0]  # type: ignore[index]
        db.execute("UPDATE audit_entries SET actor = 'clerk-who-was-not-there' WHERE seq = %s", (accept_seq,))
        edited = _verify(worker)
        assert not edited["ok"] and edited["first_broken_seq"] == accept_seq, edited

        db.execute("UPDATE audit_entries SET actor = %s WHERE seq = %s", (original, accept_seq))
        assert _verify(worker)["ok"]  # the detection is exact: undoing the edit heals the chain

        last = db.execute("SELECT max(seq) FROM audit_entries").fetchone()[0]  # type: ignore[index]
        middle = last - 2
        db.execute("DELETE FROM audit_entries WHERE seq = %s", (middle,))
        deleted = _verify(worker)
        assert not deleted["ok"] and deleted["first_broken_seq"] in (middle, middle + 1), deleted
