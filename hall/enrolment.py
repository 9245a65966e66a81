"""A device's identity on this machine: enrolling it, and reading its credential to sign in.

- `issue_code`: the admin's half, registering (or rotating) a device for a one-time code.
- `exchange` / `enrol`: the device's half, its code for its own secret (POST /api/v1/auth/device-enrolment),
  kept in its 0600 credential file (`hall enrol`).
- `register_and_enrol`: both halves on one machine, as the demo and the soak enrol their simulated
  devices; a real hall does them on two machines.
- `own_credential` / `broker_login`: what a process signs in with.
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


def issue_code(
    admin: httpx.Client, device_id: str, kind: str, hall_id: str, headers: dict[str, str] | None = None
) -> str:
    """As an admin (`admin`, or `headers`, carrying an admin's token): registers the device, or rotates it
    if it is registered, and answers its one-time enrolment code."""
    body = {"device_id": device_id, "kind": kind, "hall_id": hall_id}
    answer = admin.post(f"{API}/admin/devices", json=body, headers=headers)
    if answer.status_code == 409:  # registered already: a new code
        answer = admin.post(f"{API}/admin/devices/{device_id}/rotate", headers=headers)
    if answer.status_code not in (200, 201):
        raise StartupError(f"registering {device_id} refused: HTTP {answer.status_code} {answer.text[:200]}")
    return str(answer.json()["enrolment_code"])


def exchange(client: httpx.Client, device_id: str, code: str) -> DeviceCredential:
    """The device's side: its one-time code for its own secret (the answer is the only copy)."""
    try:
        answer = client.post(f"{API}/auth/device-enrolment", json={"device_id": device_id, "code": code})
    except httpx.TransportError as err:
        raise StartupError(f"cannot reach the case service to enrol {device_id}: {err}") from err
    if answer.status_code != 200:
        raise StartupError(f"enrolment of {device_id} refused: HTTP {answer.status_code} {answer.text[:200]}")
    data = answer.json()
    return DeviceCredential(
        device_id=data["device_id"], kind=data["kind"], hall_id=data["hall_id"], secret=data["secret"]
    )


def enrol(settings: Settings, device_id: str, code: str) -> DeviceCredential:
    """`hall enrol`: exchanges `code` and keeps the secret in the device's 0600 credential file."""
    with httpx.Client(base_url=settings.case_service_url, timeout=10.0) as client:
        credential = exchange(client, device_id, code)
    save_credential(settings.credential_file(device_id), credential)
    return credential


def register_and_enrol(
    settings: Settings, admin: httpx.Client, device_id: str, kind: str, hall_id: str | None = None
) -> DeviceCredential:
    """Both halves on one machine (the demo, the soak): the admin's code, exchanged at once, kept in the
    device's credential file. `admin` carries an admin's token and the case service's base URL."""
    code = issue_code(admin, device_id, kind, hall_id or settings.hall_id)
    credential = exchange(admin, device_id, code)
    save_credential(settings.credential_file(device_id), credential)
    return credential


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
