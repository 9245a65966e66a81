"""Request and response bodies of /api/v1, with examples for the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from hall.models import Strict

T = TypeVar("T")
# Deeper pages than this are refused with 422: the databases' integers end at 2**63, and no list is that long.
MAX_OFFSET = 2**31 - 1

ID_EXAMPLE = "11010519491231002X"


DEVICE_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"  # an MQTT topic segment (devices.protocol.topics)


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
    """A kiosk's attested read of the ID card on its reader (devices/idcard/attestation.py): the chip's
    text block and photo digest, bound to a nonce from `POST /auth/card-challenge` and MACed with the
    kiosk's attestation key. The person is read from the text block, never typed."""

    nonce: str = Field(min_length=1, max_length=200)
    text_block: str = Field(
        min_length=1, max_length=400, description="the 256-byte GA/T 490 text block, base64"
    )
    photo_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    mac: str = Field(pattern=r"^[0-9a-f]{64}$")


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
    template: str = Field(default="", description="the blank form's file name")
    condition: str = Field(default="", description="when a material that is not required is needed")
    tolerated: bool = Field(default=False, description="容缺: may follow after acceptance")
    medium: Literal["paper", "electronic", "both"] = "paper"
    sample: str = Field(default="", description="the filled sample's file name")


class FeeSpec(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["不动产登记费"])
    amount: str = Field(max_length=200, examples=["100元", "按面积计收"])
    basis: str = Field(default="", max_length=500, description="the fee's legal basis (收费依据)")


class ItemGuide(Strict):
    """The national guide's elements (办事指南) beyond the item's own fields."""

    basic_code: str = Field(default="", max_length=64, description="the national basic code, if any")
    conditions: list[str] = Field(default=[], description="受理条件")
    fee_status: Literal["不收费", "收费", "待部门核实"] = "待部门核实"
    handling_type: Literal["即办件", "承诺件"] = "承诺件"
    result_name: str = Field(default="", max_length=200)
    result_sample: str = Field(default="", max_length=200)
    service_location: str = Field(default="", max_length=500)
    service_hours: str = Field(default="", max_length=500)
    online_depth: int = Field(default=0, ge=0, le=4, description="0 窗口办理 … 4 全程网办")
    visits_required: Literal[0, 1] = 1
    consult_phone: str = Field(default="", max_length=64)
    complaint_phone: str = Field(default="", max_length=64)
    review_points: list[str] = Field(default=[], description="审查要点")
    approval_levels: Literal[1, 2, 3] = Field(default=1, description="1 审批; 2 承办、审批; 3 加审核")
    site_visit: bool = False
    higher_authority: str = Field(default="", max_length=200, description="for 审核转报: who decides")
    life_events: list[str] = Field(
        default=[],
        examples=[["开办企业", "注销歇业"]],
        description="the life events (生活事件) the item belongs to: 出生 … 身后, 开办企业 … 注销歇业",
    )
    unverified: list[str] = Field(
        default=[], description="fields whose content awaits the department's check: shown as 待部门核实"
    )


class ItemIn(ItemGuide):
    name: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=64)
    kind: Literal["行政许可", "公共服务", "审核转报", "备案", "其他"] = "行政许可"
    category: Literal["工程类", "经营类", "公民类"]
    legal_basis: str = ""
    implementing_unit: str = ""
    applicant_type: str = ""
    materials: list[MaterialSpec] = Field(default_factory=list)
    legal_limit_days: int = Field(ge=0, le=365, description="0 only for a 即办件")
    promised_limit_days: int = Field(ge=0, le=365)
    stage_budgets: dict[str, int] = Field(default_factory=dict)
    fees: list[FeeSpec] = Field(default_factory=list)
    unified_seal: bool = True
    channels: list[Literal["window", "kiosk", "online"]] = Field(default=["window"])
    joint_departments: list[str] = Field(default_factory=list)
    status: Literal["active", "suspended", "handed_down"] = "active"
    exercise_level_note: str = ""
    files: list[dict[str, Any]] = Field(
        default_factory=list,
        exclude=True,
        description="read-only (an item's GET shows it): ignored here; files are uploaded one by one",
    )
    life_event_words: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="read-only (an item's GET shows it): ignored here; the words are the life events' own",
    )


class ItemStatusIn(Strict):
    status: Literal["active", "suspended", "handed_down"]


class ItemChangeOut(BaseModel):
    code: str
    fields: list[str] = Field(description="the changed fields' Chinese names")


class CatalogueImportOut(BaseModel):
    new: list[str] = Field(description="codes of items the sheet adds")
    changed: list[ItemChangeOut]
    unchanged: int
    errors: list[str] = Field(description="row by row, in Chinese: 第3行：承诺时限不能超过法定时限…")
    versions_created: int
    applied: bool = Field(description="false for a dry run")


# Cases ----------------------------------------------------------------------------------------------


class ApplicantIn(Strict):
    """Checked as the window's intake page checks it (case_service.domain.applicant), with its Chinese
    errors: a resident ID number (GB 11643, a real birth date not after today); a mobile (+86 or 0086
    allowed before it) or a landline with its area code (`0834-3221234`, `+86 28 8555 1234`, 转 extension)."""

    name: str = Field(min_length=1, max_length=64, examples=["张三"])
    id_number: str = Field(min_length=1, max_length=32, examples=[ID_EXAMPLE])
    phone: str | None = Field(
        default=None, min_length=1, max_length=32, examples=["13812345678", "0834-3221234"]
    )


class PackageCreate(Strict):
    """An application for a “一件事一次办” package (one case per item, filed together); what every
    application gives besides its item."""

    channel: Literal["window", "kiosk", "online"] = "window"
    applicant: ApplicantIn | None = Field(
        default=None,
        description="Staff filing at a window give the applicant; an applicant token is the applicant",
    )
    phone: str | None = Field(
        default=None, min_length=1, max_length=32, description="with an applicant token: mobile or landline"
    )


class CaseCreate(PackageCreate):
    item_code: str = Field(min_length=1, max_length=32, examples=["513200-XK-SJ-0511"])
    window: int | None = Field(
        default=None,
        ge=1,
        le=999,
        description="staff filing at one of the hall's windows: its number (the case's `received_window`)",
    )


class DefectIn(Strict):
    material: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=500, examples=["复印件不清晰,请提供清晰的复印件"])


class ActionIn(Strict):
    reason: str | None = Field(default=None, max_length=2000)
    reasons: list[str] = Field(default=[], max_length=50)
    defects: list[DefectIn] = Field(default=[], max_length=100)
    conditions_met: list[str] = Field(default=[], max_length=100)
    suspension_kind: Literal["hearing", "testing", "expert_review", "other"] | None = None
    expected_days: int | None = Field(
        default=None, ge=1, le=365, description="suspend: the procedure's expected length in days"
    )
    channel: Literal["window", "locker", "mail"] | None = None
    receipt: dict[str, Any] = Field(
        default={},
        examples=[{"recipient": "张三", "method": "locker", "locker": "L01-07", "opened_by": "code"}],
    )
    outcome: Literal["approved", "denied"] | None = Field(
        default=None, description="record_result: the higher authority's outcome (审核转报)"
    )
    result_on: dt.date | None = Field(
        default=None,
        description="record_result: the date of the higher authority's result (today if not given)",
    )


class JointOpinionIn(Strict):
    conclusion: Literal["agree", "disagree"]
    opinion: str = Field(min_length=1, max_length=2000)


class JointOpinionOut(BaseModel):
    case_id: int
    department: str
    due_on: dt.date
    answered_on: dt.date
    conclusion: Literal["agree", "disagree"]
    opinion: str
    signer: str
    late: bool


class MaterialOut(BaseModel):
    id: int
    name: str
    filename: str
    sha256: str
    content_type: str
    size: int
    reused: bool
    uploaded_at: dt.datetime


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
    cards_issued: int = Field(0, description="yellow and red cards (电子监察) issued by this sweep")


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


class AnnouncementIn(Strict):
    """The State Council's announcement as published, or a table of days (one a line)."""

    text: str = Field(
        min_length=1, max_length=20000, examples=["国务院办公厅关于2027年部分节假日安排的通知……"]
    )
    year: int | None = Field(default=None, ge=2000, le=2100, description="read from the title when absent")
    confirm: bool = Field(default=False, description="false: a dry run that shows what would be entered")


class AnnouncedDayOut(BaseModel):
    day: dt.date
    name: str


class AnnouncementOut(BaseModel):
    year: int
    holidays: list[AnnouncedDayOut] = Field(description="every day off, weekends within a holiday included")
    workdays: list[AnnouncedDayOut] = Field(description="weekend days that are working days (调休上班)")
    replaces_entered_year: bool = Field(description="the year's announcement was entered before")
    cases_changed: int = Field(description="open cases whose due dates change (or would, in a dry run)")
    entered: bool = Field(description="false for a dry run")


class CalendarYearOut(BaseModel):
    year: int
    source: Literal["package", "announcement"]
    entered_by: str | None = None
    entered_at: dt.datetime | None = None


class RevokeTokensIn(Strict):
    kind: Literal["staff", "device"]
    subject: str = Field(min_length=1, max_length=64, description="the username or device id")
    reason: str = Field(min_length=1, max_length=500)


class RevokedOut(BaseModel):
    kind: str
    subject: str
    revoked_before_ms: int
