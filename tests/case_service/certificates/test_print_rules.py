"""Print once, as pure rules."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.certificates.print_rules import (
    ABANDONED_AFTER,
    PrintAttempt,
    PrintKind,
    PrintRefusedError,
    PrintState,
    PrintStatus,
    abandoned,
    alternatives_for,
    check_finish,
    next_print_kind,
    print_state,
)

ORIG, C = PrintKind.ORIGINAL, PrintKind.COPY
REQ, DONE, FAIL, CANCEL = (
    PrintStatus.REQUESTED,
    PrintStatus.COMPLETED,
    PrintStatus.FAILED,
    PrintStatus.CANCELLED,
)


def test_first_print_is_the_original_and_later_ones_copies() -> None:
    assert next_print_kind([]) is ORIG
    assert next_print_kind([PrintAttempt(ORIG, DONE)]) is C
    assert next_print_kind([PrintAttempt(ORIG, DONE), PrintAttempt(C, DONE)]) is C


def test_failed_or_cancelled_original_does_not_use_up_the_original() -> None:
    attempts = [PrintAttempt(ORIG, FAIL), PrintAttempt(ORIG, CANCEL)]

    assert next_print_kind(attempts) is ORIG
    assert print_state(attempts) is PrintState.NOT_PRINTED
    assert alternatives_for(print_state(attempts)) == ("another_kiosk", "locker", "window")


def test_a_second_original_is_refused_while_one_is_printing() -> None:
    with pytest.raises(PrintRefusedError, match="being printed"):
        next_print_kind([PrintAttempt(ORIG, REQ)])
    assert print_state([PrintAttempt(ORIG, REQ)]) is PrintState.PRINTING


def test_printed_offers_no_alternatives() -> None:
    state = print_state([PrintAttempt(ORIG, FAIL), PrintAttempt(ORIG, DONE)])

    assert state is PrintState.PRINTED
    assert alternatives_for(state) == ()


@pytest.mark.parametrize(("current", "outcome"), [(DONE, FAIL), (FAIL, DONE), (REQ, REQ), (CANCEL, CANCEL)])
def test_only_a_requested_print_finishes_and_only_into_a_final_status(
    current: PrintStatus, outcome: PrintStatus
) -> None:
    with pytest.raises(PrintRefusedError):
        check_finish(current, outcome)


def test_a_print_left_without_result_stops_blocking_after_a_while() -> None:
    asked = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    attempts = [PrintAttempt(ORIG, REQ, asked)]

    soon = asked + ABANDONED_AFTER - dt.timedelta(seconds=1)
    late = asked + ABANDONED_AFTER

    with pytest.raises(PrintRefusedError):
        next_print_kind(attempts, soon)
    assert print_state(attempts, soon) is PrintState.PRINTING
    assert abandoned(attempts[0], late)
    assert next_print_kind(attempts, late) is ORIG
    assert print_state(attempts, late) is PrintState.NOT_PRINTED
