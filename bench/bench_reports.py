"""The month's figures over 1,000,000 cases: the case report by department and the 效能考核 ranking, on
SQLite and PostgreSQL, each beside a bare count(*) over the same cases (the issue's goal: under 2 s)."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_case_service import DEPARTMENTS, ITEM, postgres_database
from bench.core import Figure

CASES = 1_000_000
SPAN_DAYS = 400  # the cases are spread over this many days before the month's end
MONTH = dt.date(2025, 10, 1)


def fill(engine: Any, count: int) -> None:
    """Rows made inside the database: submitted over SPAN_DAYS, 90 % accepted 0–4 days later, 70 %
    decided 3–24 days after that (due 15 days after acceptance), 15 % with a supplement notice."""
    from sqlalchemy import text

    end = MONTH.replace(day=31)
    if engine.dialect.name == "postgresql":
        source = f"SELECT g AS n FROM generate_series(1, {count}) AS g"
        department = "(ARRAY[" + ",".join(f"'{name}'" for name in DEPARTMENTS) + "])[1 + n % 10]"

        def day(offset: str) -> str:
            return f"(DATE '{end}' - (n % {SPAN_DAYS}) + ({offset}))"

        false, true, now = "false", "true", "now()"
        notice = 'CASE WHEN n % 100 < 15 THEN \'{"lines": ["x"]}\'::json END'
    else:
        recursive = f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count})"
        source = f"{recursive} SELECT n FROM s"
        department = (
            "CASE n % 10 "
            + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(DEPARTMENTS))
            + " END"
        )

        def day(offset: str) -> str:
            return f"date('{end}', '-' || (n % {SPAN_DAYS}) || ' days', ({offset}) || ' days')"

        false, true, now = "0", "1", "CURRENT_TIMESTAMP"
        notice = 'CASE WHEN n % 100 < 15 THEN \'{"lines": ["x"]}\' END'
    accepted = f"CASE WHEN n % 10 < 9 THEN {day('n % 5')} END"
    decided = f"CASE WHEN n % 10 < 7 THEN {day('n % 5 + 3 + n % 22')} END"
    due = f"CASE WHEN n % 10 < 9 THEN {day('n % 5 + 15')} END"
    statement = f"""
        INSERT INTO cases (number, item_id, item_code, item_version, item_name, department, channel,
            applicant_name, applicant_id_enc, applicant_index, state, is_open, submitted_at, submitted_on,
            accepted_on, auto_accepted, decision_due_on, decided_on, supplement_notice, release_channel,
            stage, due_estimated, paused_days, extended, created_by, updated_at)
        SELECT 'R' || n, 1, '{ITEM}', 1, '食品(含保健食品)经营许可', {department},
            CASE n % 3 WHEN 0 THEN 'window' WHEN 1 THEN 'kiosk' ELSE 'online' END,
            '张三', 'k0:x', 'idx' || (n % 50000),
            CASE WHEN n % 10 < 7 THEN 'delivered' ELSE 'in_review' END,
            CASE WHEN n % 10 < 7 THEN {false} ELSE {true} END, {now}, {day("0")},
            {accepted}, {false}, {due}, {decided}, {notice},
            CASE WHEN n % 10 < 7
                THEN (CASE n % 3 WHEN 0 THEN 'locker' WHEN 1 THEN 'window' ELSE 'mail' END) END,
            'review', {false}, 0, {false},
            CASE WHEN n % 3 = 0 THEN 'staff:clerk' || (n % 7) ELSE 'applicant' END, {now}
        FROM ({source}) AS numbers
    """
    with engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE cases" if engine.dialect.name == "postgresql" else "ANALYZE"))


def measure(database_url: str) -> tuple[float, float, float, int]:
    """(median case report, median assessment, median count(*), cases received in the month)."""
    from sqlalchemy import func, select

    from case_service.bootstrap import prepare_database
    from case_service.db import make_engine, make_session_factory
    from case_service.reports.assessment import DEFAULT_WEIGHTS, check_weights, rank
    from case_service.reports.assessment_data import department_figures
    from case_service.reports.figures import GroupBy
    from case_service.reports.periods import PeriodKind, period_of
    from case_service.reports.service import case_report
    from case_service.storage.models import Case
    from hall.calendar import china_calendar

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    prepare_database(engine, sessions, demo_staff=False)
    fill(engine, CASES)
    calendar, period = china_calendar(), period_of(PeriodKind.MONTH, MONTH)
    weights = check_weights(DEFAULT_WEIGHTS)
    reports, assessments, counts, received = [], [], [], 0
    with sessions() as session:
        case_report(session, calendar, period, GroupBy.DEPARTMENT, None)  # warm the caches once
        for _ in range(3):
            started = time.perf_counter()
            report = case_report(session, calendar, period, GroupBy.DEPARTMENT, None)
            reports.append(time.perf_counter() - started)
            received = report.total.received
            started = time.perf_counter()
            ranked = rank(department_figures(session, period, None), weights)
            assessments.append(time.perf_counter() - started)
            assert len(ranked) == len(DEPARTMENTS)
            started = time.perf_counter()
            total = session.scalar(select(func.count()).select_from(Case))
            counts.append(time.perf_counter() - started)
            assert total is not None and total >= CASES
    engine.dispose()
    return statistics.median(reports), statistics.median(assessments), statistics.median(counts), received


def _figures(label: str, database_url: str) -> list[Figure]:
    report, assessment, count, received = measure(database_url)
    return [
        Figure(
            f"month's case report by department, 1M cases ({label}, {received:,} received)",
            report,
            "s",
            "count(*) over the same cases",
            count,
            "< 2 s",
            better="lower",
        ),
        Figure(
            f"month's 效能考核 ranking, 1M cases ({label})",
            assessment,
            "s",
            "count(*) over the same cases",
            count,
            "< 2 s",
            better="lower",
        ),
    ]


def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        figures += _figures("SQLite", f"sqlite:///{Path(folder) / 'reports.db'}")
    with postgres_database() as postgres_url:
        figures += _figures("PostgreSQL", postgres_url)
    return figures
