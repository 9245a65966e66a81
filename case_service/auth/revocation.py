"""Revoked tokens: a sign-out voids one token (its jti); an administrator voids every token a staff
member or device was given before now (a cut-off), for a stolen badge or device.

Both live in the database (storage/models.py: RevokedToken, TokenCutoff) and are checked on every
request against an in-memory copy: this process's own revocations apply at once, the other processes'
within `REFRESH_SECONDS` (the app refreshes the copy in the background).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from case_service.auth.tokens import Principal
from case_service.domain.errors import UnauthorizedError
from case_service.storage.models import RevokedToken, TokenCutoff

REFRESH_SECONDS = 1.0


def subject_key(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


class Revocations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: frozenset[str] = frozenset()
        self._cutoffs: dict[str, int] = {}

    def check(self, principal: Principal) -> None:
        """UnauthorizedError if this token was revoked. In memory only: no I/O on the request path."""
        if principal.token_id and principal.token_id in self._revoked:
            raise UnauthorizedError("this token was signed out or revoked: sign in again")
        cutoff = self._cutoffs.get(subject_key(principal.kind.value, principal.subject))
        if cutoff is not None and principal.issued_at_ms <= cutoff:
            raise UnauthorizedError("this token was revoked by an administrator: sign in again")

    def refresh(self, session: Session) -> None:
        now_ms = int(time.time() * 1000)
        session.execute(delete(RevokedToken).where(RevokedToken.expires_ms < now_ms))
        session.commit()
        revoked = frozenset(session.scalars(select(RevokedToken.jti)).all())
        cutoffs = {row.subject: row.not_before_ms for row in session.scalars(select(TokenCutoff))}
        with self._lock:
            self._revoked, self._cutoffs = revoked, cutoffs

    def revoke(self, session: Session, principal: Principal) -> None:
        """Voids this one token (a sign-out). The caller commits."""
        if not principal.token_id:
            raise UnauthorizedError("this token has no id and cannot be signed out: it expires by itself")
        if session.get(RevokedToken, principal.token_id) is None:
            expires_ms = principal.expires_at * 1000 + 1000
            session.add(RevokedToken(jti=principal.token_id, expires_ms=expires_ms))
        with self._lock:
            self._revoked = self._revoked | {principal.token_id}

    def cut_off(self, session: Session, kind: str, subject: str) -> int:
        """Voids every token of (kind, subject) issued until now. The caller commits."""
        key, now_ms = subject_key(kind, subject), int(time.time() * 1000)
        row = session.get(TokenCutoff, key)
        if row is None:
            session.add(TokenCutoff(subject=key, not_before_ms=now_ms))
        else:
            row.not_before_ms = now_ms
        with self._lock:
            self._cutoffs = {**self._cutoffs, key: now_ms}
        return now_ms
