"""Case figures from case rows: pure, no I/O. The repository (`repository.py`) fetches the rows.

What each figure counts, over the period [start, end] (days included, the hall's calendar):

- received: cases submitted in the period;
- not accepted, supplement: of the cases received in the period, those not accepted (不予受理) and those
  sent a supplement notice (补正告知);
- accepted: cases accepted in the period; deemed: those of them accepted by law because no supplement
  notice came within 5 working days (art. 32, 视为受理);
- decided: cases that reached their result in the period, in every flow (domain/flows.py): a licence
  approved or denied, a filing or 即办件 registered on the spot, a forwarded case's higher authority's
  result recorded, a public service handled; `decided_by_flow` splits them. On time: decided on or before
  the decision due date (the promised limit, moved by suspensions and extensions), and a registration,
  which has no decision clock, when decided the day it was accepted; late: the others;
- forwarded: cases forwarded to their higher authority (审核转报) in the period, whatever came of them;
- the trend: cases received and decided per day (per month over periods longer than 62 days);
- working days per stage, in (start, end] working days: acceptance (received → accepted) for the cases
  accepted in the period, not counting the deemed ones; decision (accepted → decided, suspended days not
  counted) for the cases decided in the period; and each later stage (certificate, seal, release) for the
  stages left in the period, from the case's steps in the audit trail (`stage_spans`: entered the day of
  the step that put the case in the stage, left the day of the step that took it out; suspended days not
  counted). Mean and p90 (nearest rank).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from case_service.domain.calendar import WorkingCalendar

TOTAL_KEY = "*"
TOTAL_LABEL = "合计 Total"


class GroupBy(StrEnum):
    NONE = "none"
    DEPARTMENT = "department"
    ITEM = "item"
    CHANNEL = "channel"
    CLERK = "clerk"  # who filed the case: a clerk at a window, or the applicant (kiosk, online)
    WINDOW = "window"  # the hall's window it was received at (cases.received_window)


class StageName(StrEnum):
    ACCEPTANCE = "acceptance"
    DECISION = "decision"
    CERTIFICATE = "certificate"
    SEAL = "seal"
    RELEASE = "release"


STAGE_LABELS = {
    StageName.ACCEPTANCE: "受理 acceptance",
    StageName.DECISION: "审查决定 decision",
    StageName.CERTIFICATE: "制作证照 certificate",
    StageName.SEAL: "统一盖章 seal",
    StageName.RELEASE: "出件 release",
}
# The stages measured from the audit trail's steps (the first two from the case's own dates).
LATER_STAGES = frozenset({StageName.CERTIFICATE.value, StageName.SEAL.value, StageName.RELEASE.value})


@dataclass(frozen=True, slots=True)
class ReceivedRow:
    key: str
    label: str
    submitted_on: dt.date
    not_accepted: bool
    supplement: bool
    count: int = 1  # how many cases share these values (the repository counts them in SQL)


@dataclass(frozen=True, slots=True)
class AcceptedRow:
    key: str
    label: str
    submitted_on: dt.date
    accepted_on: dt.date
    deemed: bool
    count: int = 1


class FlowGroup(StrEnum):
    """The flows as the figures split decisions (a public service with or without a certificate is one)."""

    LICENCE = "licence"
    REGISTRATION = "registration"
    FORWARDING = "forwarding"
    PUBLIC_SERVICE = "public_service"


FLOW_GROUP_LABELS = {
    FlowGroup.LICENCE: "许可决定 licence",
    FlowGroup.REGISTRATION: "当场办结 on the spot",
    FlowGroup.FORWARDING: "上级机关结果 higher authority",
    FlowGroup.PUBLIC_SERVICE: "公共服务 public service",
}


def flow_group(flow: str) -> FlowGroup:
    if flow.startswith(FlowGroup.PUBLIC_SERVICE.value):
        return FlowGroup.PUBLIC_SERVICE
    try:
        return FlowGroup(flow)
    except ValueError:
        return FlowGroup.LICENCE  # 其他: the licence way


@dataclass(frozen=True, slots=True)
class DecidedRow:
    key: str
    label: str
    accepted_on: dt.date | None
    decided_on: dt.date
    due_on: dt.date | None
    paused_days: int
    flow: str = FlowGroup.LICENCE.value
    count: int = 1

    @property
    def on_time(self) -> bool:
        """By the decision due date; a registration (no decision clock) when decided the day it was
        accepted."""
        if self.due_on is not None:
            return self.decided_on <= self.due_on
        if flow_group(self.flow) is not FlowGroup.REGISTRATION or self.accepted_on is None:
            return False
        return self.decided_on <= self.accepted_on


@dataclass(frozen=True, slots=True)
class ForwardedRow:
    key: str
    label: str
    forwarded_on: dt.date


@dataclass(frozen=True, slots=True)
class StageSpanRow:
    """A stage a case went through: entered and left (days), with the days suspended in it."""

    key: str
    label: str
    stage: str
    entered_on: dt.date
    left_on: dt.date
    paused_days: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """One audited step of a case: its day, and the stage and suspended days it left the case in."""

    on: dt.date
    stage: str | None
    paused_days: int


def stage_spans(key: str, label: str, steps: Iterable[Step]) -> list[StageSpanRow]:
    """The stages a case left, from its steps in order: a stage begins at the step that put the case in
    it and ends at the first step that put it in another stage (or in none); a step that keeps the stage
    (an extension, a suspension) does not end it."""
    spans: list[StageSpanRow] = []
    current: Step | None = None
    for step in steps:
        if current is not None and step.stage == current.stage:
            continue
        if current is not None and current.stage is not None:
            paused = max(0, step.paused_days - current.paused_days)
            spans.append(StageSpanRow(key, label, current.stage, current.on, step.on, paused))
        current = step
    return spans


@dataclass(frozen=True, slots=True)
class Spread:
    count: int = 0
    mean: float | None = None
    p90: float | None = None


@dataclass
class Figures:
    key: str
    label: str
    received: int = 0
    not_accepted: int = 0
    supplement: int = 0
    accepted: int = 0
    deemed: int = 0
    decided: int = 0
    on_time: int = 0
    late: int = 0
    forwarded: int = 0
    decided_by_flow: Counter[str] = field(default_factory=Counter)
    stage_days: dict[str, list[int]] = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.decided, 4) if self.decided else None

    def spread(self, stage: StageName) -> Spread:
        return spread(self.stage_days.get(stage.value, []))

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "received": self.received,
            "accepted": self.accepted,
            "deemed": self.deemed,
            "not_accepted": self.not_accepted,
            "supplement": self.supplement,
            "decided": self.decided,
            "on_time": self.on_time,
            "late": self.late,
            "on_time_rate": self.on_time_rate,
            "decided_by_flow": {group.value: self.decided_by_flow[group.value] for group in FlowGroup},
            "forwarded": self.forwarded,
            "stages": {
                stage.value: {
                    "label": STAGE_LABELS[stage],
                    "count": (s := self.spread(stage)).count,
                    "mean_working_days": s.mean,
                    "p90_working_days": s.p90,
                }
                for stage in StageName
            },
        }


def p90(values: Sequence[int]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value with at least 90 % of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def spread(values: Sequence[int]) -> Spread:
    if not values:
        return Spread()
    return Spread(len(values), round(sum(values) / len(values), 2), p90(values))


class WorkingDayCounter:
    """`calendar.working_days_between` in O(1) per call, for the many rows of a report: a running count of
    the calendar's working days over the span of days asked about, built once (and widened when a day
    outside it is asked). The answers are the calendar's own."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.first = dt.date.max
        self.counts: list[int] = []  # counts[i]: working days in [first, first + i]

    def _cover(self, start: dt.date, end: dt.date) -> None:
        if self.counts and self.first <= start and end < self.first + dt.timedelta(days=len(self.counts)):
            return
        last = end if not self.counts else max(end, self.first + dt.timedelta(days=len(self.counts) - 1))
        first = min(start, self.first)
        counts, running = [], 0
        for offset in range((last - first).days + 1):
            running += self.calendar.is_working_day(first + dt.timedelta(days=offset))
            counts.append(running)
        self.first, self.counts = first, counts

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        self._cover(min(start, end), max(start, end))
        return self.counts[(end - self.first).days] - self.counts[(start - self.first).days]


def compute(
    received: Iterable[ReceivedRow],
    accepted: Iterable[AcceptedRow],
    decided: Iterable[DecidedRow],
    calendar: WorkingCalendar,
    forwarded: Iterable[ForwardedRow] = (),
    *,
    spans: Iterable[StageSpanRow] = (),
) -> tuple[list[Figures], Figures]:
    """The figures per group (ordered by label) and over all groups; `spans`: the later stages left in the
    period."""
    days_between = WorkingDayCounter(calendar).between
    groups: dict[str, Figures] = {}
    total = Figures(TOTAL_KEY, TOTAL_LABEL)

    def both(key: str, label: str) -> tuple[Figures, Figures]:
        group = groups.get(key)
        if group is None:
            group = groups[key] = Figures(key, label)
        return group, total

    for row in received:
        for figures in both(row.key, row.label):
            figures.received += row.count
            figures.not_accepted += row.not_accepted * row.count
            figures.supplement += row.supplement * row.count
    for accepted_row in accepted:
        days = days_between(accepted_row.submitted_on, accepted_row.accepted_on)
        count = accepted_row.count
        for figures in both(accepted_row.key, accepted_row.label):
            figures.accepted += count
            figures.deemed += accepted_row.deemed * count
            if not accepted_row.deemed:
                figures.stage_days.setdefault(StageName.ACCEPTANCE.value, []).extend([days] * count)
    for forwarded_row in forwarded:
        for figures in both(forwarded_row.key, forwarded_row.label):
            figures.forwarded += 1
    for decided_row in decided:
        on_time = decided_row.on_time
        group = flow_group(decided_row.flow).value
        took = None
        if decided_row.accepted_on is not None:
            worked = days_between(decided_row.accepted_on, decided_row.decided_on)
            took = max(0, worked - decided_row.paused_days)
        count = decided_row.count
        for figures in both(decided_row.key, decided_row.label):
            figures.decided += count
            figures.decided_by_flow[group] += count
            figures.on_time += on_time * count
            figures.late += (not on_time) * count
            if took is not None:
                figures.stage_days.setdefault(StageName.DECISION.value, []).extend([took] * count)
    for span in spans:
        if span.stage not in LATER_STAGES:
            continue
        took = max(0, days_between(span.entered_on, span.left_on) - span.paused_days)
        for figures in both(span.key, span.label):
            figures.stage_days.setdefault(span.stage, []).append(took)
    return sorted(groups.values(), key=lambda figures: (figures.label, figures.key)), total


TREND_DAYS = 62


def trend(
    received: Iterable[ReceivedRow], decided: Iterable[DecidedRow], start: dt.date, end: dt.date
) -> list[dict[str, object]]:
    """Received and decided per day of [start, end], or per month when the period is longer than
    `TREND_DAYS`; every bucket is listed, empty ones too."""
    monthly = (end - start).days >= TREND_DAYS

    def bucket(day: dt.date) -> str:
        return f"{day:%Y-%m}" if monthly else day.isoformat()

    received_in: Counter[str] = Counter()
    for row in received:
        received_in[bucket(row.submitted_on)] += row.count
    decided_in: Counter[str] = Counter()
    for decided_row in decided:
        decided_in[bucket(decided_row.decided_on)] += decided_row.count
    labels: list[str] = []
    day = start
    while day <= end:
        if not labels or labels[-1] != bucket(day):
            labels.append(bucket(day))
        day += dt.timedelta(days=1)
    return [
        {"bucket": label, "received": received_in[label], "decided": decided_in[label]} for label in labels
    ]
