"""Several case-service processes on one PostgreSQL: retries and races across workers never double.

The case service is stateless: idempotency keys, the audit head and state transitions live in the
database. Two real `hall case-service` processes share one database; clients race each other across
them, and every case is made once and moves once.
"""

from __future__ import annotations

import functools
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.postgres import PostgresCluster
from tests.hall_controller.harness import wait_until
from tests.reliability.workers import CaseWorker, in_parallel, login, submit, submit_complete

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CASES = 12


@pytest.fixture
def two_workers(case_workers: list[CaseWorker]) -> list[str]:
    return [worker.url for worker in case_workers]


def _all_cases(base_url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base_url}/api/v1/cases", params={"limit": 200}, headers=headers, timeout=30)
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_one_key_sent_to_every_worker_makes_one_case(two_workers: list[str]) -> None:
    clerk = login(two_workers[0], "clerk1")  # tokens are signed with the shared secret: valid on both
    calls = [
        functools.partial(submit, url, clerk, f"kiosk-retry-{index}", index)
        for index in range(CASES)
        for url in two_workers * 2
    ]
    answers = in_parallel(calls)
    assert {answer.status_code for answer in answers} <= {201, 409}, [a.text for a in answers]
    made: dict[str, set[int]] = {}
    for call, answer in zip(calls, answers, strict=True):
        if answer.status_code == 201:
            made.setdefault(call.args[2], set()).add(answer.json()["id"])
    # Every key got its case (some retries may have been told "in flight, retry"), and only one each.
    assert sorted(made) == sorted(f"kiosk-retry-{index}" for index in range(CASES))
    assert all(len(ids) == 1 for ids in made.values()), made
    case_ids = {next(iter(ids)) for ids in made.values()}
    for url in two_workers:
        assert case_ids <= {case["id"] for case in _all_cases(url, clerk)}
        assert len([case for case in _all_cases(url, clerk) if case["id"] in case_ids]) == CASES
    # A late retry of every key, on either worker, is answered from the record.
    for index in range(CASES):
        again = submit(two_workers[index % 2], clerk, f"kiosk-retry-{index}", index)
        assert again.status_code == 201 and {again.json()["id"]} == made[f"kiosk-retry-{index}"]


def test_racing_clerks_on_two_workers_move_each_case_once(two_workers: list[str]) -> None:
    clerk = login(two_workers[0], "clerk1")
    cases = [submit_complete(two_workers[0], clerk, f"race-{index}", index)["id"] for index in range(CASES)]

    def accept(url: str, case_id: int) -> httpx.Response:
        return httpx.post(f"{url}/api/v1/cases/{case_id}/actions/accept", json={}, headers=clerk, timeout=30)

    calls = [functools.partial(accept, url, case_id) for case_id in cases for url in two_workers * 2]
    answers = in_parallel(calls)
    for case_id in cases:
        codes = sorted(a.status_code for c, a in zip(calls, answers, strict=True) if c.args[1] == case_id)
        # One accept wins; every other clerk is told the case has moved on (409), never a 500.
        assert codes == [200, 409, 409, 409], (case_id, codes)
    manager = login(two_workers[1], "manager1")
    for case_id in cases:
        history = httpx.get(
            f"{two_workers[case_id % 2]}/api/v1/cases/{case_id}/history", headers=manager, timeout=30
        ).json()
        uploads = ["material.upload"] * 5  # the required materials, handed in before acceptance
        # The item names a joint department: the one acceptance opens its task once (联审联办).
        moved = ["case.accept", "case.joint_open"]
        assert [entry["action"] for entry in history] == ["case.submit", *uploads, *moved]
    admin = login(two_workers[1], "admin")
    chain = httpx.get(f"{two_workers[0]}/api/v1/audit/verify", headers=admin, timeout=30).json()
    # Two processes appended to one hash chain concurrently: still one unbroken chain.
    assert chain["ok"] and chain["checked"] >= 2 * CASES, chain


def _workers_of(parent: int) -> list[int]:
    """uvicorn's worker processes: multiprocessing spawn children (not its resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in _proc(int(pid), "cmdline")]


def _proc(pid: int, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:  # gone
        return b""


def _cpu_seconds(pid: int) -> float:
    fields = _proc(pid, "stat").rsplit(b")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_hall_case_service_with_two_workers_serves_from_both_and_stops_cleanly(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    database_url = postgres.create_database()
    try:
        worker = CaseWorker.start(tmp_path, "case-2-workers", database_url=database_url, case__workers="2")
        try:
            _serve_from_both_and_stop(worker)
        finally:
            worker.stop()
    finally:
        postgres.drop_database(database_url.rsplit("/", 1)[1])


def _serve_from_both_and_stop(worker: CaseWorker) -> None:
    process = worker.process.process
    assert process is not None
    assert wait_until(lambda: len(_workers_of(process.pid)) == 2, timeout=30)
    children = _workers_of(process.pid)
    before = {child: _cpu_seconds(child) for child in children}

    def both_busy() -> bool:
        # A fresh connection per request, so each accept goes to whichever worker is free.
        in_parallel([functools.partial(httpx.get, f"{worker.url}/healthz", timeout=30)] * 40)
        return all(_cpu_seconds(child) - before[child] >= 0.05 for child in children)

    # Both worker PIDs answer requests on the one port (each one's CPU time grows).
    assert wait_until(both_busy, timeout=60, interval=0)
    clerk = login(worker.url, "clerk1")
    answers = in_parallel([functools.partial(submit, worker.url, clerk, f"w2-{i}", i) for i in range(16)])
    assert {answer.status_code for answer in answers} == {201}, [a.text for a in answers]

    process.send_signal(signal.SIGTERM)  # as systemd stops it: the parent stops every worker
    assert process.wait(30) == 0
    assert wait_until(lambda: not any(_proc(child, "stat") for child in children), timeout=10)
