"""The case service's HTTP contract (API v1): the case states and the response bodies its clients read.

The case service answers with these models and its clients, the kiosk and the hall controller, read them:
one contract for HTTP as devices/protocol is for MQTT. Pure pydantic, so no server code comes with it;
unknown fields are ignored, so a client keeps working when the service adds one.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class CaseState(StrEnum):
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUIRED = "supplement_required"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DENIED = "denied"
    CERTIFICATE_MADE = "certificate_made"
    SEALED = "sealed"
    READY_FOR_RELEASE = "ready_for_release"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    REGISTERED = "registered"  # registration flow: accepted and decided on the spot
    FORWARDED = "forwarded"  # forwarding flow: waiting for the higher authority's result
    RESULT_RECEIVED = "result_received"  # forwarding flow: the higher authority's result is in
    HANDLED = "handled"  # public service flow: handled, the result waits to be released
    RETURNED = "returned"  # sent back from review to the window (退回), with the reason


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_at: int = Field(description="Unix time")
    kind: str
    roles: list[str]


class ItemFileOut(BaseModel):
    """A file the item serves at `url` (public): a department's upload, or the hall's generic form."""

    name: str = Field(examples=["食品经营许可申请书.pdf"])
    url: str
    content_type: str
    generic: bool = Field(description="the hall's generic form (通用表样), not a department's official form")
    label: str = Field(examples=["通用表样", "部门表样"])


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
    # The national guide's elements (办事指南), docs/catalogue.md
    basic_code: str = ""
    conditions: list[str] = Field(default_factory=list)
    fee_status: str = "待部门核实"
    handling_type: str = "承诺件"
    result_name: str = ""
    result_sample: str = ""
    service_location: str = ""
    service_hours: str = ""
    online_depth: int = 0
    visits_required: int = 1
    consult_phone: str = ""
    complaint_phone: str = ""
    review_points: list[str] = Field(default_factory=list)
    approval_levels: int = 1
    site_visit: bool = False
    higher_authority: str = ""
    life_events: list[str] = Field(
        default_factory=list, description="the life events (生活事件) it belongs to"
    )
    life_event_words: list[str] = Field(
        default_factory=list,
        description="everyday words of its life events (开店, 招工 …): `q` finds the item by them, "
        "as Chinese or pinyin initials (kd)",
    )
    unverified: list[str] = Field(
        default_factory=list,
        description="names of fields whose content awaits the department's check: show 待部门核实 for them",
    )
    files: list[ItemFileOut] = Field(default_factory=list)


# Cases ----------------------------------------------------------------------------------------------


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
    state: CaseState
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
    flow: str = Field(
        default="licence",
        description="licence, registration, forwarding, public_service or public_service_certificate: "
        "the way the case goes, from its item's kind and handling type",
    )
    owed_materials: dict[str, Any] | None = Field(
        default=None,
        description="容缺: tolerated materials still owed since acceptance, and the day they are due",
    )
    forwarding: dict[str, Any] | None = Field(
        default=None,
        description="审核转报: the higher authority forwarded to, when, the preliminary opinion, its result",
    )
    received_window: int | None = Field(
        default=None,
        description="the hall's window the case was received at (filed, or a kiosk's or online filing "
        "accepted, by a clerk signed in there); null when none",
    )


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
    state: CaseState
    state_label: str
    next_step: str
    stage: str | None
    stage_due_on: dt.date | None
    decision_due_on: dt.date | None
    due_estimated: bool
    deadline: DeadlineOut | None
    release_channel: str | None


class CompletenessOut(BaseModel):
    complete: bool
    missing: list[str]
    unknown: list[str]
    notice_lines: list[str]
    owed: list[str] = Field(
        default_factory=list, description="tolerated (容缺) materials not handed in: acceptance may go ahead"
    )
    acceptable: bool = Field(
        default=False, description="acceptance (受理) would go ahead: nothing missing, not empty"
    )


class PackageItemOut(BaseModel):
    code: str = Field(examples=["513200-XK-SJ-0511"])
    name: str
    department: str


class PackageMaterialOut(BaseModel):
    """One material of a package's one set: asked once, for every item listing it (`items`)."""

    name: str = Field(examples=["营业执照"])
    required: bool
    tolerated: bool = Field(description="容缺: may follow after acceptance")
    form: str
    copies: int
    items: list[str] = Field(description="the codes of the items whose lists name it")


class PackageOut(BaseModel):
    """A “一件事一次办” package of the catalogue: several items applied for once."""

    code: str = Field(examples=["YJS-001"])
    name: str = Field(examples=["我要开餐馆"])
    lead_department: str
    description: str
    basis: str = Field(description="the seeds' words the package rests on")
    available: bool = Field(description="every item takes applications")
    channels: list[str] = Field(description="the channels every item of the package is offered on")
    items: list[PackageItemOut]
    materials: list[PackageMaterialOut]


class PackageApplicationOut(BaseModel):
    """An application for a package: its linked cases, one per item, and the package's status."""

    number: str = Field(examples=["YJS20250926-1A2B3C"])
    package_code: str
    package_name: str
    lead_department: str
    channel: str
    status: Literal["in_progress", "ready", "released", "closed"]
    status_label: str
    waiting: list[str] = Field(description="the numbers of the cases still being decided")
    released_at: dt.datetime | None
    cases: list[CaseOut]
