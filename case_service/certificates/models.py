"""Certificate tables: the certificate record and every print of it (the print audit)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from case_service.storage.base import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CertificateRecord(Base):
    """One issued certificate. Reissuing makes a new record and marks this one superseded."""

    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_case_number_status", "case_number", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    case_number: Mapped[str] = mapped_column(String(32))
    certificate_name: Mapped[str] = mapped_column(String(100))
    item_code: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(200))
    holder_name: Mapped[str] = mapped_column(String(100))
    # The holder's ID number, AES-GCM encrypted (hall.privacy.PiiCipher); only the masked form is printed.
    holder_id_enc: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    authority: Mapped[str] = mapped_column(String(100))
    seal_code: Mapped[str] = mapped_column(String(32), default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    key_id: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="valid")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The sealer who sealed this certificate, and when (the seal drawn is the authority's: `authority`).
    sealed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CertificatePrint(Base):
    """One print request from a kiosk or window, and how it ended."""

    __tablename__ = "certificate_prints"
    __table_args__ = (UniqueConstraint("certificate_id", "sequence", name="uq_certificate_prints_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    station: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
