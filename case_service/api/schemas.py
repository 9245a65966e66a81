"""Request and response bodies of /api/v1, with examples for the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
# Deeper pages than this are refused with 422: the databases' integers end at 2**63, and no list is that long.
MAX_OFFSET = 2**31 - 1

ID_EXAMPLE = "11010519491231002X"


DEVICE_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"  # an MQTT topic segment (devices.protocol.topics)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# Auth ---------------------------------------------------------------------------------------------


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64, examples=["clerk1"])
    password: str = Field(min_length=1, max_length=200, examples=["demo-clerk"])


class DeviceTokenIn(Strict):
    """A device's own secret from its enrolment; its kind comes from its registration."""

    device_id: str = Field(pattern=DEVICE_ID, examples=["kiosk-01"])
    secret: str = Field(min_length=1, max_length=200)


class EnrolmentIn(Strict):
    """The one-time code an admin got when registering the device."""

    device_id: str = Field(pattern=DEVICE_ID, examples=["kiosk-01"])
    code: str = Field(min_length=1, max_length=100)


class EnrolmentOut(BaseModel):
    """The device's own secret, shown this once: keep it in a 0600 file."""

    device_id: str
    kind: str
    hall_id: str
    secret: str
    mqtt_username: str


class ApplicantTokenIn(Strict):
    """The identity read from the second-generation ID card (name, number, validity)."""

    name: str = Field(min_length=1, max_length=64, examples=["张三"])
    id_number: str = Field(min_length=15, max_length=18, examples=[ID_EXAMPLE])
    valid_from: dt.date | None = Field(default=None, examples=["2015-06-01"])
    valid_until: dt.date | None = Field(
        default=None, description="null for 长期 (no expiry)", examples=["2035-06-01"]
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_at: int = Field(description="Unix time")
    kind: str
    roles: list[str]


class MeOut(BaseModel):
    kind: str
    subject: str
    roles: list[str]
    department: str | None
    expires_at: int


# Catalogue ------------------------------------------------------------------------------------------


class MaterialSpec(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["公司章程"])
    required: bool = True
    form: Literal["original", "copy", "electronic"] = "original"
    copies: int = Field(default=1, ge=1, le=20)
    template: str = ""
    condition: str = ""


class ItemIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=64)
    kind: Literal["行政许可", "公共服务", "审核转报", "备案", "其他"] = "行政许可"
    category: Literal["工程类", "经营类", "公民类"]
    legal_basis: str = ""
    implementing_unit: str = ""
    applicant_type: str = ""
    materials: list[MaterialSpec] = []
    legal_limit_days: int = Field(ge=1, le=365)
    promised_limit_days: int = Field(ge=1, le=365)
    stage_budgets: dict[str, int] = {}
    fees: list[dict[str, Any]] = []
    unified_seal: bool = True
    channels: list[Literal["window", "kiosk", "online"]] = ["window"]
    joint_departments: list[str] = []
    status: Literal["active", "suspended", "handed_down"] = "active"
    exercise_level_note: str = ""


class ItemStatusIn(Strict):
    status: Literal["active", "suspended", "handed_down"]


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["513200-XK-SJ-0511"])
    version: int
    name: str
    department: str
    kind: str
    category: str
    legal_basis: str
    implementing_unit: str
    applicant_type: str
    materials: list[dict[str, Any]]
    legal_limit_days: int
    promised_limit_days: int
    stage_budgets: dict[str, int]
    fees: list[dict[str, Any]]
    unified_seal: bool
    channels: list[str]
    joint_departments: list[str]
    status: str
    exercise_level_note: str
    source: str


# Cases ----------------------------------------------------------------------------------------------


class ApplicantIn(Strict):
    name: str = Field(min_length=1, max_length=64, examples=["张三"])
    id_number: str = Field(min_length=15, max_length=18, examples=[ID_EXAMPLE])
    phone: str | None = Field(default=None, pattern=r"^1[3-9]\d{9}$", examples=["13812345678"])


class CaseCreate(Strict):
    item_code: str = Field(min_length=1, max_length=32, examples=["513200-XK-SJ-0511"])
    channel: Literal["window", "kiosk", "online"] = "window"
    applicant: ApplicantIn | None = Field(
        default=None,
        description="Staff filing at a window give the applicant; an applicant token is the applicant",
    )
    phone: str | None = Field(default=None, pattern=r"^1[3-9]\d{9}$", description="with an applicant token")


class DeadlineOut(BaseModel):
    level: Literal["ok", "warning", "overdue"]
    working_days_left: int


class CaseOut(BaseModel):
    id: int
    number: str = Field(examples=["20251009A1B2C3D4"])
    item_code: str
    item_version: int
    item_name: str
    department: str
    channel: str
    applicant_name: str
    applicant_id_number: str = Field(description="always masked", examples=["110***********002X"])
    applicant_phone: str | None = Field(description="always masked", examples=["138****5678"])
    state: str
    state_label: str
    next_step: str
    allowed_actions: list[str]
    stage: str | None
    stage_due_on: dt.date | None
    decision_due_on: dt.date | None
    legal_due_on: dt.date | None
    due_estimated: bool = Field(
        description="true: a due date lies in a year whose holidays are not yet known"
    )
    deadline: DeadlineOut | None
    submitted_at: dt.datetime
    submitted_on: dt.date
    accepted_on: dt.date | None
    auto_accepted: bool
    decided_on: dt.date | None
    extended: bool
    paused_days: int
    suspension_reason: str | None
    not_accepted_reason: str | None
    decision_reasons: str | None
    release_channel: str | None
    supplement_notice: dict[str, Any] | None
    delivery_receipt: dict[str, Any] | None


class ReleaseContact(BaseModel):
    """For the hall controller only: the applicant's contact in full, to release a case into a locker."""

    case_id: str = Field(examples=["42"])
    item_name: str = Field(examples=["食品(含保健食品)经营许可"])
    phone: str = Field(description="full mobile number for the pickup SMS; empty if none was given")
    id_number: str = Field(description="full ID number, to bind ID-card pickup at the locker")


class CaseStatus(BaseModel):
    """The few fields a kiosk or a hall controller polls for."""

    id: int
    number: str
    state: str
    state_label: str
    next_step: str
    stage: str | None
    stage_due_on: dt.date | None
    decision_due_on: dt.date | None
    due_estimated: bool
    deadline: DeadlineOut | None
    release_channel: str | None


class DefectIn(Strict):
    material: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=500, examples=["复印件不清晰,请提供清晰的复印件"])


class ActionIn(Strict):
    reason: str | None = Field(default=None, max_length=2000)
    reasons: list[str] = Field(default=[], max_length=50)
    defects: list[DefectIn] = Field(default=[], max_length=100)
    conditions_met: list[str] = Field(default=[], max_length=100)
    suspension_kind: Literal["hearing", "testing", "expert_review", "other"] | None = None
    channel: Literal["window", "locker", "mail"] | None = None
    receipt: dict[str, Any] = Field(
        default={},
        examples=[{"recipient": "张三", "method": "locker", "locker": "L01-07", "opened_by": "code"}],
    )


class MaterialOut(BaseModel):
    id: int
    name: str
    filename: str
    sha256: str
    content_type: str
    size: int
    reused: bool
    uploaded_at: dt.datetime


class CompletenessOut(BaseModel):
    complete: bool
    missing: list[str]
    unknown: list[str]
    notice_lines: list[str]


class EvaluationIn(Strict):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    window: str | None = Field(default=None, max_length=32)
    clerk: str | None = Field(default=None, max_length=64)


class EvaluationOut(BaseModel):
    id: int
    case_id: int
    score: int
    comment: str
    window: str | None
    clerk: str | None
    created_at: dt.datetime


class HistoryEntry(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# Supervision, audit, admin --------------------------------------------------------------------------


class DepartmentRiskOut(BaseModel):
    department: str
    at_risk: int
    overdue: int


class SupervisedCase(BaseModel):
    id: int
    number: str
    item_name: str
    department: str
    state: str
    stage: str | None
    stage_due_on: dt.date | None
    level: str
    working_days_left: int


class SupervisionOut(BaseModel):
    today: dt.date
    horizon: dt.date
    departments: list[DepartmentRiskOut]
    cases: list[SupervisedCase]


class SweepOut(BaseModel):
    auto_accepted: int


class ChainOut(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    problem: str | None


class UserIn(Strict):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$", examples=["clerk2"])
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field(default="", max_length=64)
    roles: list[Literal["clerk", "reviewer", "approver", "sealer", "manager", "admin"]] = Field(min_length=1)
    department: str | None = None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    department: str | None


class DeviceIn(Strict):
    device_id: str = Field(pattern=DEVICE_ID, examples=["kiosk-01"])
    kind: Literal["controller", "kiosk", "device"]
    hall_id: str = Field(pattern=DEVICE_ID, examples=["hall-01"])


class DeviceOut(BaseModel):
    device_id: str
    kind: str
    hall_id: str
    state: str  # awaiting_enrolment, enrolled, revoked, no_credential


class DeviceCodeOut(DeviceOut):
    """A registration or rotation: the one-time enrolment code, shown this once."""

    enrolment_code: str
    code_expires_at: dt.datetime


class BrokerLoginOut(BaseModel):
    """One line of Mosquitto's password file: the user name and the `$7$` hash, never a secret."""

    username: str
    password_hash: str


class HolidayIn(Strict):
    is_working_day: bool
    note: str = Field(default="", max_length=200)


class HolidayOut(BaseModel):
    day: dt.date
    is_working_day: bool
    note: str
