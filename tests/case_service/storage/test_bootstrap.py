from __future__ import annotations

from case_service.auth.passwords import verify_secret
from case_service.bootstrap import DEMO_HASHES, DEMO_STAFF, demo_password


def test_every_precomputed_demo_hash_verifies_its_public_password() -> None:
    assert set(DEMO_HASHES) == set(DEMO_STAFF)
    for username, secret_hash in DEMO_HASHES.items():
        assert verify_secret(secret_hash, demo_password(username))
    # argon2 is slow on purpose: one refusal is enough to show the hashes are not a pass-through.
    assert not verify_secret(DEMO_HASHES["admin"], demo_password("clerk1"))
