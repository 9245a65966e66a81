"""A device's identity on this machine: enrolling it, and reading its credential to sign in.

- `enrol`: the device's side, exchanging its one-time code (POST /api/v1/auth/device-enrolment) for its
  own secret, written to its 0600 credential file.
- `register_and_enrol`: an admin's registration (or rotation) followed by the device's exchange, as the
  demo and the tests enrol their simulated devices; a real hall does the two halves on two machines.
- `broker_login` / `own_secret`: what a process uses to sign in to the broker and the case service.
"""

from __future__ import annotations

import httpx

from devices.protocol.credentials import (
    CredentialError,
    DeviceCredential,
    load_credential,
    save_credential,
)
from hall.errors import StartupError
from hall.settings import Settings

API = "/api/v1"


def enrol(
    settings: Settings, device_id: str, code: str, *, client: httpx.Client | None = None
) -> DeviceCredential:
    """Exchanges `code` for the device's secret and keeps it in its credential file."""
    http = client or httpx.Client(base_url=settings.case_service_url, timeout=10.0)
    try:
        answer = http.post(f"{API}/auth/device-enrolment", json={"device_id": device_id, "code": code})
    except httpx.TransportError as err:
        raise StartupError(f"cannot reach the case service to enrol {device_id}: {err}") from err
    finally:
        if client is None:
            http.close()
    if answer.status_code != 200:
        raise StartupError(f"enrolment of {device_id} refused: HTTP {answer.status_code} {answer.text[:200]}")
    data = answer.json()
    credential = DeviceCredential(
        device_id=data["device_id"], kind=data["kind"], hall_id=data["hall_id"], secret=data["secret"]
    )
    save_credential(settings.credential_file(device_id), credential)
    return credential


def register_and_enrol(
    settings: Settings, admin: httpx.Client, device_id: str, kind: str, hall_id: str | None = None
) -> DeviceCredential:
    """As an admin (`admin` carries an admin's token and the case service's base URL): registers the
    device, or rotates it if it is registered, then enrols it with the code."""
    hall = hall_id or settings.hall_id
    answer = admin.post(f"{API}/admin/devices", json={"device_id": device_id, "kind": kind, "hall_id": hall})
    if answer.status_code == 409:
        answer = admin.post(f"{API}/admin/devices/{device_id}/rotate")
    if answer.status_code not in (200, 201):
        raise StartupError(f"registering {device_id} refused: HTTP {answer.status_code} {answer.text[:200]}")
    return enrol(settings, device_id, answer.json()["enrolment_code"], client=admin)


def own_credential(settings: Settings, device_id: str) -> DeviceCredential:
    try:
        return load_credential(settings.credential_file(device_id))
    except CredentialError as err:
        raise StartupError(str(err)) from err


def broker_login(settings: Settings, device_id: str) -> tuple[str | None, str | None]:
    """The device's own broker login from its credential file; without one, the configured
    HALL_MQTT_USERNAME / HALL_MQTT_PASSWORD (tools on a broker this hall does not manage)."""
    if settings.credential_file(device_id).exists():
        login = own_credential(settings, device_id).mqtt
        return login.username, login.password
    return settings.mqtt_username, settings.mqtt_password_value
