"""One query per figure family, each returning the rows `figures.compute` counts.

A department scope (a department head's reading) is a WHERE on the case's department, in every query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from case_service.domain.flows import Flow
from case_service.domain.states import CaseState
from case_service.reports.figures import (
    TOTAL_KEY,
    AcceptedRow,
    DecidedRow,
    ForwardedRow,
    GroupBy,
    ReceivedRow,
    StageSpanRow,
    Step,
    stage_spans,
)
from case_service.reports.periods import Period
from case_service.reports.ratings import RatingGroupBy, RatingRow, named
from case_service.storage.models import AuditEntry, Case, Evaluation
from hall.calendar import CHINA_TZ

STAFF = "staff:"
SELF_SERVICE, SELF_SERVICE_LABEL = "self-service", "自助/网上 self-service"
CHANNEL_LABELS = {"window": "窗口 window", "kiosk": "自助终端 kiosk", "online": "网上 online"}
NO_WINDOW, NO_WINDOW_LABEL = "none", "未经窗口 no window"


def _group(group_by: GroupBy) -> tuple[Any, Any]:
    """The group's key and label columns (for no grouping, the department: a few groups, summed later)."""
    if group_by is GroupBy.ITEM:
        return Case.item_code, Case.item_name
    if group_by is GroupBy.CHANNEL:
        return Case.channel, Case.channel
    if group_by is GroupBy.WINDOW:
        return Case.received_window, Case.received_window
    if group_by is GroupBy.CLERK:
        # Staff by name; every applicant's own filing (kiosk, online) in one group, counted as one.
        # Constants as SQL text, not bound parameters: PostgreSQL matches a GROUP BY expression to the
        # SELECT's only when they are the same text, and each bound parameter gets its own number.
        staff = Case.created_by.like(literal_column(f"'{STAFF}%'"))
        filer = when((staff, Case.created_by), else_=literal_column(f"'{SELF_SERVICE}'"))
        return filer, filer
    return Case.department, Case.department


def _key_label(group_by: GroupBy, key: Any, label: Any) -> tuple[str, str]:
    if group_by is GroupBy.NONE:
        return TOTAL_KEY, "全部 All"
    if group_by is GroupBy.CHANNEL:
        return str(key), CHANNEL_LABELS.get(str(key), str(key))
    if group_by is GroupBy.WINDOW:
        # "03" sorts window 3 before window 12 (the groups are ordered by label); none of a window last.
        if key is None:
            return NO_WINDOW, NO_WINDOW_LABEL
        return str(key), f"{int(key):02d}号窗口 window {key}"
    if group_by is GroupBy.CLERK:
        # The filer as the audit trail names it: "staff:<username>", else an applicant or a device.
        actor = str(key)
        return (actor[len(STAFF) :],) * 2 if actor.startswith(STAFF) else (SELF_SERVICE, SELF_SERVICE_LABEL)
    return str(key), str(label)


def _counted(group_by: GroupBy, department: str | None, conditions: list[Any], *columns: Any) -> Any:
    """SELECT key, label, *columns, count(*) ... GROUP BY key, label, *columns: the rows `compute` counts,
    one per distinct set of values (a few thousand for a month, however many cases)."""
    key, label = _group(group_by)
    if department is not None:
        conditions = [*conditions, Case.department == department]
    return select(key, label, *columns, func.count()).where(*conditions).group_by(key, label, *columns)


def received_rows(
    session: Session, period: Period, group_by: GroupBy, department: str | None
) -> list[ReceivedRow]:
    refused = Case.state == literal_column(f"'{CaseState.NOT_ACCEPTED.value}'")
    notice = Case.supplement_notice.is_not(None)
    in_period = [Case.submitted_on >= period.start, Case.submitted_on <= period.end]
    query = _counted(group_by, department, in_period, Case.submitted_on, refused, notice)
    return [
        ReceivedRow(*_key_label(group_by, key, label), submitted, bool(refused), bool(notice), int(count))
        for key, label, submitted, refused, notice, count in session.execute(query)
    ]


def accepted_rows(
    session: Session, period: Period, group_by: GroupBy, department: str | None
) -> list[AcceptedRow]:
    in_period = [Case.accepted_on >= period.start, Case.accepted_on <= period.end]
    query = _counted(group_by, department, in_period, Case.submitted_on, Case.accepted_on, Case.auto_accepted)
    return [
        AcceptedRow(*_key_label(group_by, key, label), submitted, accepted, bool(deemed), int(count))
        for key, label, submitted, accepted, deemed, count in session.execute(query)
    ]


def decided_rows(
    session: Session, period: Period, group_by: GroupBy, department: str | None
) -> list[DecidedRow]:
    in_period = [Case.decided_on >= period.start, Case.decided_on <= period.end]
    columns = (Case.accepted_on, Case.decided_on, Case.decision_due_on, Case.paused_days, Case.flow)
    query = _counted(group_by, department, in_period, *columns)
    return [
        DecidedRow(
            *_key_label(group_by, key, label), accepted, decided, due, int(paused or 0), str(flow), int(count)
        )
        for key, label, accepted, decided, due, paused, flow, count in session.execute(query)
    ]


def forwarded_rows(
    session: Session, period: Period, group_by: GroupBy, department: str | None
) -> list[ForwardedRow]:
    """Cases forwarded to their higher authority in the period: the day is in the case's `forwarding`
    record (JSON), read here rather than in SQL (SQLite and PostgreSQL spell JSON paths apart); only
    forwarding cases accepted by the period's end are read."""
    conditions: list[Any] = [
        Case.flow == Flow.FORWARDING.value,
        Case.forwarding.is_not(None),
        Case.accepted_on <= period.end,
    ]
    if department is not None:
        conditions.append(Case.department == department)
    key_column, label_column = _group(group_by)
    query = select(key_column, label_column, Case.forwarding).where(*conditions)
    rows = []
    for key, label, forwarding in session.execute(query):
        day = (forwarding or {}).get("forwarded_on") if isinstance(forwarding, dict) else None
        if not day:
            continue
        forwarded_on = dt.date.fromisoformat(str(day))
        if period.start <= forwarded_on <= period.end:
            rows.append(ForwardedRow(*_key_label(group_by, key, label), forwarded_on))
    return rows


STEPS_PER_QUERY = 500  # cases one query reads the steps of


def stage_span_rows(
    session: Session, period: Period, group_by: GroupBy, department: str | None
) -> list[StageSpanRow]:
    """The stages the cases left in the period, from their audited steps (`figures.stage_spans`). A stage
    left in the period was left by a step in it: the cases read are those with a step in the period (the
    audit trail's index on its time), their steps up to the period's end by its subject index, a few
    hundred cases a query."""
    start, end = _bounds(period)
    steps_of_case = [AuditEntry.subject_type == "case", AuditEntry.action.like(literal_column("'case.%'"))]
    stepped = select(AuditEntry.subject_id).where(*steps_of_case, AuditEntry.at >= start, AuditEntry.at < end)
    ids = sorted(
        {int(subject_id) for (subject_id,) in session.execute(stepped.distinct()) if subject_id.isdigit()}
    )
    key_column, label_column = _group(group_by)
    groups: dict[str, tuple[str, str]] = {}
    steps: dict[str, list[Step]] = {}
    for first in range(0, len(ids), STEPS_PER_QUERY):
        chunk = ids[first : first + STEPS_PER_QUERY]
        cases = select(Case.id, key_column, label_column).where(Case.id.in_(chunk))
        if department is not None:
            cases = cases.where(Case.department == department)
        found = {str(row[0]): _key_label(group_by, row[1], row[2]) for row in session.execute(cases)}
        if not found:
            continue
        groups.update(found)
        query = (
            select(AuditEntry.subject_id, AuditEntry.at, AuditEntry.after)
            .where(*steps_of_case, AuditEntry.subject_id.in_(list(found)), AuditEntry.at < end)
            .order_by(AuditEntry.seq)
        )
        for subject_id, at, after in session.execute(query):
            if not isinstance(after, dict) or "stage" not in after:
                continue  # not a step of the case's own (an opinion, a note)
            day = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ).date()
            stage, paused = after["stage"], after.get("paused_days") or 0
            steps.setdefault(subject_id, []).append(Step(day, str(stage) if stage else None, int(paused)))
    return [
        span
        for case_id, case_steps in steps.items()
        for span in stage_spans(*groups[case_id], case_steps)
        if period.start <= span.left_on <= period.end
    ]


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period's days in the hall's time zone, as instants: [first midnight, the midnight after)."""
    start = dt.datetime.combine(period.start, dt.time(), CHINA_TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), CHINA_TZ).astimezone(dt.UTC)
    return start, end


def rating_rows(
    session: Session, period: Period, group_by: RatingGroupBy, department: str | None
) -> list[RatingRow]:
    """One row per rating given in the period, with its group (a department scope is a WHERE)."""
    start, end = _bounds(period)
    columns = {
        RatingGroupBy.NONE: (Case.department, Case.department),
        RatingGroupBy.DEPARTMENT: (Case.department, Case.department),
        RatingGroupBy.ITEM: (Case.item_code, Case.item_name),
        RatingGroupBy.WINDOW: (Evaluation.window, Evaluation.window),
        RatingGroupBy.CLERK: (Evaluation.clerk, Evaluation.clerk),
    }[group_by]
    query = (
        select(columns[0], columns[1], Evaluation.score)
        .join(Case, Case.id == Evaluation.case_id)
        .where(Evaluation.created_at >= start, Evaluation.created_at < end)
    )
    if department is not None:
        query = query.where(Case.department == department)
    return [
        RatingRow(*named(group_by, key, label), int(score)) for key, label, score in session.execute(query)
    ]
