"""PostgreSQL restarted while kiosks submit cases: every submission lands once, none twice.

A private PostgreSQL cluster (so no other test sees the restart) serves a real `hall case-service`.
Kiosks keep submitting, each retrying with its own idempotency key until it gets its case, as the
kiosk's outbox does; halfway the database is restarted. Stated recovery: the service answers again
within 15 s of the database being back.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.postgres import PostgresCluster, _start_cluster
from tests.reliability.workers import CaseWorker, login, submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KIOSKS = 4
PER_KIOSK = 10
RECOVERY_SECONDS = 15.0


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    base = Path(tempfile.mkdtemp(prefix="hall-test-pg-restart-"))
    try:
        cluster = _start_cluster(base)
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _submit_until_made(url: str, headers: dict[str, str], key: str, index: int, log: list[str]) -> int:
    while True:
        try:
            answer = submit(url, headers, key, index)
        except httpx.HTTPError as err:
            log.append(type(err).__name__)
        else:
            if answer.status_code == 201:
                case_id: int = answer.json()["id"]
                return case_id
            # While the database is away the service must say so, never pretend.
            assert answer.status_code in (409, 500, 503), answer.text
            log.append(str(answer.status_code))
        time.sleep(0.1)


def _until_cases_answer(url: str, headers: dict[str, str], deadline: float) -> float:
    """When the case list (a database read) answers 200 again; fails past the deadline."""
    while True:
        try:
            if httpx.get(f"{url}/api/v1/cases", headers=headers, timeout=5).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the case service did not recover in time"
        time.sleep(0.1)


def test_a_database_restart_loses_and_doubles_nothing(
    private_postgres: PostgresCluster, tmp_path: Path
) -> None:
    database_url = private_postgres.create_database("hall")
    worker = CaseWorker.start(tmp_path, "case-service", database_url=database_url)
    try:
        clerk = login(worker.url, "clerk1")
        made: dict[str, int] = {}
        errors: list[str] = []
        restarted = threading.Event()

        def kiosk(number: int) -> None:
            for index in range(PER_KIOSK):
                key = f"kiosk-{number}-{index}"
                made[key] = _submit_until_made(worker.url, clerk, key, number * 100 + index, errors)
                if index == PER_KIOSK // 2:
                    restarted.wait(60)

        threads = [threading.Thread(target=kiosk, args=(number,)) for number in range(KIOSKS)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        private_postgres.restart()
        back_at = time.monotonic()
        restarted.set()
        recovered_in = _until_cases_answer(worker.url, clerk, back_at + RECOVERY_SECONDS) - back_at
        for thread in threads:
            thread.join(120)
        assert len(made) == KIOSKS * PER_KIOSK
        assert len(set(made.values())) == len(made), "two keys share a case"
        page = httpx.get(
            f"{worker.url}/api/v1/cases", params={"limit": 200}, headers=clerk, timeout=30
        ).json()
        assert page["total"] == KIOSKS * PER_KIOSK, "a case was made twice or lost"
        assert {case["id"] for case in page["items"]} == set(made.values())
        admin = login(worker.url, "admin")
        chain = httpx.get(f"{worker.url}/api/v1/audit/verify", headers=admin, timeout=30).json()
        assert chain["ok"], chain
        print(f"database restart: {len(errors)} refused attempts, answering again {recovered_in:.2f} s after")
    finally:
        worker.stop()
