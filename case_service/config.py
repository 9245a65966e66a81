"""The case service's settings section: `HALL_CASE__*`."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from case_service.domain.errors import InvalidInputError
from case_service.reports.assessment import DEFAULT_WEIGHTS, check_weights
from hall.config_base import Port, Section

FEED_SECRET_MIN_LENGTH = 32
HALL_OFFICE_MAX = 64  # complaints.department's length


class FeedTarget(Section):
    """A supervising department's webhook (审管分离): where its approval results go, and the secret both
    sides hold to sign them (HMAC-SHA256) and to sign the department's revocations coming back."""

    url: str
    secret: SecretStr

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"must be an http:// or https:// URL, got {parts.scheme or value!r}")
        if parts.username or parts.password:
            raise ValueError("must carry no credentials: the department's secret signs each body")
        return value

    @field_validator("secret")
    @classmethod
    def _long_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < FEED_SECRET_MIN_LENGTH:
            raise ValueError(f"must be at least {FEED_SECRET_MIN_LENGTH} characters")
        return value


class CaseServiceSettings(Section):
    host: str = "127.0.0.1"
    port: Port = 8000
    # Where other processes reach the case service (may differ from the bind address behind a proxy).
    public_url: str | None = None
    # Worker processes of `hall case-service` (uvicorn's --workers); each loads the settings from the
    # environment. The service keeps no state between requests in memory, so any worker serves any request.
    workers: int = Field(default=1, ge=1, le=32)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # How often the deadline sweep applies art. 32's automatic acceptance; 0 turns it off.
    sweep_interval_seconds: float = Field(default=600, ge=0)
    # Printed on notices and decisions.
    authority: str = "阿坝州行政审批局"
    reconsideration_body: str = "阿坝州人民政府"
    court: str = "马尔康市人民法院"
    hall_address: str = "阿坝州政务服务中心"
    # The hall's own managing office: complaints about the hall itself (no case, no department) go to it
    # and its managers answer them (ADR 0012). Not a catalogue department.
    hall_office: str = "阿坝州政务服务中心"
    # The 效能考核 indicators' agreed weights (JSON in HALL_CASE__ASSESSMENT_WEIGHTS), e.g.
    # {"on_time": 30, "satisfaction": 25, "supplement": 15, "trips": 10, "complaints": 10, "cards": 10}.
    assessment_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # 审管分离: each supervising department's webhook and secret (JSON in HALL_CASE__SUPERVISION_FEEDS),
    # e.g. {"州市场监管局": {"url": "https://jg.example.gov/hall-feed", "secret": "..."}}.
    supervision_feeds: dict[str, FeedTarget] = Field(default_factory=dict)
    # How often the outbox of the feed is sent (0 turns sending off; entries wait), and the first retry's
    # delay, doubled after each failure up to an hour.
    feed_interval_seconds: float = Field(default=5, ge=0)
    feed_retry_seconds: float = Field(default=30, gt=0)

    @field_validator("hall_office")
    @classmethod
    def _office_name(cls, value: str) -> str:
        name = value.strip()
        if not name or len(name) > HALL_OFFICE_MAX:
            raise ValueError(f"must name the hall's office in 1 to {HALL_OFFICE_MAX} characters")
        if any(not character.isprintable() for character in name):
            raise ValueError("must be printable text")
        return name

    @field_validator("assessment_weights")
    @classmethod
    def _known_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        try:
            return {key.value: value for key, value in check_weights(weights).items()}
        except InvalidInputError as err:
            raise ValueError(err.message) from err
