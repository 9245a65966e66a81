"""Alembic migrations match the models; the audit chain names its first broken link; PII is encrypted."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update

from case_service.db import make_engine, make_session_factory
from case_service.storage import audit, models
from case_service.storage.base import Base
from case_service.storage.migrate import upgrade
from case_service.storage.models import AuditEntry, Case
from tests.case_service.conftest import ID_A, CaseApi

pytestmark = pytest.mark.integration
# This room's tables; other rooms (certificates) check their own revisions against their own models.
CORE_TABLES = {
    mapper.class_.__tablename__
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == models.__name__
}


def _table_of(difference: Any) -> str | None:
    """compare_metadata yields tuples (or lists of tuples for column changes) naming a table."""
    first = difference[0] if isinstance(difference, list) else difference
    for part in first[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if name is not None and hasattr(part, "columns"):
            return str(name)
    for part in first[1:]:
        if isinstance(part, str) and part in CORE_TABLES:
            return part
    return None


def test_migrations_build_exactly_the_models_and_run_twice(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second start finds nothing to do
        with engine.connect() as connection:
            differences = [
                difference
                for difference in compare_metadata(MigrationContext.configure(connection), Base.metadata)
                if _table_of(difference) in CORE_TABLES
            ]
            head = connection.execute(text("SELECT seq, last_hash FROM audit_head")).one()
        assert differences == []
        assert head == (0, audit.GENESIS)
    finally:
        engine.dispose()


def test_the_chain_verifies_and_names_the_first_altered_entry(case_api: CaseApi) -> None:
    api = case_api
    case = api.file_case()
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    admin = api.staff("admin")
    report = api.client.get("/api/v1/audit/verify", headers=admin).json()
    assert report["ok"] and report["first_broken_seq"] is None
    sessions = make_session_factory(api.client.app.state.engine)  # type: ignore[attr-defined]
    with sessions() as session:
        accept_seq = session.scalar(select(AuditEntry.seq).where(AuditEntry.action == "case.accept"))
        assert accept_seq is not None
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == accept_seq).values(actor="staff:someone-else")
        )
        session.commit()
    broken = api.client.get("/api/v1/audit/verify", headers=admin).json()
    assert not broken["ok"] and broken["first_broken_seq"] == accept_seq
    assert "does not match its hash" in broken["problem"]
    assert api.client.get("/api/v1/audit/verify", headers=api.staff("clerk1")).status_code == 403


def test_a_deleted_entry_is_named(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    api.file_case()
    sessions = make_session_factory(api.client.app.state.engine)  # type: ignore[attr-defined]
    with sessions() as session:
        session.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
        session.commit()
    report = api.client.get("/api/v1/audit/verify", headers=api.staff("admin")).json()
    assert report == {"ok": False, "checked": 1, "first_broken_seq": 2, "problem": "entry 2 is missing"}


def test_id_and_phone_numbers_are_only_stored_encrypted(case_api: CaseApi) -> None:
    case_api.file_case()
    engine = case_api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = [" ".join(str(value) for value in row) for row in connection.execute(select(Case.__table__))]
        audit_rows = [
            " ".join(str(value) for value in row) for row in connection.execute(select(AuditEntry.__table__))
        ]
    assert rows
    for row in rows + audit_rows:
        assert ID_A not in row and "13812345678" not in row
    assert ID_A[-4:] not in rows[0].split()  # not even a masked form is stored
