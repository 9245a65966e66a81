"""The signing key on disk: made once in development, required in production, rotated via trusted keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from case_service.certificates.keys import SIGNING_KEY_FILE, keys_dir, load_signer, trusted_verifiers
from hall.errors import StartupError
from hall.signing import Ed25519Signer


def test_development_key_is_made_once_private_and_stable(tmp_path: Path) -> None:
    first = load_signer(tmp_path, create=True)
    again = load_signer(tmp_path, create=True)

    path = keys_dir(tmp_path) / SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.key_id == again.key_id


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="provision an Ed25519 key"):
        load_signer(tmp_path, create=False)


def test_a_broken_key_file_is_one_clear_line(tmp_path: Path) -> None:
    keys_dir(tmp_path).mkdir()
    (keys_dir(tmp_path) / SIGNING_KEY_FILE).write_text("not a key")

    with pytest.raises(StartupError, match="not a readable Ed25519 key"):
        load_signer(tmp_path, create=False)


def test_retired_public_keys_stay_trusted(tmp_path: Path) -> None:
    current = load_signer(tmp_path, create=True)
    retired = Ed25519Signer.generate()
    (keys_dir(tmp_path) / "trusted").mkdir()
    (keys_dir(tmp_path) / "trusted" / "2025.pem").write_bytes(retired.public.pem())

    assert set(trusted_verifiers(tmp_path, current)) == {current.key_id, retired.key_id}

    (keys_dir(tmp_path) / "trusted" / "junk.pem").write_text("junk")
    with pytest.raises(StartupError, match="junk.pem"):
        trusted_verifiers(tmp_path, current)


def test_workers_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        key_ids = set(pool.map(lambda _: load_signer(tmp_path, create=True).key_id, range(8)))

    assert len(key_ids) == 1
    assert [p.name for p in keys_dir(tmp_path).iterdir()] == [SIGNING_KEY_FILE]
