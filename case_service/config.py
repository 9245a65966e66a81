"""The case service's settings section: `HALL_CASE__*`."""

from __future__ import annotations

from pydantic import Field, field_validator

from case_service.domain.errors import InvalidInputError
from case_service.reports.assessment import DEFAULT_WEIGHTS, check_weights
from hall.config_base import Port, Section


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
    # The 效能考核 indicators' agreed weights (JSON in HALL_CASE__ASSESSMENT_WEIGHTS), e.g.
    # {"on_time": 30, "satisfaction": 25, "supplement": 15, "trips": 10, "complaints": 10, "cards": 10}.
    assessment_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @field_validator("assessment_weights")
    @classmethod
    def _known_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        try:
            return {key.value: value for key, value in check_weights(weights).items()}
        except InvalidInputError as err:
            raise ValueError(err.message) from err
