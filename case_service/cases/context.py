"""What every case operation shares: the request's context, the PII contexts, the audit snapshot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from case_service.auth.tokens import Principal
from case_service.domain.calendar import WorkingCalendar
from case_service.storage.models import Case
from hall.privacy import PiiCipher

ID_CONTEXT = "case.applicant_id"
PHONE_CONTEXT = "case.applicant_phone"


@dataclass(frozen=True)
class Context:
    session: Session
    calendar: WorkingCalendar
    cipher: PiiCipher
    today: dt.date
    principal: Principal
    index_keys: tuple[PiiCipher, ...] = ()  # one cipher per PII key, for look-ups across rotations


class Viewer(Protocol):
    """What presenting a case reads of a Context (or a Filer)."""

    @property
    def calendar(self) -> WorkingCalendar: ...
    @property
    def cipher(self) -> PiiCipher: ...
    @property
    def today(self) -> dt.date: ...
    @property
    def principal(self) -> Principal: ...


def snapshot(case: Case) -> dict[str, Any]:
    """What the audit trail records of a case (no personal data)."""
    return {
        "state": case.state,
        "stage": case.stage,
        "stage_due_on": case.stage_due_on.isoformat() if case.stage_due_on else None,
        "decision_due_on": case.decision_due_on.isoformat() if case.decision_due_on else None,
        "paused_days": case.paused_days,
        "extended": case.extended,
        "release_channel": case.release_channel,
    }
