"""A device's own credential: its broker user name, the hash the broker and the case service keep, and the
0600 file the device keeps.

Every device (controller, kiosk, display, locker gateway…) is enrolled in the case service: an admin
registers it and gets a one-time enrolment code; the device exchanges the code once for a random secret
(case_service.api.routes.enrolment) and keeps it in its credential file. The same secret is its case-service
secret and its MQTT password. Nothing is derived from a shared secret: knowing one device's credential
tells nothing about another's.

A device's broker user name is ``<hall>/<device>``, the controller's ``<hall>/$controller``. The case
service stores the secret only as a PBKDF2-SHA512 hash in Mosquitto 2's ``$7$`` format, so the broker's
password file (hall_controller.mosquitto_acl) and the embedded broker (hall.broker) check the same hash.
The secret is 256 random bits, so the few PBKDF2 rounds Mosquitto uses are no weakness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from devices.protocol import topics

PBKDF2_ITERATIONS = 101  # what mosquitto_passwd writes
SALT_BYTES = 12
CONTROLLER_KIND = "controller"


class CredentialError(Exception):
    """A credential file that is missing, unreadable, too open or malformed."""


@dataclass(frozen=True)
class Credential:
    username: str
    password: str


@dataclass(frozen=True)
class DeviceCredential:
    """What a device keeps after enrolment (its credential file)."""

    device_id: str
    kind: str
    hall_id: str
    secret: str

    @property
    def mqtt(self) -> Credential:
        return Credential(mqtt_username(self.kind, self.hall_id, self.device_id), self.secret)


def device_username(hall: str, device_id: str) -> str:
    return f"{topics.check_segment(hall, 'hall id')}/{topics.check_segment(device_id, 'device id')}"


def controller_username(hall: str) -> str:
    return device_username(hall, topics.CONTROLLER_ID)


def controller_device_id(hall: str) -> str:
    """The controller's device id in the case service (its broker user name is `<hall>/$controller`)."""
    return f"controller-{hall}"


def mqtt_username(kind: str, hall: str, device_id: str) -> str:
    return controller_username(hall) if kind == CONTROLLER_KIND else device_username(hall, device_id)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def password_hash(password: str, salt: bytes | None = None) -> str:
    """Mosquitto 2's `$7$` PBKDF2-SHA512 hash."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS, 64)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(stored: str, password: str) -> bool:
    """Checks `password` against a `$7$` hash, in constant time; any malformed hash is a refusal."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7":  # "", "7", rounds, salt, digest
        return False
    try:
        rounds = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    if not 1 <= rounds <= 1_000_000:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds, len(expected))
    return hmac.compare_digest(digest, expected)


def save_credential(path: Path, credential: DeviceCredential) -> None:
    """Writes the credential file readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(asdict(credential), handle)
    temporary.replace(path)


def load_credential(path: Path) -> DeviceCredential:
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise CredentialError(f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeviceCredential(
            device_id=str(data["device_id"]),
            kind=str(data["kind"]),
            hall_id=str(data["hall_id"]),
            secret=str(data["secret"]),
        )
    except FileNotFoundError as err:
        raise CredentialError(f"no credential file {path}: enrol the device first (hall enrol)") from err
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CredentialError(f"cannot read the credential file {path}: {err}") from err


def credential_path(directory: Path, device_id: str) -> Path:
    return directory / f"{topics.check_segment(device_id, 'device id')}.json"
