"""Issue 15, Critical: one identity per device, and no master key.

Each test plays the attacker of a finding against the real parts: the case service's HTTP API, a real
Mosquitto configured as deploy/mosquitto/hall-broker.conf says, and the embedded broker started as
`hall demo` starts it (`hall broker`). The HTTP attacks need nothing but today's API, so they also ran
(and failed) against the code before device enrolment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from case_service.app import create_app
from tests.case_service.conftest import ITEM_COMPANY, CaseApi, Clock, make_settings
from tests.fixtures.mqtt import accepted, connect, login_accepted

pytestmark = pytest.mark.integration
HALL = "hall-01"
# The development value of the old hall-wide HALL_DEVICE_SECRET, which every kiosk and gateway held.
OLD_SHARED_SECRET = "dev-only-device-secret"
REPO = Path(__file__).resolve().parents[2]


def _derived(username: str) -> str:
    """An MQTT password as the old shared-secret scheme derived it."""
    digest = hmac.new(OLD_SHARED_SECRET.encode(), f"mqtt:{username}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- HTTP ---------------------------------------------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseApi]:
    """The case service on its embedded SQLite, as tests/case_service builds it."""
    from fastapi.testclient import TestClient

    clock = Clock()
    settings = make_settings(f"sqlite:///{tmp_path / 'case.db'}", tmp_path)
    app = create_app(settings, today=clock)
    with TestClient(app) as client:
        yield CaseApi(client, clock, settings)
    app.state.engine.dispose()


def _token(api: CaseApi, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = api.client.post("/api/v1/auth/device-token", json=body)
    return answer.status_code, answer.json()


def test_an_unregistered_device_gets_no_token_whatever_kind_it_claims(service: CaseApi) -> None:
    for claim in ({"kind": "controller"}, {"kind": "kiosk"}, {}):
        status, body = _token(service, {"device_id": "intruder-7", "secret": OLD_SHARED_SECRET, **claim})
        assert status in (401, 422), (claim, status, body)
        assert "access_token" not in body


def test_the_shared_secret_reads_no_release_contact(service: CaseApi) -> None:
    api = service
    case = api.file_case(ITEM_COMPANY)
    for action, user in [
        ("accept", "clerk1"),
        ("start_review", "reviewer1"),
        ("approve", "approver1"),
        ("make_certificate", "reviewer1"),
        ("seal", "sealer1"),
    ]:
        if action == "approve":
            api.joint_opinion(case["id"])  # 州税务局's, which the decision waits for
        api.act(case["id"], action, user)
    api.act(case["id"], "release", "clerk1", channel="locker")
    status, body = _token(
        api, {"device_id": "controller-evil", "secret": OLD_SHARED_SECRET, "kind": "controller"}
    )
    headers = {"Authorization": f"Bearer {body.get('access_token', 'none')}"}
    contact = api.client.get(f"/api/v1/cases/{case['id']}/release-contact", headers=headers)
    assert status != 200
    assert contact.status_code == 401
    assert "13812345678" not in contact.text


def _register(api: CaseApi, device_id: str, kind: str, hall: str = HALL) -> dict[str, Any]:
    answer = api.client.post(
        "/api/v1/admin/devices",
        json={"device_id": device_id, "kind": kind, "hall_id": hall},
        headers=api.staff("admin"),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _exchange(api: CaseApi, device_id: str, code: str) -> tuple[int, dict[str, Any]]:
    answer = api.client.post("/api/v1/auth/device-enrolment", json={"device_id": device_id, "code": code})
    return answer.status_code, answer.json()


def test_an_enrolment_code_works_once_and_the_kind_is_the_registrations(service: CaseApi) -> None:
    from case_service.storage.models import Device

    api = service
    registered = _register(api, "kiosk-31", "kiosk")
    assert registered["state"] == "awaiting_enrolment"
    status, enrolled = _exchange(api, "kiosk-31", registered["enrolment_code"])
    assert status == 200 and enrolled["kind"] == "kiosk" and enrolled["mqtt_username"] == f"{HALL}/kiosk-31"
    assert _exchange(api, "kiosk-31", registered["enrolment_code"])[0] == 401  # used
    assert _exchange(api, "kiosk-99", registered["enrolment_code"])[0] == 401  # not its code
    status, token = _token(api, {"device_id": "kiosk-31", "secret": enrolled["secret"]})
    assert status == 200 and token["roles"] == ["kiosk"]
    # Asking for another kind is not even a field any more.
    assert (
        _token(api, {"device_id": "kiosk-31", "secret": enrolled["secret"], "kind": "controller"})[0] == 422
    )
    # Only the hash is kept, in Mosquitto's format.
    with api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        row = session.query(Device).filter_by(device_id="kiosk-31").one()
        assert row.secret_hash.startswith("$7$") and enrolled["secret"] not in row.secret_hash
        assert row.enrolment_digest is None
    listed = api.client.get("/api/v1/admin/devices", headers=api.staff("admin")).json()
    assert {"device_id": "kiosk-31", "kind": "kiosk", "hall_id": HALL, "state": "enrolled"} in listed
    assert "secret" not in str(listed) and "code" not in str(listed)


def test_only_an_admin_registers_rotates_or_revokes(service: CaseApi) -> None:
    api = service
    body = {"device_id": "kiosk-32", "kind": "controller", "hall_id": HALL}
    for headers in ({}, api.staff("clerk1"), api.staff("manager1"), api.device("kiosk-01")):
        assert api.client.post("/api/v1/admin/devices", json=body, headers=headers).status_code in (401, 403)
        for act in ("rotate", "revoke"):
            answer = api.client.post(f"/api/v1/admin/devices/kiosk-01/{act}", headers=headers)
            assert answer.status_code in (401, 403)
    assert api.client.get("/api/v1/admin/devices", headers=api.staff("clerk1")).status_code == 403


def test_an_expired_code_is_refused(service: CaseApi, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    registered = _register(service, "kiosk-33", "kiosk")
    later = time.time() + 25 * 3600
    monkeypatch.setattr(clock, "time", lambda: later)  # the case service's clock, a day and more on
    assert _exchange(service, "kiosk-33", registered["enrolment_code"])[0] == 401


def test_revocation_and_rotation(service: CaseApi) -> None:
    api = service
    admin = api.staff("admin")
    secret = _exchange(api, "kiosk-34", _register(api, "kiosk-34", "kiosk")["enrolment_code"])[1]["secret"]
    rotated = api.client.post("/api/v1/admin/devices/kiosk-34/rotate", headers=admin).json()
    assert _token(api, {"device_id": "kiosk-34", "secret": secret})[0] == 401  # the old secret is dead
    fresh = _exchange(api, "kiosk-34", rotated["enrolment_code"])[1]["secret"]
    assert _token(api, {"device_id": "kiosk-34", "secret": fresh})[0] == 200
    revoked = api.client.post("/api/v1/admin/devices/kiosk-34/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert _token(api, {"device_id": "kiosk-34", "secret": fresh})[0] == 401
    from case_service.storage.models import AuditEntry

    with api.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        rows = session.query(AuditEntry).filter_by(subject_type="device", subject_id="kiosk-34").all()
        assert [row.action for row in rows] == [
            "device.register",
            "device.enrol",
            "device.rotate",
            "device.enrol",
            "device.revoke",
        ]
        assert all(row.actor in ("staff:admin", "device:kiosk-34") for row in rows)


def test_a_field_device_gets_no_case_service_token(service: CaseApi) -> None:
    secret = _exchange(service, "locker-1", _register(service, "locker-1", "device")["enrolment_code"])[1]
    status, body = _token(service, {"device_id": "locker-1", "secret": secret["secret"]})
    assert status == 403 and "access_token" not in body


def test_broker_logins_go_to_an_admin_or_the_halls_own_controller(service: CaseApi) -> None:
    api = service
    url = "/api/v1/devices/broker-logins"
    api.device_secret("controller-hall-02", "controller")  # enrolled in hall-01 by the helper
    _exchange(api, "display-1", _register(api, "display-1", "device")["enrolment_code"])
    own = api.device("controller-hall-02", "controller")
    assert api.client.get(url, params={"hall_id": HALL}, headers=own).status_code == 200
    assert api.client.get(url, params={"hall_id": "hall-02"}, headers=own).status_code == 403
    for headers in ({}, api.device("kiosk-01"), api.staff("clerk1")):
        assert api.client.get(url, params={"hall_id": HALL}, headers=headers).status_code in (401, 403)
    logins = api.client.get(url, params={"hall_id": HALL}, headers=api.staff("admin")).json()
    assert {row["username"] for row in logins} >= {f"{HALL}/$controller", f"{HALL}/display-1"}
    assert all(
        set(row) == {"username", "password_hash"} and row["password_hash"][:3] == "$7$" for row in logins
    )


def test_the_credential_file_is_the_owners_alone(tmp_path: Path) -> None:
    from devices.protocol.credentials import (
        CredentialError,
        DeviceCredential,
        load_credential,
        save_credential,
    )

    path = tmp_path / "credentials" / "kiosk-01.json"
    save_credential(path, DeviceCredential("kiosk-01", "kiosk", HALL, "s" * 43))
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_credential(path).secret == "s" * 43
    path.chmod(0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        load_credential(path)


# --- MQTT, on Mosquitto as deployed and on the embedded broker as the demo runs it ----------------------


def settle(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


@dataclass
class SecuredBroker:
    kind: str
    port: int
    files: Path  # where the password and ACL files are written
    reload: Callable[[], None]


def _shipped_mosquitto_security() -> str:
    """The security lines of deploy/mosquitto/hall-broker.conf (listeners and TLS are the test's own)."""
    keys = {"allow_anonymous", "use_username_as_clientid", "per_listener_settings"}
    text = (REPO / "deploy" / "mosquitto" / "hall-broker.conf").read_text()
    lines = [line for line in text.splitlines() if line.split(" ", 1)[0] in keys]
    assert "allow_anonymous false" in lines and "use_username_as_clientid true" in lines
    return "\n".join(line for line in lines if not line.startswith("allow_anonymous")) + "\n"


@pytest.fixture(params=["mosquitto", "amqtt"])
def secured_broker(
    request: pytest.FixtureRequest, tmp_path: Path, enrolments: Any
) -> Iterator[SecuredBroker]:
    from hall.net import free_port, tcp_open
    from tests.fixtures.mqtt import start_mosquitto

    enrolments.enrol_controller()
    enrolments.enrol("locker-1")
    enrolments.enrol("display-1")
    if request.param == "mosquitto":
        files = tmp_path / "mosquitto-auth"
        passwords, acl = enrolments.broker_files(files)
        broker = start_mosquitto(
            tmp_path / "mosquitto",
            extra=f"user root\n{_shipped_mosquitto_security()}password_file {passwords}\nacl_file {acl}\n",
            anonymous=False,
        )

        def reload() -> None:  # `systemctl reload mosquitto`
            assert broker.process.process is not None
            broker.process.process.send_signal(signal.SIGHUP)

        yield SecuredBroker("mosquitto", broker.port, files, reload)
        broker.stop()
        return
    # The embedded broker exactly as `hall demo` starts it: `hall broker`, its files under the data folder.
    data_dir = tmp_path / "embedded"
    files = data_dir / "broker"
    enrolments.broker_files(files)
    port = free_port()
    env = {**os.environ, "HALL_DATA_DIR": str(data_dir)}
    log = (tmp_path / "amqtt.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hall", "broker", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        assert settle(lambda: tcp_open("127.0.0.1", port), 30)
        yield SecuredBroker("amqtt", port, files, lambda: None)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _logins(enrolments: Any) -> dict[str, tuple[str, str]]:
    from devices.protocol.credentials import load_credential

    names = {"controller": f"controller-{HALL}", "locker": "locker-1", "display": "display-1"}
    logins = {}
    for name, device_id in names.items():
        login = load_credential(enrolments.settings.credential_file(device_id)).mqtt
        logins[name] = (login.username, login.password)
    return logins


UNLOCK = f"hall/v1/{HALL}/locker-1/cmd/unlock"


def test_a_stranger_on_the_broker_reads_nothing_and_unlocks_nothing(
    secured_broker: SecuredBroker, enrolments: Any
) -> None:
    logins = _logins(enrolments)
    locker = connect(secured_broker.port, *logins["locker"])
    assert accepted(locker)
    locker.client.subscribe(f"hall/v1/{HALL}/locker-1/cmd/+", qos=1)
    assert settle(lambda: locker.granted)
    try:
        stranger = connect(secured_broker.port, None, None)
        assert not accepted(stranger)
        stranger.close()
        # The controller's own login, guessed the old way (HMAC of the development shared secret).
        guessed = connect(secured_broker.port, f"{HALL}/$controller", _derived(f"{HALL}/$controller"))
        assert not accepted(guessed)
        guessed.close()
        # A device's own, valid login used for the controller's user name.
        posing = connect(secured_broker.port, f"{HALL}/$controller", logins["display"][1])
        assert not accepted(posing)
        posing.close()

        # The display, signed in as itself, may not read the hall's traffic nor unlock the locker.
        display = connect(secured_broker.port, *logins["display"])
        assert accepted(display)
        display.client.subscribe(f"hall/v1/{HALL}/#", qos=1)
        assert settle(lambda: display.granted)
        display.client.publish(UNLOCK, b'{"forged":true}', qos=1).wait_for_publish(5)
        display.client.publish(f"hall/v1/{HALL}/locker-1/evt/door", b'{"forged":true}', qos=1)
        # The controller's unlock does arrive (the positive control); the display heard none of it.
        controller = connect(secured_broker.port, *logins["controller"])
        assert accepted(controller)
        controller.client.publish(UNLOCK, b'{"real":true}', qos=1).wait_for_publish(5)
        assert settle(lambda: locker.messages)
        time.sleep(0.5)
        assert locker.messages == [(UNLOCK, b'{"real":true}')]
        assert display.messages == []
        controller.close()
        display.close()
    finally:
        locker.close()


def test_no_device_takes_over_anothers_session_or_fires_its_will(
    secured_broker: SecuredBroker, enrolments: Any
) -> None:
    logins = _logins(enrolments)
    status = f"hall/v1/{HALL}/locker-1/status"
    controller = connect(secured_broker.port, *logins["controller"], client_id=f"controller.{HALL}")
    controller.client.subscribe(status, qos=1)
    assert settle(lambda: controller.granted)
    locker = connect(
        secured_broker.port, *logins["locker"], client_id=f"{HALL}.locker-1", will=(status, b"offline")
    )
    assert accepted(locker)
    try:
        for client_id in (f"{HALL}.locker-1", f"{HALL}/locker-1"):
            rogue = connect(secured_broker.port, *logins["display"], client_id=client_id)
            time.sleep(0.5)
            rogue.close()
        assert not locker.disconnected.is_set()
        assert (status, b"offline") not in controller.messages
    finally:
        locker.close()
        controller.close()


def test_a_revoked_device_no_longer_connects(secured_broker: SecuredBroker, enrolments: Any) -> None:
    logins = _logins(enrolments)
    before = connect(secured_broker.port, *logins["display"])
    assert accepted(before)
    before.close()
    enrolments.revoke("display-1")
    time.sleep(0.01)  # a new modification time for the rewritten file
    enrolments.broker_files(secured_broker.files)
    secured_broker.reload()
    assert settle(lambda: not login_accepted(secured_broker.port, *logins["display"]))
    still = connect(secured_broker.port, *logins["locker"])
    assert accepted(still)
    still.close()
    answer = enrolments.client.post(
        "/api/v1/auth/device-token", json={"device_id": "display-1", "secret": logins["display"][1]}
    )
    assert answer.status_code == 401


def test_an_anonymous_client_cannot_use_the_embedded_broker(tmp_path: Path) -> None:
    """The embedded broker as `hall demo` starts it: no login, no connection (so no reading, no unlock)."""
    from hall.net import free_port, tcp_open

    port = free_port()
    env = {**os.environ, "HALL_DATA_DIR": str(tmp_path)}
    with (tmp_path / "amqtt.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hall", "broker", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        try:
            assert settle(lambda: tcp_open("127.0.0.1", port), 30)
            listener = connect(port, None, None)
            intruder = connect(port, None, None)
            if accepted(listener):
                listener.client.subscribe("#", qos=1)
                intruder.client.publish(UNLOCK, b"{}", qos=1)
                settle(lambda: listener.messages, 2)
            assert not accepted(listener) and not accepted(intruder)
            assert listener.messages == []
            listener.close()
            intruder.close()
        finally:
            process.terminate()
            process.wait(10)


def _mosquitto_hash(password: str) -> str:
    """Mosquitto's `$7$` PBKDF2-SHA512, written out here so this test needs nothing but the deploy file."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101, 64)
    return f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_client_id_takeover_on_mosquitto_as_deployed(
    private_mosquitto: Callable[..., Any], tmp_path: Path
) -> None:
    """Two valid logins; the second reuses the first's predictable client id. With the deployed
    configuration the first stays connected and its last will does not fire."""
    lines = (REPO / "deploy" / "mosquitto" / "hall-broker.conf").read_text().splitlines()
    shipped = [
        line
        for line in lines
        if line.split(" ", 1)[0] in {"use_username_as_clientid", "per_listener_settings"}
    ]
    passwords = tmp_path / "passwords"
    logins = {"locker": (f"{HALL}/locker-1", "l" * 43), "display": (f"{HALL}/display-1", "d" * 43)}
    passwords.write_text("".join(f"{user}:{_mosquitto_hash(secret)}\n" for user, secret in logins.values()))
    broker = private_mosquitto(
        extra="user root\n" + "\n".join(shipped) + f"\npassword_file {passwords}\n", anonymous=False
    )
    status = f"hall/v1/{HALL}/locker-1/status"
    locker = connect(broker.port, *logins["locker"], client_id=f"{HALL}.locker-1", will=(status, b"offline"))
    watcher = connect(broker.port, *logins["display"], client_id="watcher")
    assert accepted(locker) and accepted(watcher)
    watcher.client.subscribe(status, qos=1)
    assert settle(lambda: watcher.granted)
    try:
        rogue = connect(broker.port, *logins["display"], client_id=f"{HALL}.locker-1")
        time.sleep(0.5)
        rogue.close()
        assert not locker.disconnected.is_set()
        assert (status, b"offline") not in watcher.messages
    finally:
        locker.close()
        watcher.close()
