"""The sweep's lease: of processes claiming at once, one holds it until it runs out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from case_service.app import SWEEP_LEASE
from case_service.db import make_engine, make_session_factory
from case_service.storage import leases
from case_service.storage.migrate import upgrade

pytestmark = pytest.mark.integration


def test_one_claimant_holds_the_sweep_lease_until_it_runs_out(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)

        def claim(holder: str, now: float) -> bool:
            with sessions() as session:
                won = leases.claim(session, SWEEP_LEASE, holder, hold_seconds=60, now=now)
                session.commit()
            return won

        with ThreadPoolExecutor(6) as pool:
            won = list(pool.map(lambda i: claim(f"worker-{i}", 1000.0), range(6)))
        assert won.count(True) == 1
        assert not claim("worker-9", 1059.9)  # still held
        assert claim("worker-9", 1060.0)  # ran out: the next claimant takes it
        assert not claim("worker-0", 1100.0)
    finally:
        engine.dispose()
