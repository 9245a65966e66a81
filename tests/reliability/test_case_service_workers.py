"""Several case-service processes on one PostgreSQL: retries and races across workers never double.

The case service is stateless: idempotency keys, the audit head and state transitions live in the
database. Two real `hall case-service` processes share one database; clients race each other across
them, and every case is made once and moves once.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest

from tests.reliability.workers import CaseWorker, in_parallel, login, submit

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
    cases = [submit(two_workers[0], clerk, f"race-{index}", index).json()["id"] for index in range(CASES)]

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
        assert [entry["action"] for entry in history] == ["case.submit", "case.accept"]
    admin = login(two_workers[1], "admin")
    chain = httpx.get(f"{two_workers[0]}/api/v1/audit/verify", headers=admin, timeout=30).json()
    # Two processes appended to one hash chain concurrently: still one unbroken chain.
    assert chain["ok"] and chain["checked"] >= 2 * CASES, chain
