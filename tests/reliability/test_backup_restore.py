"""Backups and restore with deploy/backup/hall-backup and hall-restore, as docs/deploy.md tells operators.

A running case service (PostgreSQL, and the embedded SQLite) gets cases, is backed up while it runs,
gets one more case, and is then lost; the backup is restored onto a fresh database and a new process:
exactly the cases of the backup come back, in their states, with an unbroken audit chain.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.materials import hand_in
from tests.fixtures.postgres import PostgresCluster
from tests.reliability.workers import ITEM_COMPANY, CaseWorker, login, submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SCRIPTS = Path(__file__).resolve().parents[2] / "deploy" / "backup"


def _script(name: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(SCRIPTS / name), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HALL_")}
    env["HALL_DATA_DIR"] = str(data_dir)
    env["HALL_PYTHON"] = shutil.which("python3") or "python3"
    pg_bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if pg_bins:
        env["PG_BIN"] = pg_bins[0]
    if database_url:
        env["HALL_DATABASE_URL"] = database_url
    return env


def _fill(worker: CaseWorker, prefix: str, count: int) -> dict[int, str]:
    """`count` cases, every other one accepted: case id → state."""
    clerk = login(worker.url, "clerk1")
    states: dict[int, str] = {}
    for index in range(count):
        case: dict[str, Any] = submit(worker.url, clerk, f"{prefix}-{index}", index).json()
        if index % 2:
            with httpx.Client(base_url=worker.url, timeout=30) as client:
                hand_in(client, case["id"], ITEM_COMPANY, clerk)
            answer = httpx.post(
                f"{worker.url}/api/v1/cases/{case['id']}/actions/accept", json={}, headers=clerk, timeout=30
            )
            case = answer.json()
        states[case["id"]] = case["state"]
    return states


def _seen(worker: CaseWorker) -> dict[int, str]:
    clerk = login(worker.url, "clerk1")
    page = httpx.get(f"{worker.url}/api/v1/cases", params={"limit": 200}, headers=clerk, timeout=30).json()
    return {case["id"]: case["state"] for case in page["items"]}


def _chain_ok(worker: CaseWorker) -> dict[str, Any]:
    admin = login(worker.url, "admin")
    chain: dict[str, Any] = httpx.get(f"{worker.url}/api/v1/audit/verify", headers=admin, timeout=30).json()
    return chain


def _round_trip(tmp_path: Path, database_url: str, restored_url: str, wipe: Any) -> None:
    data_dir, backups = tmp_path / "var", tmp_path / "backups"
    data_dir.mkdir()
    worker = CaseWorker.start(data_dir, "case-service-before", database_url=database_url)
    try:
        kept = _fill(worker, "kept", 6)
        backup = _script("hall-backup", str(backups), env=_env(data_dir, database_url))
        lost = _fill(worker, "after-backup", 1)
    finally:
        worker.stop()
    wipe()
    _script("hall-restore", backup, env=_env(data_dir, restored_url))
    restored = CaseWorker.start(data_dir, "case-service-after", database_url=restored_url)
    try:
        assert _seen(restored) == kept
        assert not set(lost) & set(_seen(restored))
        chain = _chain_ok(restored)
        assert chain["ok"] and chain["checked"] >= 9, chain
        # The restored service takes new work: numbering and the audit chain continue.
        assert set(_fill(restored, "after-restore", 1)).isdisjoint(kept)
        assert _chain_ok(restored)["ok"]
    finally:
        restored.stop()


def test_postgresql_backup_restores_onto_a_fresh_database(postgres: PostgresCluster, tmp_path: Path) -> None:
    source = postgres.create_database()
    target = postgres.create_database()
    try:
        _round_trip(tmp_path, source, target, wipe=lambda: postgres.drop_database(source.rsplit("/", 1)[1]))
    finally:
        for url in (source, target):
            postgres.drop_database(url.rsplit("/", 1)[1])


def test_sqlite_backup_taken_while_running_restores(tmp_path: Path) -> None:
    database = tmp_path / "var" / "case_service.db"

    def wipe() -> None:
        for path in database.parent.glob("case_service.db*"):
            path.unlink()

    url = f"sqlite:///{database}"
    _round_trip(tmp_path, url, url, wipe)


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    worker = CaseWorker.start(
        data_dir, "case-service", database_url=f"sqlite:///{data_dir / 'case_service.db'}"
    )
    try:
        _fill(worker, "x", 1)
        backup = Path(_script("hall-backup", str(tmp_path / "backups"), env=_env(data_dir, None)))
    finally:
        worker.stop()
    copy = backup / "case_service.db"
    copy.write_bytes(copy.read_bytes()[:-100] + b"\0" * 100)
    done = subprocess.run(
        [str(SCRIPTS / "hall-restore"), str(backup)],
        env=_env(tmp_path / "elsewhere", None),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "fails its checksums" in done.stderr
    assert not (tmp_path / "elsewhere").exists()
