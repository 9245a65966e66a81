"""Certificate fixtures: a signing key, a small stand-in for the core's cases, a database, an app."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from case_service.certificates import api
from case_service.certificates.models import CertificatePrint, CertificateRecord
from case_service.certificates.service import Actor, CaseFacts, CertificateContext
from case_service.db import make_engine, make_session_factory
from hall.privacy import PiiCipher
from hall.signing import Ed25519Signer

HOLDER_ID = "110101199003071234"
DEPARTMENT = "市场监督管理局"


@dataclass
class FakeCases:
    """The core's cases seen through `CaseSource` (unit layer; the real adapter reads the core's table)."""

    cases: dict[str, CaseFacts] = field(default_factory=dict)

    def get(self, session: Session, case_number: str) -> CaseFacts | None:
        return self.cases.get(case_number)

    def add(self, number: str, state: str = "approved", holder: str = "张三丰") -> CaseFacts:
        facts = CaseFacts(
            number, "SP-001", "食品经营许可（新办）", holder, HOLDER_ID, state, departments=(DEPARTMENT,)
        )
        self.cases[number] = facts
        return facts

    def move(self, number: str, state: str) -> None:
        self.cases[number] = replace(self.cases[number], state=state)


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer.generate()


@pytest.fixture
def cases() -> FakeCases:
    return FakeCases()


@dataclass
class AuditLog:
    entries: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self.entries.append({"actor": actor, "action": action, "subject": subject_id, "after": after})


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog()


@pytest.fixture
def context(signer: Ed25519Signer, cases: FakeCases, audit: AuditLog) -> CertificateContext:
    return CertificateContext(
        signer=signer,
        verifiers={signer.key_id: signer.public},
        cipher=PiiCipher({"k1": os.urandom(32)}, "k1"),
        cases=cases,
        authority="成都市新都区行政审批局",
        seal_code="5101140012345",
        today=lambda: dt.date(2026, 11, 21),
        audit=audit,
    )


def create_tables(engine: Engine) -> None:
    tables: list[Any] = [CertificateRecord.__table__, CertificatePrint.__table__]
    CertificateRecord.metadata.create_all(engine, tables=tables)


@contextlib.contextmanager
def serve(database_url: str, context: CertificateContext) -> Iterator[TestClient]:
    """The router on a bare FastAPI app, staff and kiosk signed in, the client pointed at /api/v1."""
    engine = make_engine(database_url)
    create_tables(engine)
    app = FastAPI()
    app.state.sessions = make_session_factory(engine)
    app.state.certificates = context
    app.include_router(api.router, prefix="/api/v1")
    app.dependency_overrides[api.staff_actor] = lambda: Actor("staff:sealer-li")
    app.dependency_overrides[api.station_actor] = lambda: Actor("device:kiosk-01")
    app.dependency_overrides[api.approver_actor] = lambda: Actor("staff:approver-zhao", department=DEPARTMENT)
    with TestClient(app, raise_server_exceptions=False, base_url="http://testserver/api/v1/") as client:
        yield client
    engine.dispose()


@pytest.fixture
def certificate_app(database_url: str, context: CertificateContext) -> Iterator[TestClient]:
    """On SQLite and on PostgreSQL."""
    with serve(database_url, context) as client:
        yield client


@pytest.fixture
def sqlite_certificate_app(tmp_path: Path, context: CertificateContext) -> Iterator[TestClient]:
    """Only the embedded default, for tests about printing rather than storage."""
    with serve(f"sqlite:///{tmp_path / 'certificates.db'}", context) as client:
        yield client
