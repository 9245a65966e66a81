"""What every request needs, built once per app: sessions, cipher, token signer, calendar, clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from case_service.auth.revocation import Revocations
from case_service.auth.tokens import TokenSigner
from case_service.storage.models import CalendarYear, HolidayOverride
from hall.calendar import WorkingCalendar, china_calendar, china_today
from hall.privacy import PiiCipher
from hall.settings import Settings


@dataclass
class CalendarSource:
    """The package calendar plus the administrator's holiday table, re-read at most every `ttl` seconds."""

    ttl: float = 60.0
    _base: WorkingCalendar = field(default_factory=china_calendar)
    _cached: WorkingCalendar | None = None
    _loaded_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, session: Session) -> WorkingCalendar:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._loaded_at < self.ttl:
                return self._cached
        calendar = self.load(session)
        with self._lock:
            self._cached, self._loaded_at = calendar, time.monotonic()
        return calendar

    def load(self, session: Session) -> WorkingCalendar:
        """The calendar as `session` sees it (uncommitted changes too), not cached."""
        rows = session.execute(select(HolidayOverride.day, HolidayOverride.is_working_day)).all()
        years = session.scalars(select(CalendarYear.year)).all()
        return self._base.with_overrides({row[0]: bool(row[1]) for row in rows}, years)

    def cached(self) -> WorkingCalendar | None:
        """The calendar if it is fresh, without touching the database."""
        with self._lock:
            if self._cached is not None and time.monotonic() - self._loaded_at < self.ttl:
                return self._cached
        return None

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None


def index_ciphers(pii_key: str) -> tuple[PiiCipher, ...]:
    """One cipher per configured PII key, current first: blind indexes under every key, for look-ups
    that must still find rows indexed before a key rotation."""
    entries = [entry.strip() for entry in pii_key.split(",") if entry.strip()]
    return tuple(PiiCipher.from_config(entry) for entry in entries)


def blind_indexes(ciphers: tuple[PiiCipher, ...], value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(cipher.blind_index(value) for cipher in ciphers))


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Any]
    cipher: PiiCipher
    signer: TokenSigner
    calendars: CalendarSource
    today: Callable[[], dt.date] = china_today
    index_keys: tuple[PiiCipher, ...] = ()
    poll_engine: Engine | None = None  # the status poll's reads (db.make_poll_engine); None: `engine`
    filing_engine: Engine | None = None  # submissions (db.make_filing_engine); None: `engine`
    revocations: Revocations = field(default_factory=Revocations)
