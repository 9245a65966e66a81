"""Named leases in the database: a job that one process of several runs at a time (the deadline sweep)."""

from __future__ import annotations

import time

from sqlalchemy import update
from sqlalchemy.orm import Session

from case_service.storage.models import ServiceLease


def claim(session: Session, name: str, holder: str, *, hold_seconds: float, now: float | None = None) -> bool:
    """True if `holder` now holds the lease for `hold_seconds` (it was free or had run out). A
    conditional UPDATE: of processes claiming at once, exactly one matches (commit to publish it)."""
    now_ms = round((time.time() if now is None else now) * 1000)
    result = session.execute(
        update(ServiceLease)
        .where(ServiceLease.name == name, ServiceLease.until_ms <= now_ms)
        .values(holder=holder, until_ms=now_ms + round(hold_seconds * 1000))
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, name: str, holder: str) -> None:
    """Frees the lease early if `holder` still holds it (commit to publish it)."""
    session.execute(
        update(ServiceLease)
        .where(ServiceLease.name == name, ServiceLease.holder == holder)
        .values(until_ms=0)
    )
