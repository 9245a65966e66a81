"""The pure locker rules: best-fit allocation, pickup secrets, wrong-attempt limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_controller.lockers import codes
from hall_controller.lockers.allocation import Candidate, Size, best_fit, rank
from hall_controller.lockers.ratelimit import AttemptPolicy, judge

KEY = b"k" * 32


def test_best_fit_takes_the_smallest_compartment_that_fits() -> None:
    free = [Candidate("a/03", Size.L), Candidate("a/01", Size.S), Candidate("a/02", Size.M)]
    assert best_fit(free, Size.M) == Candidate("a/02", Size.M)
    assert best_fit(free, Size.S) == Candidate("a/01", Size.S)
    assert best_fit([Candidate("a/01", Size.S)], Size.L) is None


@given(st.lists(st.tuples(st.integers(1, 99), st.sampled_from(list(Size))), unique_by=lambda t: t[0]))
def test_ranking_never_offers_a_compartment_that_is_too_small(entries: list[tuple[int, Size]]) -> None:
    free = [Candidate(f"a/{n:02d}", size) for n, size in entries]
    ranked = rank(free, Size.M)
    assert all(candidate.size >= Size.M for candidate in ranked)
    assert [c.size for c in ranked] == sorted(c.size for c in ranked)
    assert len(ranked) == sum(1 for _, size in entries if size >= Size.M)


def test_size_parsing_names_the_valid_sizes() -> None:
    assert Size.parse(" m ") is Size.M
    with pytest.raises(ValueError, match="S, M, L, XL"):
        Size.parse("huge")


def test_codes_are_eight_digits_and_hashes_depend_on_bank_and_key() -> None:
    code = codes.new_code()
    assert len(code) == 8 and code.isdigit()
    assert codes.code_hash(KEY, "bank-1", code) == codes.code_hash(KEY, "bank-1", f"{code[:4]} {code[4:]}")
    assert codes.code_hash(KEY, "bank-1", code) != codes.code_hash(KEY, "bank-2", code)
    assert codes.code_hash(KEY, "bank-1", code) != codes.code_hash(b"x" * 32, "bank-1", code)
    assert code not in codes.code_hash(KEY, "bank-1", code)


@pytest.mark.parametrize("entered", ["", "1234567", "123456789", "12345a78", "１２３４５６７８"])
def test_malformed_codes_are_refused(entered: str) -> None:
    with pytest.raises(codes.CodeFormatError):
        codes.normalise_code(entered)


def test_qr_tokens_round_trip_and_garbage_is_refused() -> None:
    token = codes.new_qr_token("d1")
    assert codes.parse_qr(token.text()) == token
    for garbage in ["", "HALLBOX1:d1", "OTHER:d1:x", "HALLBOX1::x", "x" * 300]:
        with pytest.raises(codes.CodeFormatError):
            codes.parse_qr(garbage)


POLICY = AttemptPolicy(max_failures=3, window_seconds=60, lockout_seconds=300)


def test_under_the_limit_is_allowed_and_counts_down() -> None:
    verdict = judge([10.0, 20.0], 30.0, POLICY)
    assert verdict.allowed and verdict.failures_left == 1


def test_a_burst_of_failures_locks_out_for_the_lockout_time() -> None:
    failures = [10.0, 20.0, 30.0]
    verdict = judge(failures, 31.0, POLICY)
    assert not verdict.allowed and verdict.retry_after == pytest.approx(299.0)
    assert judge(failures, 331.0, POLICY).allowed


def test_failures_spread_wider_than_the_window_do_not_lock_out() -> None:
    assert judge([0.0, 100.0, 200.0], 201.0, POLICY).allowed
