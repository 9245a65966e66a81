"""Two kiosks ask for the original at the same moment: exactly one gets it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from case_service.certificates import service
from case_service.certificates.service import Actor, CertificateContext, CertificateError, IssueRequest
from case_service.db import make_engine, make_session_factory
from tests.case_service.certificates.conftest import FakeCases, create_tables

pytestmark = pytest.mark.integration


def test_only_one_of_two_simultaneous_kiosks_gets_the_original(
    database_url: str, context: CertificateContext, cases: FakeCases
) -> None:
    engine = make_engine(database_url)
    create_tables(engine)
    sessions = make_session_factory(engine)
    cases.add("XD2026-000777")
    with sessions.begin() as session:
        number = service.issue(
            session,
            context,
            "XD2026-000777",
            IssueRequest("食品经营许可证", "热食类"),
            actor=Actor("staff:x"),
        ).number
    cases.move("XD2026-000777", "sealed")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def kiosk(name: str) -> None:
        start.wait()
        try:
            with sessions.begin() as session:
                entry = service.request_print(
                    session, context, number, station=name, actor=Actor(f"device:{name}")
                )
                outcomes.append(entry.kind)
        except CertificateError as err:
            outcomes.append(err.kind)
        except Exception as err:  # anything else is a bug: show it in the assertion
            outcomes.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=kiosk, args=(f"kiosk-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["conflict", "original"]
    with sessions() as session:
        prints = service.prints_of(session, service.get(session, number))
        assert [(p.kind, p.status) for p in prints] == [("original", "requested")]
    engine.dispose()
