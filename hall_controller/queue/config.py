"""The queue's configuration: services, windows, priorities and the rules that bound them.

Pure data validated by pydantic; unknown keys are refused. `demo_config()` is a small hall of three services
and six windows, used by the demo, the tests and the benchmark.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from hall.models import Strict


class Priority(StrEnum):
    """Why a ticket may go ahead of ordinary ones. ORDINARY is always the last class."""

    GREEN_CHANNEL = "green_channel"  # key projects (重点项目绿色通道)
    RETURNING = "returning"  # came back after a transfer
    APPOINTMENT = "appointment"  # checked in for a booked appointment
    MILITARY = "military"
    DISABLED = "disabled"
    ELDERLY = "elderly"
    PREGNANT = "pregnant"
    ORDINARY = "ordinary"


PRIORITY_LABELS_ZH = {
    Priority.GREEN_CHANNEL: "绿色通道",
    Priority.RETURNING: "转办回流",
    Priority.APPOINTMENT: "预约",
    Priority.MILITARY: "军人优先",
    Priority.DISABLED: "残疾人优先",
    Priority.ELDERLY: "老年人优先",
    Priority.PREGNANT: "孕妇优先",
    Priority.ORDINARY: "普通",
}

DEFAULT_PRIORITY_ORDER = (
    Priority.GREEN_CHANNEL,
    Priority.RETURNING,
    Priority.APPOINTMENT,
    Priority.MILITARY,
    Priority.DISABLED,
    Priority.ELDERLY,
    Priority.PREGNANT,
    Priority.ORDINARY,
)


class IssueWindow(Strict):
    """Tickets are issued from `start` (inclusive) to `end` (exclusive), local time."""

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"issuing window ends ({self.end}) before it starts ({self.start})")
        return self


class ServiceConfig(Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    first_number: int = Field(default=1, ge=0)
    last_number: int = Field(default=999, ge=1)
    daily_cap: int = Field(default=300, ge=1)
    issue_windows: tuple[IssueWindow, ...] = (
        IssueWindow(start=time(8, 30), end=time(12, 0)),
        IssueWindow(start=time(13, 30), end=time(17, 0)),
    )
    # Above this many waiting tickets the displays and the dashboard show a warning.
    warn_waiting: int = Field(default=30, ge=1)
    # The service time assumed until live services have been measured.
    prior_service_minutes: float = Field(default=8.0, gt=0)
    # Items (事项) handled under this service, for the kiosk's and the clerk's choice.
    items: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.last_number < self.first_number:
            raise ValueError(f"service {self.code}: number range {self.first_number}-{self.last_number}")
        return self

    @property
    def number_width(self) -> int:
        return max(3, len(str(self.last_number)))

    @property
    def capacity(self) -> int:
        """How many tickets can be issued in one day: the cap, or the number range if smaller."""
        return min(self.daily_cap, self.last_number - self.first_number + 1)


class WindowConfig(Strict):
    number: int = Field(ge=1, le=999)
    # service code -> weight; a window calls its higher-weight services first.
    services: dict[str, int] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> Self:
        if any(weight < 1 for weight in self.services.values()):
            raise ValueError(f"window {self.number}: weights must be at least 1")
        return self


class QueueConfig(Strict):
    services: tuple[ServiceConfig, ...] = Field(min_length=1)
    windows: tuple[WindowConfig, ...] = Field(min_length=1)
    priority_order: tuple[Priority, ...] = DEFAULT_PRIORITY_ORDER
    # No-starvation bound: a waiting ticket is overtaken by at most this many later tickets (see ordering.py).
    overtake_limit: int = Field(default=3, ge=0)
    # A ticket waiting this long is due regardless of its class (same guarantee, by time).
    max_wait_minutes: float = Field(default=60.0, gt=0)
    # Anti-hoarding: per person and service, tickets not yet final / tickets in one day.
    max_active_per_person: int = Field(default=1, ge=1)
    max_daily_per_person: int = Field(default=3, ge=1)
    # Evaluator: how long the rating prompt waits for a button.
    rating_timeout_seconds: float = Field(default=60.0, gt=0)
    # A bad rating opens a follow-up due in this many working days.
    follow_up_working_days: int = Field(default=5, ge=1)
    # The estimate uses the mean of the last this-many service times of a service.
    estimate_window: int = Field(default=20, ge=1)
    # Each day's journal stays in the controller's store this many days, then goes at a roll-over (the
    # tickets' outcomes and ratings have reached the case service by then; this is the hall's own record).
    journal_days: int = Field(default=400, ge=1)
    # Tickets taken over HTTP per source within `ticket_limit_seconds`: per address without a token; per
    # kiosk (its device token) or clerk (their staff token) with one.
    tickets_per_address: int = Field(default=10, ge=1)
    tickets_per_device: int = Field(default=300, ge=1)
    ticket_limit_seconds: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [service.code for service in self.services]
        if len(set(codes)) != len(codes):
            raise ValueError("service codes must be unique")
        prefixes = [service.prefix for service in self.services]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("ticket prefixes must be unique")
        numbers = [window.number for window in self.windows]
        if len(set(numbers)) != len(numbers):
            raise ValueError("window numbers must be unique")
        for window in self.windows:
            unknown = set(window.services) - set(codes)
            if unknown:
                raise ValueError(f"window {window.number} serves unknown services {sorted(unknown)}")
        unserved = set(codes) - {code for window in self.windows for code in window.services}
        if unserved:
            raise ValueError(f"no window serves {sorted(unserved)}")
        if set(self.priority_order) != set(Priority) or len(self.priority_order) != len(Priority):
            raise ValueError("priority_order must list every priority exactly once")
        if self.priority_order[-1] is not Priority.ORDINARY:
            raise ValueError("priority_order must end with ordinary")
        return self

    def service(self, code: str) -> ServiceConfig | None:
        return next((service for service in self.services if service.code == code), None)

    def window(self, number: int) -> WindowConfig | None:
        return next((window for window in self.windows if window.number == number), None)

    def rank(self, priority: Priority) -> int:
        return self.priority_order.index(priority)


def demo_config() -> QueueConfig:
    """Three services, six windows: two per service, two of them also backing up another service."""
    all_day = (IssueWindow(start=time(0, 0), end=time(23, 59, 59)),)
    return QueueConfig(
        services=(
            ServiceConfig(
                code="business",
                name="企业开办",
                name_en="Business registration",
                prefix="A",
                prior_service_minutes=10,
                issue_windows=all_day,
                items=("企业设立登记", "营业执照变更"),
            ),
            ServiceConfig(
                code="social",
                name="社保医保",
                name_en="Social insurance",
                prefix="B",
                prior_service_minutes=6,
                issue_windows=all_day,
                items=("社保卡申领", "医保关系转移"),
            ),
            ServiceConfig(
                code="permits",
                name="工程建设",
                name_en="Construction permits",
                prefix="C",
                prior_service_minutes=15,
                issue_windows=all_day,
                items=("施工许可", "竣工验收备案"),
            ),
        ),
        windows=(
            WindowConfig(number=1, services={"business": 1}),
            WindowConfig(number=2, services={"business": 2, "social": 1}),
            WindowConfig(number=3, services={"social": 1}),
            WindowConfig(number=4, services={"social": 2, "permits": 1}),
            WindowConfig(number=5, services={"permits": 1}),
            WindowConfig(number=6, services={"permits": 2, "business": 1}),
        ),
    )
