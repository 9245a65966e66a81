"""Fixtures of the reliability tests: real case-service processes on a shared PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.netcut import link_to  # noqa: F401 - the fixture, for this folder's tests
from tests.fixtures.postgres import PostgresCluster
from tests.reliability.workers import CaseWorker


@pytest.fixture(scope="module")
def case_workers(
    postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[CaseWorker]]:
    """Two case-service processes on one fresh PostgreSQL database, for the tests of one module."""
    database_url = postgres.create_database()
    data_dir = tmp_path_factory.mktemp("case-workers")
    workers: list[CaseWorker] = []
    try:
        # One after the other: the first one migrates, the second finds the schema in place.
        for index in range(2):
            workers.append(CaseWorker.start(data_dir, f"case-worker-{index}", database_url=database_url))
        yield workers
    finally:
        for worker in reversed(workers):
            worker.stop()
        postgres.drop_database(database_url.rsplit("/", 1)[1])


@pytest.fixture
def case_service(tmp_path: Path) -> Iterator[CaseWorker]:
    """One `hall case-service` process on a SQLite file of the test's own."""
    worker = CaseWorker.start(tmp_path, "case-service", database_url=f"sqlite:///{tmp_path / 'case.db'}")
    yield worker
    worker.stop()
