"""Pure rules of the sign-in codes: send limits, code expiry and attempts. No I/O, no clock.

The state of one phone number or kiosk is a `Throttle` (the send times of the last hour, and for a
number the pending code's keyed hash); every rule takes one and the time, and answers the next one.
The repository (case_service/storage/signin.py) keeps them in the database and applies each answer with
a conditional UPDATE, so several processes see one state.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from case_service.domain.errors import UnauthorizedError

CODE_TTL = 300
CODE_ATTEMPTS = 5
PHONE_MIN_INTERVAL = 60.0
PHONE_PER_HOUR = 5
DEVICE_PER_HOUR = 60
HOUR = 3600.0


class TooManyError(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    sent: tuple[float, ...] = ()
    code_digest: str | None = None
    code_expires: float = 0.0
    attempts_left: int = 0

    def forget_after(self) -> float:
        """After this time the row says nothing any more (no send in the hour, no live code)."""
        last_sent = self.sent[-1] + HOUR if self.sent else 0.0
        return max(last_sent, self.code_expires if self.code_digest else 0.0)


def record_send(state: Throttle, per_hour: int, min_interval: float, now: float) -> Throttle:
    """`state` with a send at `now`, or TooManyError when over a limit."""
    sent = tuple(at for at in state.sent if at > now - HOUR)
    if sent and now - sent[-1] < min_interval:
        raise TooManyError("a code was just sent: wait a minute", int(min_interval - (now - sent[-1])) + 1)
    if len(sent) >= per_hour:
        raise TooManyError("too many codes asked for: try again later", int(sent[0] + HOUR - now) + 1)
    return replace(state, sent=(*sent, now))


def with_code(state: Throttle, digest: str, now: float) -> Throttle:
    """A fresh code replaces the previous one."""
    return replace(state, code_digest=digest, code_expires=now + CODE_TTL, attempts_left=CODE_ATTEMPTS)


@dataclass(frozen=True)
class Verdict:
    """The state to store, and what to tell the kiosk: None (signed in) or the error to raise."""

    state: Throttle
    error: UnauthorizedError | TooManyError | None


def check_code(state: Throttle, digest: str, now: float) -> Verdict:
    """A right code is consumed; a wrong one costs an attempt; the last wrong one voids the code."""
    spent = replace(state, code_digest=None, code_expires=0.0, attempts_left=0)
    if state.code_digest is None or state.code_expires < now or state.attempts_left <= 0:
        return Verdict(spent, UnauthorizedError("no valid code for this number: ask for a new one"))
    if hmac.compare_digest(state.code_digest, digest):
        return Verdict(spent, None)
    left = state.attempts_left - 1
    if left <= 0:
        return Verdict(spent, TooManyError("too many wrong codes: ask for a new one", 1))
    error = UnauthorizedError(f"wrong code ({left} attempt(s) left)", details={"attempts_left": left})
    return Verdict(replace(state, attempts_left=left), error)
