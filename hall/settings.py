"""One validated configuration for every process of the hall.

Values come from the environment (prefix ``HALL_``, nested with ``__``: ``HALL_CASE__PORT=8000``) and
from ``.env``. Validation happens at start-up; production refuses simulated devices, and each process
checks it holds only its own secrets, none of them a development value (`Settings.check_process`).
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from case_service.config import CaseServiceSettings
from devices.config import DeviceSettings
from hall.config_base import DEVICE_ID_PATTERN, Port
from hall.errors import StartupError
from hall.privacy import PiiCipher, hide_url_passwords
from hall_controller.config import ControllerSettings
from kiosk.config import KioskSettings

ENV_PREFIX = "HALL_"
# Variables for the test suite and the benchmarks, never settings of a hall process.
TOOLING_PREFIXES = ("HALL_TEST_", "HALL_BENCH_")
# Development defaults: fine on a laptop, refused in production.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-0123456789abcdef"  # noqa: S105
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1jaGFuZ2UtbWUtMzJieXQ="
DEV_LOCKER_ID_KEY = "dev-only-locker-id-key"
MIN_SECRET_LENGTH = 32
DEV_SECRETS = {"secret_key": DEV_SECRET_KEY, "pii_key": DEV_PII_KEY, "locker_id_key": DEV_LOCKER_ID_KEY}
# The hall-wide secrets each process holds (production checks them at start-up: check_process).
# Every device (kiosk, gateway, controller) also holds its own enrolled credential (credentials_dir).
PROCESS_SECRETS: dict[str, tuple[str, ...]] = {
    "case-service": ("secret_key", "pii_key"),
    "controller": ("secret_key", "pii_key", "locker_id_key"),
    "devices": ("locker_id_key",),
    "kiosk": (),
    "broker": (),
}
# The kiosk's backends that default to a simulation, and the real choice production needs.
KIOSK_REAL_BACKENDS = {
    "hall_link": "controller",
    "card_reader": "device",
    "camera": "device",
    "scanner": "device",
    "printer": "cups",
}


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        # .env may hold other programs' variables (POSTGRES_PASSWORD=...): they are not ours to refuse.
        # Unknown HALL_ names are refused by load_settings, by their real name.
        extra="ignore",
        frozen=True,
    )

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("var")
    hall_id: str = Field(default="hall-01", pattern=DEVICE_ID_PATTERN)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # None: SQLite under data_dir (the embedded default).
    database_url: str | None = None
    # None: the embedded amqtt broker on loopback, started by `hall demo` / `hall broker`.
    mqtt_url: str | None = None
    embedded_broker_port: Port = 18830
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_ca_file: Path | None = None
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    # Held by the controller and the locker gateways only: the key of the ID-card pickups' hashes.
    locker_id_key: SecretStr = SecretStr(DEV_LOCKER_ID_KEY)
    # This process's enrolled device credentials, one 0600 file per device (devices.protocol.credentials);
    # None: data_dir/credentials. No shared device secret: each device has its own.
    credentials_dir: Path | None = None

    case: CaseServiceSettings = CaseServiceSettings()
    controller: ControllerSettings = ControllerSettings()
    kiosk: KioskSettings = KioskSettings()
    devices: DeviceSettings = DeviceSettings()

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme
        if scheme.split("+")[0] not in {"sqlite", "postgresql"}:
            raise ValueError(f"must start with sqlite:/// or postgresql+psycopg://, got {scheme or value!r}")
        return value

    @field_validator("pii_key")
    @classmethod
    def _check_pii_key(cls, value: SecretStr) -> SecretStr:
        PiiCipher.from_config(value.get_secret_value())  # ValueError names the key, never its value
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"mqtt", "mqtts"}:
            raise ValueError(f"must be mqtt://host:port or mqtts://host:port, got {value!r}")
        if not parts.hostname:
            raise ValueError(f"has no host: {value!r}")
        try:
            _ = parts.port
        except ValueError as err:
            raise ValueError(f"has a bad port: {value!r}") from err
        return value

    def check_process_secrets(self, process: str) -> None:
        """Production: `process` holds the secrets it needs, none at its development value, and none of
        the hall's other secrets (a kiosk or a device gateway never holds the token or PII key).

        Raises StartupError naming the variables to set or to remove."""
        if self.mode is not Mode.PRODUCTION or process not in PROCESS_SECRETS:
            return
        needed = PROCESS_SECRETS[process]
        weak = [name for name in needed if getattr(self, name).get_secret_value() == DEV_SECRETS[name]]
        if weak:
            names = ", ".join(ENV_PREFIX + name.upper() for name in weak)
            raise StartupError(f"production mode refuses the development secrets; set {names}")
        short = [name for name in needed if len(getattr(self, name).get_secret_value()) < MIN_SECRET_LENGTH]
        if short:
            names = ", ".join(ENV_PREFIX + name.upper() for name in short)
            raise StartupError(f"{names} must be at least {MIN_SECRET_LENGTH} characters in production")
        extra = sorted(set(DEV_SECRETS) - set(needed) & self.model_fields_set)
        if extra:
            names = ", ".join(ENV_PREFIX + name.upper() for name in extra)
            raise StartupError(f"the {process} must not hold {names}: remove it from its environment file")

    def check_process(self, process: str) -> None:
        """Production: `process` runs on no simulated device and holds only its own secrets."""
        self.check_process_devices(process)
        self.check_process_secrets(process)

    def check_process_devices(self, process: str) -> None:
        """Production: the kiosk and the device gateways refuse every simulated backend they would use."""
        if self.mode is not Mode.PRODUCTION:
            return
        simulated = [
            (variable, real)
            for variable, real in self.simulated_backends()
            if process == "kiosk" or (process == "devices" and variable == f"{ENV_PREFIX}DEVICES__BACKEND")
        ]
        if simulated:
            wanted = ", ".join(f"{variable}={real}" for variable, real in simulated)
            raise StartupError(f"production mode refuses simulated devices; set {wanted}")
        if process == "kiosk" and self.kiosk.simulator_url:
            raise StartupError(
                f"production mode refuses the hall simulator; unset {ENV_PREFIX}KIOSK__SIMULATOR_URL"
            )

    def simulated_backends(self) -> list[tuple[str, str]]:
        """Each backend set to "sim", as (its variable, the real choice to set instead)."""
        choices = [(self.devices.backend, f"{ENV_PREFIX}DEVICES__BACKEND", "real")]
        choices += [
            (getattr(self.kiosk, field), f"{ENV_PREFIX}KIOSK__{field.upper()}", real)
            for field, real in KIOSK_REAL_BACKENDS.items()
        ]
        return [(variable, real) for value, variable, real in choices if value == "sim"]

    # Derived values -------------------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'case_service.db').resolve()}"

    @property
    def locker_cases(self) -> str:
        """HALL_CONTROLLER__LOCKER_CASES, or its default: "case-service" in production, else "memory"."""
        if self.controller.locker_cases is not None:
            return self.controller.locker_cases
        return "case-service" if self.mode is Mode.PRODUCTION else "memory"

    def public_json(self) -> str:
        """The effective settings as `hall config` shows them: secrets hidden, defaults resolved."""
        data = self.model_dump(mode="json")
        data["controller"]["locker_cases"] = self.locker_cases
        return hide_url_passwords(json.dumps(data, indent=2, ensure_ascii=False))

    @property
    def resolved_mqtt_url(self) -> str:
        return self.mqtt_url or f"mqtt://127.0.0.1:{self.embedded_broker_port}"

    @property
    def mqtt_password_value(self) -> str | None:
        return self.mqtt_password.get_secret_value() if self.mqtt_password else None

    @property
    def resolved_credentials_dir(self) -> Path:
        return self.credentials_dir or self.data_dir / "credentials"

    def credential_file(self, device_id: str) -> Path:
        from devices.protocol.credentials import credential_path

        return credential_path(self.resolved_credentials_dir, device_id)

    @property
    def broker_password_file(self) -> Path:
        """The embedded broker's password file (Mosquitto's format; hall_controller.mosquitto_acl)."""
        return self.data_dir / "broker" / "passwords"

    @property
    def uses_embedded_broker(self) -> bool:
        return self.mqtt_url is None

    @property
    def case_service_url(self) -> str:
        return self.case.public_url or f"http://{self.case.host}:{self.case.port}"

    @property
    def controller_url(self) -> str:
        return f"http://{self.controller.host}:{self.controller.port}"


def _dotenv_keys() -> list[str]:
    env_file = Path(str(Settings.model_config.get("env_file") or ".env"))
    try:
        return list(dotenv_values(env_file)) if env_file.is_file() else []
    except OSError:
        return []


def _unknown_environment_keys() -> list[str]:
    """HALL_ names, in the environment or in .env, that are no setting (test and bench ones excepted)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    unknown = set()
    for key in [*os.environ, *_dotenv_keys()]:
        upper = key.upper()
        if not upper.startswith(ENV_PREFIX) or upper.startswith(TOOLING_PREFIXES):
            continue
        if upper.split("__", 1)[0] not in known:
            unknown.add(key)
    return sorted(unknown)


def describe_validation_error(err: ValidationError) -> str:
    """One line per problem, naming the environment variable a person would set."""
    problems = []
    for item in err.errors():
        location = "__".join(str(part) for part in item["loc"]).upper()
        name = ENV_PREFIX + location if location else "configuration"
        problems.append(f"{name}: {item['msg']}")
    return "; ".join(problems)


def load_settings(**overrides: object) -> Settings:
    """Build and validate the settings, converting every problem into a one-line StartupError."""
    unknown = _unknown_environment_keys() + sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise StartupError(f"unknown configuration option(s): {', '.join(unknown)}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise StartupError(f"invalid configuration: {describe_validation_error(err)}") from err


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
