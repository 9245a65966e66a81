"""Helpers for tests that drive several `hall case-service` processes over HTTP, as clients would."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from case_service.bootstrap import demo_password
from case_service.domain.identity import make_id_number
from hall.net import free_port, http_ok
from tests.fixtures.hall import hall_env
from tests.fixtures.materials import hand_in
from tests.fixtures.procs import ServiceProcess

T = TypeVar("T")
ITEM_COMPANY = "513200-XK-SJ-0511"  # 企业设立、变更、注销登记 in seed 003


def person(index: int) -> dict[str, str]:
    """A made-up applicant with a valid (check-digit) ID number that belongs to no one."""
    return {
        "name": "测试申请人",
        "id_number": make_id_number(f"110105199003{index % 28 + 1:02d}{index % 1000:03d}"),
        "phone": f"138{index:08d}",
    }


@dataclass
class CaseWorker:
    """One `hall case-service` process, as systemd would run it."""

    process: ServiceProcess
    url: str

    @classmethod
    def start(cls, data_dir: Path, name: str, **settings: str) -> CaseWorker:
        port = free_port()
        env = hall_env(data_dir, case__port=str(port), **settings)
        process = ServiceProcess(
            name, [sys.executable, "-m", "hall", "case-service"], data_dir / f"{name}.log", env=env
        )
        worker = cls(process, f"http://127.0.0.1:{port}")
        process.start(ready=lambda: http_ok(f"{worker.url}/healthz"), timeout=60)
        return worker

    def stop(self) -> None:
        self.process.stop()

    def start_again(self) -> None:
        """The same process (port, data, database) started again after a stop or a crash."""
        self.process.start(ready=lambda: http_ok(f"{self.url}/healthz"), timeout=60)


_TOKENS: dict[tuple[str, str], dict[str, str]] = {}


def login(base_url: str, username: str) -> dict[str, str]:
    """A staff token (argon2 makes logins slow on purpose: one per user and service is kept)."""
    if (base_url, username) not in _TOKENS:
        _TOKENS[base_url, username] = _login(base_url, username)
    return _TOKENS[base_url, username]


def _login(base_url: str, username: str) -> dict[str, str]:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"username": username, "password": demo_password(username)},
        timeout=30,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def in_parallel(calls: Sequence[Callable[[], T]], workers: int = 8) -> list[T]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def submit_complete(base_url: str, headers: dict[str, str], key: str, index: int) -> dict[str, Any]:
    """`submit`, then every required material handed in, so that the case can be accepted."""
    answer = submit(base_url, headers, key, index)
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        hand_in(client, case["id"], ITEM_COMPANY, headers)
    return case


def submit(base_url: str, headers: dict[str, str], key: str, index: int) -> httpx.Response:
    body: dict[str, Any] = {"item_code": ITEM_COMPANY, "channel": "window", "applicant": person(index)}
    return httpx.post(
        f"{base_url}/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": key}, timeout=30
    )
