"""Verified tokens are remembered, but a remembered token still expires and a forged one never passes."""

from __future__ import annotations

import pytest

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.domain.errors import UnauthorizedError
from case_service.domain.states import Role


def test_a_remembered_token_expires_and_a_changed_one_is_refused() -> None:
    signer = TokenSigner("a-secret-key-of-at-least-32-characters")
    clerk = Principal(PrincipalKind.STAFF, "clerk1", frozenset({Role.CLERK}))
    token, expires = signer.issue(clerk, ttl=60, now=1_000_000)
    assert signer.read(token, now=1_000_010).subject == "clerk1"
    assert signer.read(token, now=1_000_020).roles == frozenset({Role.CLERK})  # from memory
    with pytest.raises(UnauthorizedError, match="expired"):
        signer.read(token, now=expires + 1)
    version, body, signature = token.split(".")
    forged = f"{version}.{body}.{signature[:-2]}AA"
    with pytest.raises(UnauthorizedError):
        signer.read(forged, now=1_000_010)
    # Another signer (another secret key) does not share the memory.
    with pytest.raises(UnauthorizedError):
        TokenSigner("another-secret-key-of-32-characters!!").read(token, now=1_000_010)
