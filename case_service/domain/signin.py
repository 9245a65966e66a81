"""Pure rules of the sign-in codes: send limits, code expiry and attempts. No I/O, no clock.

The state of one phone number or kiosk is a `Throttle` (the send times of the last hour, and for a
number the pending code's keyed hash); every rule takes one and the time, and answers the next one.
The repository (case_service/storage/signin.py) keeps them in the database and applies each answer with
a conditional UPDATE, so several processes see one state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace

from case_service.domain.errors import UnauthorizedError

CODE_TTL = 300
CODE_ATTEMPTS = 5
PHONE_MIN_INTERVAL = 60.0
PHONE_PER_HOUR = 5
DEVICE_PER_HOUR = 60
HOUR = 3600.0
# Applicant sign-ins (card, e-ID, phone) per kiosk: a person takes more than a few seconds each.
SIGNINS_PER_MINUTE = 12
SIGNINS_PER_HOUR = 240
CHALLENGE_TTL = 120  # seconds from a card challenge to the attested read
# Staff sign-in: failed passwords per username and per client address in a window.
LOGIN_WINDOW = 900.0
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_ADDRESS = 20


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


def record_signin(state: Throttle, now: float) -> Throttle:
    """`state` with one more applicant sign-in at a kiosk, or TooManyError on a burst."""
    sent = tuple(at for at in state.sent if at > now - HOUR)
    last_minute = [at for at in sent if at > now - 60.0]
    if len(last_minute) >= SIGNINS_PER_MINUTE:
        retry = int(last_minute[0] + 60 - now) + 1
        raise TooManyError("too many sign-ins at this kiosk: wait a minute", retry)
    if len(sent) >= SIGNINS_PER_HOUR:
        raise TooManyError("too many sign-ins at this kiosk this hour", int(sent[0] + HOUR - now) + 1)
    return replace(state, sent=(*sent, now))


# Card challenges: stateless nonces for one kiosk, each accepted once (the used ones are stored).


def _challenge_mac(key: bytes, device: str, body: str) -> str:
    digest = hmac.new(key, f"card-challenge\x1f{device}\x1f{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def new_challenge(key: bytes, device: str, now: float) -> str:
    """A nonce for `device`, valid CHALLENGE_TTL seconds: `<random>.<expiry>.<mac>`."""
    body = f"{secrets.token_urlsafe(18)}.{int(now) + CHALLENGE_TTL}"
    return f"{body}.{_challenge_mac(key, device, body)}"


def challenge_expiry(key: bytes, device: str, nonce: str, now: float) -> int:
    """The expiry of a nonce this service gave `device`; UnauthorizedError if forged, foreign or old."""
    body, _, mac = nonce.rpartition(".")
    expires = body.rpartition(".")[2]
    if not body or not hmac.compare_digest(_challenge_mac(key, device, body), mac) or not expires.isdigit():
        raise UnauthorizedError("the card read is not bound to a challenge this kiosk was given")
    if int(expires) < now:
        raise UnauthorizedError("the card challenge expired: read the card again")
    return int(expires)


def check_login(state: Throttle, limit: int, now: float) -> None:
    """TooManyError while `limit` failures lie within the login window."""
    recent = [at for at in state.sent if at > now - LOGIN_WINDOW]
    if len(recent) >= limit:
        retry = int(recent[0] + LOGIN_WINDOW - now) + 1
        raise TooManyError("too many failed sign-ins: try again later", retry)


def record_login_failure(state: Throttle, now: float) -> Throttle:
    return replace(state, sent=(*(at for at in state.sent if at > now - LOGIN_WINDOW), now))
