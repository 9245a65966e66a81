"""The pure parts of the figures: periods, p90, counting rows, the trend."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain.calendar import weekend_only_calendar
from case_service.domain.errors import InvalidInputError
from case_service.reports.figures import AcceptedRow, DecidedRow, ReceivedRow, StageName, compute, p90, trend
from case_service.reports.periods import PeriodKind, period_of

D = dt.date


def test_periods() -> None:
    assert period_of(PeriodKind.WEEK, D(2025, 10, 1)).start == D(2025, 9, 29)
    assert period_of(PeriodKind.WEEK, D(2025, 10, 1)).label == "2025-W40"
    assert period_of(PeriodKind.MONTH, D(2024, 2, 10)).end == D(2024, 2, 29)
    assert period_of(PeriodKind.YEAR, D(2025, 6, 1)).label == "2025"
    assert period_of(PeriodKind.RANGE, D(2025, 1, 1), start=D(2025, 1, 5), end=D(2025, 1, 5)).label == (
        "2025-01-05 – 2025-01-05"
    )
    with pytest.raises(InvalidInputError):
        period_of(PeriodKind.RANGE, D(2025, 1, 1), start=D(2025, 1, 5))


def test_p90_is_the_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([7]) == 7.0
    assert p90(list(range(1, 11))) == 9.0  # 9 of 10 values at or below 9
    assert p90(list(range(1, 12))) == 10.0  # ceil(9.9) = 10th


def test_counting_rows_per_group_and_in_total() -> None:
    calendar = weekend_only_calendar()
    received = [
        ReceivedRow("a", "A", D(2025, 10, 6), not_accepted=True, supplement=False),
        ReceivedRow("b", "B", D(2025, 10, 6), not_accepted=False, supplement=True),
    ]
    # Friday → Monday is one working day; a deemed acceptance has no acceptance time.
    accepted = [
        AcceptedRow("a", "A", D(2025, 10, 3), D(2025, 10, 6), deemed=False),
        AcceptedRow("a", "A", D(2025, 10, 6), D(2025, 10, 6), deemed=True),
    ]
    decided = [
        DecidedRow("b", "B", D(2025, 10, 6), D(2025, 10, 13), D(2025, 10, 13), paused_days=1),
        DecidedRow("b", "B", D(2025, 10, 6), D(2025, 10, 14), D(2025, 10, 13), paused_days=0),
    ]
    groups, total = compute(received, accepted, decided, calendar)
    a, b = groups
    assert (a.received, a.not_accepted, a.accepted, a.deemed) == (1, 1, 2, 1)
    assert a.spread(StageName.ACCEPTANCE).mean == 1.0 and a.spread(StageName.ACCEPTANCE).count == 1
    assert (b.supplement, b.decided, b.on_time, b.late, b.on_time_rate) == (1, 2, 1, 1, 0.5)
    assert b.stage_days["decision"] == [4, 6]  # 5 working days less 1 suspended; 6
    assert (total.received, total.decided, total.on_time_rate) == (2, 2, 0.5)


def test_trend_lists_every_bucket() -> None:
    rows = [ReceivedRow("a", "A", D(2025, 10, 2), not_accepted=False, supplement=False)]
    daily = trend(rows, [], D(2025, 10, 1), D(2025, 10, 3))
    assert [(t["bucket"], t["received"]) for t in daily] == [
        ("2025-10-01", 0),
        ("2025-10-02", 1),
        ("2025-10-03", 0),
    ]
    monthly = trend(rows, [], D(2025, 1, 1), D(2025, 12, 31))
    assert len(monthly) == 12 and monthly[9] == {"bucket": "2025-10", "received": 1, "decided": 0}


def test_every_flows_results_are_decided_and_a_registration_is_on_time_on_the_spot() -> None:
    from case_service.reports.figures import ForwardedRow

    calendar = weekend_only_calendar()
    monday, tuesday = D(2025, 10, 6), D(2025, 10, 7)
    decided = [
        DecidedRow("a", "A", monday, tuesday, D(2025, 10, 10), 0, "licence"),
        DecidedRow("a", "A", monday, monday, None, 0, "registration"),  # on the spot: on time
        DecidedRow("a", "A", monday, tuesday, None, 0, "registration"),  # a day after: late
        DecidedRow("a", "A", monday, tuesday, monday, 0, "forwarding"),  # past its due day: late
        DecidedRow("a", "A", monday, tuesday, D(2025, 10, 10), 0, "public_service_certificate"),
        DecidedRow("a", "A", monday, tuesday, None, 0, "licence"),  # no due day and not on the spot
    ]
    forwarded = [ForwardedRow("a", "A", monday), ForwardedRow("b", "B", tuesday)]
    groups, total = compute([], [], decided, calendar, forwarded)
    a = next(group for group in groups if group.key == "a")
    assert (a.decided, a.on_time, a.late, a.forwarded) == (6, 3, 3, 1)
    assert a.as_dict()["decided_by_flow"] == {
        "licence": 2,
        "registration": 2,
        "forwarding": 1,
        "public_service": 1,
    }
    assert (total.decided, total.forwarded) == (6, 2)
