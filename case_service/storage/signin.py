"""The sign-in codes' state in the database, shared by every case-service process.

Only keyed hashes are stored: of the phone number or kiosk (the row's key), of the code, of the e-ID
nonce. The rules are case_service/domain/signin.py; this module reads a row, asks the rules, and writes
the answer back with an UPDATE conditional on the row's `version`. When another process changed the row
in between (or inserted it first), the UPDATE matches nothing and the whole step is retried on the new
state: of two processes checking the same code at once, at most one signs in, and every wrong attempt
counts. This needs no row locks and behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from case_service.domain import signin as rules
from case_service.domain.errors import ConflictError
from case_service.storage.models import SignInThrottle, UsedEid

log = logging.getLogger(__name__)
RETRIES = 50


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class SignInStore:
    """Phone codes, send limits and used e-ID codes; `clock` is wall time (shared by processes)."""

    def __init__(
        self, key: bytes, sessions: sessionmaker[Any], clock: Callable[[], float] = time.time
    ) -> None:
        self.key = key
        self.sessions = sessions
        self.clock = clock

    def _hash(self, *parts: str) -> str:
        return hmac.new(self.key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    def new_code(self, phone: str, device: str) -> str:
        """A fresh code for `phone` (the previous one is void); TooManyError when over a limit."""
        who, where = self._hash("phone", phone), self._hash("device", device)
        code = f"{secrets.randbelow(1_000_000):06d}"
        digest = self._hash("code", phone, code)

        def step(session: Session, now: float) -> bool:
            session.execute(delete(SignInThrottle).where(SignInThrottle.forget_after_ms < _ms(now)))
            number, number_version = _load(session, who)
            kiosk, kiosk_version = _load(session, where)
            number = rules.record_send(number, rules.PHONE_PER_HOUR, rules.PHONE_MIN_INTERVAL, now)
            kiosk = rules.record_send(kiosk, rules.DEVICE_PER_HOUR, 0.0, now)
            number = rules.with_code(number, digest, now)
            return _store(session, who, number, number_version) and _store(
                session, where, kiosk, kiosk_version
            )

        self._transact(step)
        return code

    def check(self, phone: str, code: str) -> None:
        """Consumes the code if right; UnauthorizedError if wrong or expired, TooManyError when used up."""
        who, digest = self._hash("phone", phone), self._hash("code", phone, code)
        verdicts: list[rules.Verdict] = []

        def step(session: Session, now: float) -> bool:
            state, version = _load(session, who)
            verdict = rules.check_code(state, digest, now)
            verdicts[:] = [verdict]
            if version is None or verdict.state == state:
                return True
            return _store(session, who, verdict.state, version)

        self._transact(step)
        if verdicts[0].error is not None:
            raise verdicts[0].error

    def record_signin(self, device: str) -> None:
        """One applicant sign-in at `device`; TooManyError on a burst (rules.record_signin)."""
        where = self._hash("signin", device)

        def step(session: Session, now: float) -> bool:
            state, version = _load(session, where)
            return _store(session, where, rules.record_signin(state, now), version)

        self._transact(step)

    def check_login(self, username: str, address: str) -> None:
        """TooManyError while the user or the address has too many recent failures."""
        with self.sessions() as session:
            now = self.clock()
            user, _ = _load(session, self._hash("login-user", username))
            where, _ = _load(session, self._hash("login-address", address))
        rules.check_login(user, rules.LOGIN_FAILURES_PER_USER, now)
        rules.check_login(where, rules.LOGIN_FAILURES_PER_ADDRESS, now)

    def login_failed(self, username: str, address: str) -> None:
        keys = (self._hash("login-user", username), self._hash("login-address", address))

        def step(session: Session, now: float) -> bool:
            stored = True
            for key in keys:
                state, version = _load(session, key)
                stored = _store(session, key, rules.record_login_failure(state, now), version) and stored
            return stored

        self._transact(step)

    def first_use_of_eid(self, nonce: str, expires: float) -> bool:
        """An e-ID code signs in once: a photographed code shown again is refused."""
        return self.first_use("eid", nonce, expires)

    def first_use(self, kind: str, nonce: str, expires: float) -> bool:
        """Whether this is the first use of a one-time nonce of `kind` (e-ID code, card challenge)."""
        digest = self._hash(kind, nonce)
        with self.sessions() as session:
            session.execute(delete(UsedEid).where(UsedEid.expires_ms < _ms(self.clock())))
            try:
                session.execute(insert(UsedEid).values(nonce=digest, expires_ms=_ms(expires)))
                session.commit()
            except IntegrityError:  # the primary key: this nonce signed in before
                session.rollback()
                return False
        return True

    def _transact(self, step: Callable[[Session, float], bool]) -> None:
        """Runs `step` in a transaction until its conditional writes all land."""
        for attempt in range(RETRIES):
            with self.sessions() as session:
                try:
                    if step(session, self.clock()):
                        session.commit()
                        return
                except (IntegrityError, OperationalError) as err:
                    # a racing insert of the same row; SQLite: another process wrote since our read
                    log.debug("sign-in state raced (attempt %d): %s", attempt + 1, type(err).__name__)
                session.rollback()
            time.sleep(secrets.randbelow(10) / 1000)  # de-synchronise the racers
        raise ConflictError("the sign-in state is too busy: try again")


def _load(session: Session, key: str) -> tuple[rules.Throttle, int | None]:
    row = session.execute(
        select(
            SignInThrottle.sent_ms,
            SignInThrottle.code_digest,
            SignInThrottle.code_expires_ms,
            SignInThrottle.attempts_left,
            SignInThrottle.version,
        ).where(SignInThrottle.key == key)
    ).one_or_none()
    if row is None:
        return rules.Throttle(), None
    sent = tuple(at / 1000 for at in row.sent_ms)
    state = rules.Throttle(sent, row.code_digest, row.code_expires_ms / 1000, row.attempts_left)
    return state, row.version


def _store(session: Session, key: str, state: rules.Throttle, version: int | None) -> bool:
    values: dict[str, Any] = {
        "sent_ms": [_ms(at) for at in state.sent],
        "code_digest": state.code_digest,
        "code_expires_ms": _ms(state.code_expires),
        "attempts_left": state.attempts_left,
        "forget_after_ms": _ms(state.forget_after()),
    }
    if version is None:
        # A random first version: a row purged and made again never repeats the version a slow
        # reader of the old row holds.
        first = secrets.randbelow(1 << 30) + 1
        session.execute(insert(SignInThrottle).values(key=key, version=first, **values))
        return True
    result = session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key, SignInThrottle.version == version)
        .values(version=SignInThrottle.version + 1, **values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
