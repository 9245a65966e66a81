"""Tables of the case service. Personal data (ID and phone numbers) is stored only encrypted, plus a keyed
blind index of the ID number to find a person's cases and material library."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from case_service.storage.base import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Item(Base):
    """One version of a catalogue item; `is_current` marks the version new cases are filed under."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_items_code_version"),
        Index("ix_items_current_code", "is_current", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    implementing_unit: Mapped[str] = mapped_column(String(128), default="")
    applicant_type: Mapped[str] = mapped_column(String(32), default="")
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    legal_limit_days: Mapped[int] = mapped_column(Integer)
    promised_limit_days: Mapped[int] = mapped_column(Integer)
    stage_budgets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unified_seal: Mapped[bool] = mapped_column(Boolean, default=True)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    joint_departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    exercise_level_note: Mapped[str] = mapped_column(String(16), default="")
    # The guide's other fields (domain.catalogue.GUIDE_DEFAULTS), in one JSON value.
    guide: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(200), default="")
    # Who made this version: the bundled import ("system:catalogue-import") or an administrator.
    made_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The supervision view: open cases by due date (partial index where the database supports it).
        Index(
            "ix_cases_open_stage_due",
            "stage_due_on",
            "department",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open = 1"),
        ),
        Index("ix_cases_applicant", "applicant_index", "submitted_at"),
        Index("ix_cases_state_department", "state", "department"),
        # The month's figures read the cases received, accepted and decided in the month.
        Index("ix_cases_submitted_on", "submitted_on"),
        Index("ix_cases_accepted_on", "accepted_on"),
        Index("ix_cases_decided_on", "decided_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    item_code: Mapped[str] = mapped_column(String(32))
    item_version: Mapped[int] = mapped_column(Integer)
    item_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_id_enc: Mapped[str] = mapped_column(Text)
    applicant_index: Mapped[str] = mapped_column(String(32))
    applicant_phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(24))
    resume_to: Mapped[str | None] = mapped_column(String(24), nullable=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    auto_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    legal_due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stage_entered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    stage_due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    due_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    not_accepted_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_reasons: Mapped[str | None] = mapped_column(Text, nullable=True)
    release_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    delivery_receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    supplement_notice: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The flow of the item version filed under (domain.flows), fixed at filing.
    flow: Mapped[str] = mapped_column(String(32), default="licence", server_default="licence")
    owed_materials: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # 容缺
    forwarding: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # 审核转报
    created_by: Mapped[str] = mapped_column(String(64))
    # The hall's window the case was received at: the filing clerk's, else the accepting clerk's (kiosk,
    # online); None when no clerk at a window handled its acceptance.
    received_window: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CaseNote(Base):
    """Staff's internal notes on a case (never shown to the applicant), and the mail dispatch record
    (kind "mail": carrier and waybill in `data`, the address encrypted in `data["address_enc"]`)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="note")
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SupervisionCard(Base):
    """A yellow or red card (电子监察) a case's stage earned: one per colour, stage and due date."""

    __tablename__ = "supervision_cards"
    __table_args__ = (
        UniqueConstraint("case_id", "stage", "stage_due_on", "colour", name="uq_supervision_cards_stage"),
        Index("ix_supervision_cards_issued", "issued_on", "department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    colour: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(16))
    stage_due_on: Mapped[dt.date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Urging(Base):
    """督办: a supervisor's order to a department to act on a case by a date, and the department's answer."""

    __tablename__ = "urgings"
    __table_args__ = (Index("ix_urgings_department", "department", "issued_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_cards.id"), nullable=True)
    department: Mapped[str] = mapped_column(String(64))
    instruction: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    reply_by: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Complaint(Base):
    """投诉: received at the window, the kiosk or online, routed to a department, answered by a date, the
    complainant told. Counted in the 效能考核 report. One about the hall itself has a `topic` and goes to
    the hall's office (domain.complaints.HallTopic); its contact phone, if given, is encrypted."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_department", "department", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    department: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    complainant: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    registered_by: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[dt.date] = mapped_column(Date)
    reply_by: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    told_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    told_how: Mapped[str | None] = mapped_column(String(16), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(24), nullable=True)  # set: about the hall itself
    contact_phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def about_hall(self) -> bool:
        return self.topic is not None

    @property
    def reachable(self) -> bool:
        """Someone can be told the answer: every complaint but one about the hall left without a phone."""
        return not self.about_hall or self.contact_phone_enc is not None


class CaseOpinion(Base):
    """One level's signed opinion on a case (承办, 审核, 审批: domain.review), or a send-back to the window
    (kind "send_back", its reason in `text`). `round` counts the case's rounds of review: a send-back ends
    one, the next opinions start the next."""

    __tablename__ = "case_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="opinion")
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    signer: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(64), default="")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    conclusion: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseTask(Base):
    """A joint department's part in a case (联审联办, 并联审批): its due date inside the case's limit and
    its opinion once given (domain.joint)."""

    __tablename__ = "case_tasks"
    __table_args__ = (UniqueConstraint("case_id", "department", name="uq_case_tasks_case_department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    answered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    conclusion: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    signer: Mapped[str] = mapped_column(String(64), default="")
    signer_name: Mapped[str] = mapped_column(String(64), default="")


class SupervisionFeedEntry(Base):
    """审管分离's outbox (domain.supervision_feed): an approval result for a supervising department, kept in
    the transaction that made it and sent from here until the department's webhook takes it."""

    __tablename__ = "supervision_feed"
    __table_args__ = (
        Index("ix_supervision_feed_pending", "delivered_at", "next_attempt_at"),
        Index("ix_supervision_feed_created", "created_at", "department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    department: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class CaseDocument(Base):
    """A notice as issued: its content (the inputs it was rendered from) kept at the moment of issue, so
    a notice printed again later says what it said that day."""

    __tablename__ = "case_documents"
    __table_args__ = (Index("ix_case_documents_case_kind", "case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MaterialBlob(Base):
    """File contents, stored once per content hash."""

    __tablename__ = "material_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ItemFile(Base):
    """A file an administrator uploaded for a catalogue item (a department's blank form, a filled sample,
    the result's sample), its content in material_blobs. The hall's generic application forms are not
    stored: they are drawn from the item's current version when asked for (catalogue/files.py)."""

    __tablename__ = "item_files"
    __table_args__ = (UniqueConstraint("code", "name", name="uq_item_files_code_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Material(Base):
    """A named material handed in by an applicant: their library entry, linked to the case it came with."""

    __tablename__ = "materials"
    __table_args__ = (Index("ix_materials_owner_name", "owner_index", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_index: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseMaterial(Base):
    __tablename__ = "case_materials"
    __table_args__ = (UniqueConstraint("case_id", "material_id", name="uq_case_materials_case_material"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    reused: Mapped[bool] = mapped_column(Boolean, default=False)


class Evaluation(Base):
    """A rating (好差评) for a case, posted by the hall controller from a window's evaluator."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64))
    window: Mapped[str | None] = mapped_column(String(32), nullable=True)
    clerk: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Device(Base):
    """An enrolled device of a hall (controller, kiosk, or a device that speaks only MQTT).

    Registered by an admin with a one-time enrolment code (only its SHA-256 kept); the device exchanges
    the code for its own secret, kept here only as a Mosquitto `$7$` hash (devices.protocol.credentials).
    `secret_hash` is empty until the device has enrolled and after a revocation or rotation.
    """

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(200))
    hall_id: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    enrolment_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    enrolment_expires_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class CalendarYear(Base):
    """A year whose whole State Council announcement was entered: its due dates are no longer estimated."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    announcement: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HolidayOverride(Base):
    """Administrator-entered days from the State Council's announcement; they win over chinesecalendar."""

    __tablename__ = "holiday_overrides"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditHead(Base):
    """One row: the chain's last hash. Updating it first serialises appends on SQLite and PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        # The figures' later stages read the cases with a step in a period (reports.repository).
        Index("ix_audit_entries_at", "at"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SignInThrottle(Base):
    """One row per phone number or kiosk, keyed by a keyed hash (never the number): the send times of
    the last hour (epoch ms) and, for a number, the pending code's keyed hash. Every change is an UPDATE
    conditional on `version`, so processes sharing the database never lose one another's changes."""

    __tablename__ = "signin_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_ms: Mapped[list[int]] = mapped_column(JSON)
    code_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_expires_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts_left: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer)
    forget_after_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class UsedEid(Base):
    """e-ID codes that signed in (keyed hash of the nonce), until they expire: each signs in once."""

    __tablename__ = "signin_used_eids"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class RevokedToken(Base):
    """Tokens signed out or revoked (their jti), until they would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class TokenCutoff(Base):
    """Every token of a principal ("staff:clerk1", "device:kiosk-01") issued before `not_before_ms` is
    void: an administrator's answer to a stolen badge or device."""

    __tablename__ = "token_cutoffs"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    not_before_ms: Mapped[int] = mapped_column(BigInteger)


class ServiceLease(Base):
    """A named job one process of several may run at a time (the deadline sweep), claimed by a
    conditional UPDATE of `until_ms`."""

    __tablename__ = "service_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    until_ms: Mapped[int] = mapped_column(BigInteger)


class CaseSiteVisit(Base):
    """A site visit (现场核查) of a case (domain.site_visit): as scheduled, then as recorded by an
    inspector; its photos are content-addressed blobs (material_blobs) listed in `photos`."""

    __tablename__ = "case_site_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_on: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    inspectors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    scheduled_by: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    conclusion: Mapped[str | None] = mapped_column(String(16), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CasePackage(Base):
    """An application for a “一件事一次办” package (domain.packages): one applicant, one set of materials,
    one case per item of the package (case_package_members); released together."""

    __tablename__ = "case_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    package_code: Mapped[str] = mapped_column(String(16), index=True)
    package_name: Mapped[str] = mapped_column(String(64))
    lead_department: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_index: Mapped[str] = mapped_column(String(32), index=True)
    # The one set of materials as the clerk marked it (domain.intake.Mark, one per shared material).
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CasePackageMember(Base):
    """A case filed as part of a package: a case belongs to at most one package."""

    __tablename__ = "case_package_members"
    __table_args__ = (UniqueConstraint("case_id", name="uq_case_package_members_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("case_packages.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    position: Mapped[int] = mapped_column(Integer)
