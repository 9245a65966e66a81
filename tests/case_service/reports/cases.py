"""A generated set of cases for the figures' tests, written straight into the case service's database
(the figures read rows; how a case got there is the case flows' tests' concern), and the figures computed
independently: plain SQL for the counts, chinese_calendar for the working days."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import defaultdict
from typing import Any

import chinese_calendar
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry, Case, Evaluation, Item

FIRST_DAY = dt.date(2025, 9, 1)
LAST_DAY = dt.date(2025, 11, 30)
CHANNELS = ("window", "kiosk", "online")
# The flows of the cases (domain/flows.py), licences the most; the figures read the case's own flow.
FLOWS = ("licence",) * 5 + ("registration", "forwarding", "public_service", "public_service_certificate")
# How the figures split decisions by flow (reports.figures.FlowGroup), in SQL.
FLOW_GROUP_SQL = (
    "CASE WHEN flow LIKE 'public_service%' THEN 'public_service' "
    "WHEN flow IN ('registration', 'forwarding') THEN flow ELSE 'licence' END"
)
FLOW_GROUPS = ("licence", "registration", "forwarding", "public_service")
HALL = dt.timezone(dt.timedelta(hours=8))


def pick_items(session: Session, departments: int = 4) -> list[Item]:
    """One current item from each of several departments, the market regulator's among them."""
    items = list(session.scalars(select(Item).where(Item.is_current.is_(True)).order_by(Item.code)))
    chosen: dict[str, Item] = {}
    for item in items:
        if item.department == "州市场监管局" or len(chosen) < departments - 1:
            chosen.setdefault(item.department, item)
    assert "州市场监管局" in chosen and len(chosen) >= 3
    return list(chosen.values())


def generate(engine: Engine, count: int = 400, seed: int = 20) -> None:
    rng = random.Random(seed)
    windows = random.Random(seed + 1)  # apart, so the other figures' cases stay as they were
    with Session(engine) as session:
        items = pick_items(session)
        span = (LAST_DAY - FIRST_DAY).days
        for index in range(count):
            item = rng.choice(items)
            channel = rng.choice(CHANNELS)
            filer = (
                f"staff:clerk{rng.randint(1, 3)}"
                if channel == "window"
                else f"applicant:ix{index} via kiosk-01"
            )
            submitted = FIRST_DAY + dt.timedelta(days=rng.randint(0, span))
            flow = rng.choice(FLOWS)
            fields: dict[str, Any] = {"flow": flow}
            roll = rng.random()
            state = "submitted"
            if roll < 0.1:
                state = "not_accepted"
            elif roll < 0.9 and flow == "registration":
                # Registered on the spot: accepted and decided at once, no decision clock.
                accepted = submitted + dt.timedelta(days=rng.choice((0, 0, 1)))
                fields.update(accepted_on=accepted, decided_on=accepted, auto_accepted=False)
                state = rng.choice(("registered", "delivered"))
            elif roll < 0.9:
                deemed = flow == "licence" and rng.random() < 0.1
                accepted = submitted if deemed else submitted + dt.timedelta(days=rng.randint(0, 8))
                fields.update(accepted_on=accepted, auto_accepted=deemed)
                state = "accepted"
                fields["decision_due_on"] = accepted + dt.timedelta(days=rng.randint(4, 20))
                if flow == "forwarding" and rng.random() < 0.8:
                    forwarded_on = accepted + dt.timedelta(days=rng.randint(0, 10))
                    fields["forwarding"] = {
                        "authority": "四川省司法厅",
                        "forwarded_on": forwarded_on.isoformat(),
                    }
                    state = "forwarded"
                    if rng.random() < 0.6:
                        fields["decided_on"] = forwarded_on + dt.timedelta(days=rng.randint(0, 20))
                        fields["forwarding"]["result"] = {"outcome": "approved"}
                        state = rng.choice(("result_received", "delivered"))
                elif flow != "forwarding" and rng.random() < 0.7:
                    fields["decided_on"] = accepted + dt.timedelta(days=rng.randint(0, 28))
                    fields["paused_days"] = rng.choice((0, 0, 0, 1, 3)) if flow == "licence" else 0
                    fields["decision_reasons"] = "test"
                    outcomes = (
                        ("approved", "denied", "delivered") if flow == "licence" else ("handled", "delivered")
                    )
                    state = rng.choice(outcomes)
            if rng.random() < 0.15:
                fields["supplement_notice"] = {"issued_on": submitted.isoformat(), "lines": ["x"]}
            session.add(
                Case(
                    number=f"RPT{index:06d}",
                    item_id=item.id,
                    item_code=item.code,
                    item_version=item.version,
                    item_name=item.name,
                    department=item.department,
                    channel=channel,
                    applicant_name="测试",
                    applicant_id_enc="-",
                    applicant_index=f"ix{index}",
                    state=state,
                    is_open=state not in ("not_accepted", "denied", "delivered"),
                    submitted_on=submitted,
                    created_by=filer,
                    # Filed at a window, or a kiosk's or online case received at one (or at none).
                    received_window=windows.choice((1, 2, 3, 12) if channel == "window" else (None, 2, 5)),
                    **fields,
                )
            )
        session.commit()


def working_days(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end], straight from chinese_calendar."""
    return sum(
        chinese_calendar.is_workday(start + dt.timedelta(days=n)) for n in range(1, (end - start).days + 1)
    )


def nearest_rank_p90(values: list[int]) -> float | None:
    if not values:
        return None
    return float(sorted(values)[math.ceil(len(values) * 0.9) - 1])


def expected_by(
    engine: Engine, column: str, start: dt.date, end: dt.date, department: str | None = None
) -> dict[str, dict[str, Any]]:
    """Every figure per value of `column` (department, item_code or channel), by SQL of its own."""
    scope = "AND department = :department" if department else ""
    params = {"start": start, "end": end, "department": department}
    figures: dict[str, dict[str, Any]] = defaultdict(
        lambda: (
            dict.fromkeys(
                (
                    "received",
                    "not_accepted",
                    "supplement",
                    "accepted",
                    "deemed",
                    "decided",
                    "on_time",
                    "late",
                ),
                0,
            )
            | {"forwarded": 0}
        )
    )
    by_flow: dict[str, dict[str, int]] = {}
    acceptance: dict[str, list[int]] = defaultdict(list)
    decision: dict[str, list[int]] = defaultdict(list)
    with engine.connect() as connection:
        for key, received, refused, notices in connection.execute(
            text(
                f"SELECT {column}, COUNT(*), SUM(CASE WHEN state = 'not_accepted' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN supplement_notice IS NOT NULL THEN 1 ELSE 0 END) FROM cases "
                f"WHERE submitted_on BETWEEN :start AND :end {scope} GROUP BY {column}"
            ),
            params,
        ):
            figures[key].update(received=received, not_accepted=refused, supplement=notices)
        for key, accepted, deemed in connection.execute(
            text(
                f"SELECT {column}, COUNT(*), SUM(CASE WHEN auto_accepted THEN 1 ELSE 0 END) FROM cases "
                f"WHERE accepted_on BETWEEN :start AND :end {scope} GROUP BY {column}"
            ),
            params,
        ):
            figures[key].update(accepted=accepted, deemed=deemed)
        # On time: by the decision due date; a registration (no decision clock) by its acceptance day.
        due = "COALESCE(decision_due_on, CASE WHEN flow = 'registration' THEN accepted_on END)"
        for key, decided, on_time in connection.execute(
            text(
                f"SELECT {column}, COUNT(*), SUM(CASE WHEN decided_on <= {due} THEN 1 ELSE 0 END) "
                f"FROM cases WHERE decided_on BETWEEN :start AND :end {scope} GROUP BY {column}"
            ),
            params,
        ):
            figures[key].update(decided=decided, on_time=on_time, late=decided - on_time)
        for key, group, decided in connection.execute(
            text(
                f"SELECT {column}, {FLOW_GROUP_SQL}, COUNT(*) FROM cases "
                f"WHERE decided_on BETWEEN :start AND :end {scope} GROUP BY {column}, {FLOW_GROUP_SQL}"
            ),
            params,
        ):
            by_flow.setdefault(key, dict.fromkeys(FLOW_GROUPS, 0))[group] = decided
        for key, forwarding in connection.execute(
            text(f"SELECT {column}, forwarding FROM cases WHERE flow = 'forwarding' {scope}"), params
        ):
            record = json.loads(forwarding) if isinstance(forwarding, str) else forwarding
            day = dt.date.fromisoformat(record["forwarded_on"]) if record else None
            if day is not None and start <= day <= end:
                figures[key]["forwarded"] += 1
        for key, submitted, accepted in connection.execute(
            text(
                f"SELECT {column}, submitted_on, accepted_on FROM cases "
                f"WHERE accepted_on BETWEEN :start AND :end AND NOT auto_accepted {scope}"
            ),
            params,
        ):
            acceptance[key].append(working_days(as_date(submitted), as_date(accepted)))
        for key, accepted, decided, paused in connection.execute(
            text(
                f"SELECT {column}, accepted_on, decided_on, paused_days FROM cases "
                f"WHERE decided_on BETWEEN :start AND :end {scope}"
            ),
            params,
        ):
            decision[key].append(max(0, working_days(as_date(accepted), as_date(decided)) - paused))
    for key, values in figures.items():
        for stage, days in (("acceptance", acceptance[key]), ("decision", decision[key])):
            values[stage] = {
                "count": len(days),
                "mean_working_days": round(sum(days) / len(days), 2) if days else None,
                "p90_working_days": nearest_rank_p90(days),
            }
        values["decided_by_flow"] = by_flow.get(key, dict.fromkeys(FLOW_GROUPS, 0))
        values["on_time_rate"] = (
            round(values["on_time"] / values["decided"], 4) if values["decided"] else None
        )
    return dict(figures)


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def generate_ratings(engine: Engine, count: int = 300, seed: int = 21) -> None:
    """Ratings of the generated cases, at any minute of Sep–Nov 2025 (some just around midnight in the
    hall, where UTC and the hall's day differ), from windows 1–4 and three clerks, some without either."""
    rng = random.Random(seed)
    with Session(engine) as session:
        case_ids = list(session.scalars(select(Case.id)))
        for _ in range(count):
            day = FIRST_DAY + dt.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
            minute = rng.choice((rng.randint(0, 1439), 0, 1, 1438, 1439))  # hall time
            given = dt.datetime.combine(day, dt.time(), HALL) + dt.timedelta(minutes=minute)
            recorded = rng.random() < 0.9
            session.add(
                Evaluation(
                    case_id=rng.choice(case_ids),
                    score=rng.choice((5, 5, 5, 4, 4, 3, 2, 1)),
                    comment="",
                    source="test",
                    window=str(rng.randint(1, 4)) if recorded else None,
                    clerk=rng.choice(("clerk-a", "clerk-b", "clerk-c")) if recorded else None,
                    created_at=given.astimezone(dt.UTC),
                )
            )
        session.commit()


def expected_ratings(
    engine: Engine, column: str, start: dt.date, end: dt.date, department: str | None = None
) -> dict[str, dict[int, int]]:
    """Ratings per level per group, the hall's day of each rating worked out here from its stored time."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(range(1, 6), 0))
    with engine.connect() as connection:
        for key, dep, score, created in connection.execute(
            text(
                f"SELECT {column}, c.department, e.score, e.created_at FROM evaluations e "
                "JOIN cases c ON c.id = e.case_id"
            )
        ):
            at = created if isinstance(created, dt.datetime) else dt.datetime.fromisoformat(str(created))
            if at.tzinfo is None:
                at = at.replace(tzinfo=dt.UTC)  # SQLite keeps the UTC wall time
            if start <= at.astimezone(HALL).date() <= end and (department is None or dep == department):
                counts["—" if key is None else str(key)][score] += 1
    return dict(counts)


LATER_STAGES = ("certificate", "seal", "release")


def generate_steps(engine: Engine, seed: int = 22) -> dict[str, dict[str, list[int]]]:
    """Audited steps for the decided licence cases: approved (into the certificate stage), the certificate
    made (seal), sealed (release), delivered (no stage), each a few days after the last, with an extension
    step inside the certificate stage and suspended days inside the seal stage now and then; written as
    audit entries at 10:00 in the hall. Returns the truth: working days per later stage left in October, per
    department, from the days chosen here and chinese_calendar."""
    rng = random.Random(seed)
    truth: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    seq = 10_000_000
    with Session(engine) as session:
        decided = session.execute(
            select(Case.id, Case.department, Case.decided_on).where(
                Case.flow == "licence", Case.decided_on.is_not(None)
            )
        ).all()
        for case_id, department, decided_on in decided:
            assert decided_on is not None
            day, paused = decided_on, 0
            steps: list[tuple[dt.date, str | None, int]] = [(day, "certificate", paused)]
            if rng.random() < 0.3:  # a step that keeps the stage: not its end
                steps.append((day + dt.timedelta(days=1), "certificate", paused))
            for stage in ("seal", "release", None):
                entered, entered_paused = day, paused
                day = day + dt.timedelta(days=rng.randint(0, 6))
                if steps[-1][1] == "seal" and rng.random() < 0.3:
                    paused += rng.randint(1, 2)
                steps.append((day, stage, paused))
                left_stage = steps[-2][1]
                if FIRST_DAY.replace(month=10) <= day <= dt.date(2025, 10, 31):
                    took = max(0, working_days(entered, day) - (paused - entered_paused))
                    truth[department][str(left_stage)].append(took)
            entries = [
                (on, 10, "case.generated", {"state": "x", "stage": stage, "paused_days": paused_days})
                for on, stage, paused_days in steps
            ]
            entries.append((decided_on, 11, "case.note", {"note": "x"}))  # no stage in it: no step
            for on, hour, action, after in entries:
                seq += 1
                session.add(
                    AuditEntry(
                        seq=seq,
                        at=dt.datetime.combine(on, dt.time(hour), HALL),
                        actor="staff:generated",
                        action=action,
                        subject_type="case",
                        subject_id=str(case_id),
                        after=after,
                        prev_hash="0" * 64,
                        hash="0" * 64,
                    )
                )
        session.commit()
    return truth
