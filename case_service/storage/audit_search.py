"""Searching the audit trail: by actor, action, subject and day (the hall's days), newest first, a page at a
time. Paging is by sequence number (keyset): the next page is the entries before the last one shown, so a
page stays right while new entries are appended."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.storage.models import AuditEntry
from hall.calendar import CHINA_TZ

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""  # part of the actor ("clerk1", "staff:", "system")
    action: str = ""  # an action or its start ("case.", "supervision.urge")
    subject_type: str = ""
    subject_id: str = ""
    since: dt.date | None = None  # hall days, included
    until: dt.date | None = None
    before_seq: int | None = None  # the page: entries before this sequence number

    def filters(self) -> dict[str, str]:
        """The search as query parameters (without the page)."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None  # the sequence number to ask for the next (older) page; None: no more


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), CHINA_TZ).astimezone(dt.UTC)


def search(session: Session, query: AuditQuery, page_size: int = PAGE_SIZE) -> AuditPage:
    conditions: list[Any] = []
    if query.actor:
        conditions.append(AuditEntry.actor.contains(query.actor, autoescape=True))
    if query.action:
        conditions.append(AuditEntry.action.startswith(query.action, autoescape=True))
    if query.subject_type:
        conditions.append(AuditEntry.subject_type == query.subject_type)
    if query.subject_id:
        conditions.append(AuditEntry.subject_id == query.subject_id)
    if query.since is not None:
        conditions.append(AuditEntry.at >= _instant(query.since))
    if query.until is not None:
        conditions.append(AuditEntry.at < _instant(query.until + dt.timedelta(days=1)))
    if query.before_seq is not None:
        conditions.append(AuditEntry.seq < query.before_seq)
    rows = list(
        session.scalars(
            select(AuditEntry).where(*conditions).order_by(AuditEntry.seq.desc()).limit(page_size + 1)
        )
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
    return AuditPage(rows, rows[-1].seq if more and rows else None)


def hall_time(at: dt.datetime) -> str:
    """An entry's time as the hall reads it (UTC+8)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
