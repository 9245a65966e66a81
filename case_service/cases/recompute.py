"""When the working-day calendar changes: every open case's due dates counted again, each change audited."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.states import CaseState
from case_service.storage import audit
from case_service.storage.models import Case, Item

log = logging.getLogger(__name__)
_DUE_FIELDS = ("decision_due_on", "legal_due_on", "stage_due_on", "due_estimated")


def _dues(case: Case) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, dt.date) else value
        for name in _DUE_FIELDS
        for value in (getattr(case, name),)
    }


def recompute_open_cases(session: Session, calendar: WorkingCalendar, *, actor: str, reason: str) -> int:
    """Counts every open case's due dates again on `calendar`; returns how many changed (caller commits)."""
    cases = session.execute(
        select(Case, Item)
        .join(Item, Item.id == Case.item_id)
        .where(Case.is_open.is_(True))
        .with_for_update(of=Case)
    ).all()
    changed = 0
    for case, item in cases:
        result = deadlines.recompute(
            calendar,
            CaseState(case.state),
            accepted_on=case.accepted_on,
            decided=case.decided_on is not None,
            stage_entered_on=case.stage_entered_on,
            decision_due_on=case.decision_due_on,
            legal_due_on=case.legal_due_on,
            promised_days=item.promised_limit_days,
            legal_days=item.legal_limit_days,
            paused_days=case.paused_days,
            extended=case.extended,
            budgets=item.stage_budgets,
        )
        before = _dues(case)
        case.decision_due_on, case.legal_due_on = result.decision_due_on, result.legal_due_on
        if case.stage_due_on is not None:  # a suspended case's clock stays stopped
            case.stage_due_on = result.stage_due_on
        case.due_estimated = result.estimated
        after = _dues(case)
        if after != before:
            changed += 1
            audit.append(
                session,
                actor=actor,
                action="case.recompute",
                subject_type="case",
                subject_id=case.id,
                before=before,
                after={**after, "reason": reason},
            )
    if changed:
        log.info("calendar change (%s): %d open case(s) got new due dates", reason, changed)
    return changed
