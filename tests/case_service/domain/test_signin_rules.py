"""The pure sign-in rules: a verdict is the next state plus what to tell the kiosk."""

from __future__ import annotations

import pytest

from case_service.domain.errors import UnauthorizedError
from case_service.domain.signin import (
    CODE_ATTEMPTS,
    CODE_TTL,
    HOUR,
    Throttle,
    TooManyError,
    check_code,
    record_send,
    with_code,
)


def test_a_wrong_code_costs_one_attempt_and_the_last_voids_it() -> None:
    state = with_code(Throttle(), "right", now=0.0)
    for left in range(CODE_ATTEMPTS - 1, 0, -1):
        verdict = check_code(state, "wrong", now=1.0)
        assert isinstance(verdict.error, UnauthorizedError) and verdict.error.details == {
            "attempts_left": left
        }
        state = verdict.state
    last = check_code(state, "wrong", now=1.0)
    assert isinstance(last.error, TooManyError) and last.state.code_digest is None
    assert isinstance(check_code(last.state, "right", now=1.0).error, UnauthorizedError)


def test_a_right_code_signs_in_once_and_not_after_expiry() -> None:
    state = with_code(Throttle(), "right", now=0.0)
    verdict = check_code(state, "right", now=CODE_TTL)
    assert verdict.error is None and verdict.state.code_digest is None
    assert isinstance(check_code(state, "right", now=CODE_TTL + 0.001).error, UnauthorizedError)


def test_send_limits_and_when_a_row_may_be_forgotten() -> None:
    state = record_send(Throttle(), per_hour=2, min_interval=60, now=0.0)
    with pytest.raises(TooManyError) as soon:
        record_send(state, per_hour=2, min_interval=60, now=30.0)
    assert soon.value.retry_after == 31
    state = record_send(state, per_hour=2, min_interval=60, now=60.0)
    with pytest.raises(TooManyError) as hourly:
        record_send(state, per_hour=2, min_interval=60, now=120.0)
    assert hourly.value.retry_after == int(HOUR - 120) + 1
    assert record_send(state, per_hour=2, min_interval=60, now=HOUR + 1).sent == (60.0, HOUR + 1)
    assert state.forget_after() == 60.0 + HOUR
    assert with_code(state, "x", now=HOUR + 60).forget_after() == HOUR + 60 + CODE_TTL
