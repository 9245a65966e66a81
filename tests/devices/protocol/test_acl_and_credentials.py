"""The contract's broker ACL and the device credential hash, as pure functions (the brokers' tests are in
tests/security/test_device_identity.py)."""

from __future__ import annotations

import pytest

from devices.protocol.acl import covers, may_read, may_write, mosquitto_acl
from devices.protocol.credentials import mqtt_username, new_secret, password_hash, verify_password

H = "hall/v1/hall-01"


@pytest.mark.parametrize(
    ("rule", "wanted", "inside"),
    [
        (f"{H}/#", f"{H}/lock-1/cmd/unlock", True),
        (f"{H}/#", f"{H}/#", True),
        (f"{H}/#", "hall/v1/#", False),  # wider than the rule
        (f"{H}/lock-1/cmd/+", f"{H}/lock-1/cmd/unlock", True),
        (f"{H}/lock-1/cmd/+", f"{H}/lock-1/cmd/#", False),
        (f"{H}/lock-1/cmd/+", f"{H}/lock-2/cmd/unlock", False),
        (f"{H}/lock-1/status", f"{H}/lock-1/status/x", False),
        ("hall/v1/+/$controller/status", "hall/v1/+/$controller/status", True),
        ("hall/v1/+/$controller/status", "hall/v1/+/+/status", False),
    ],
)
def test_a_filter_is_covered_only_when_everything_it_matches_is(rule: str, wanted: str, inside: bool) -> None:
    assert covers(rule, wanted) is inside


def test_each_user_speaks_only_on_its_own_topics() -> None:
    device, controller = "hall-01/lock-1", "hall-01/$controller"
    assert may_write(device, f"{H}/lock-1/evt/door") and may_write(device, f"{H}/lock-1/status")
    assert not may_write(device, f"{H}/lock-1/cmd/unlock") and not may_write(device, f"{H}/lock-2/evt/door")
    assert may_read(device, f"{H}/lock-1/cmd/+") and may_read(device, "hall/v1/hall-01/$controller/status")
    assert not may_read(device, f"{H}/#") and not may_read(device, f"{H}/lock-2/cmd/unlock")
    assert may_write(controller, f"{H}/lock-1/cmd/unlock") and may_read(controller, f"{H}/#")
    assert not may_write(controller, "hall/v1/hall-02/lock-1/cmd/unlock")
    for stranger in (None, "", "admin", "hall-01", "hall-01/lock-1/x", "HALL/lock-1"):
        assert not may_read(stranger, f"{H}/lock-1/cmd/+") and not may_write(stranger, f"{H}/lock-1/status")


def test_the_mosquitto_file_names_each_halls_controller() -> None:
    text = mosquitto_acl(["hall-02", "hall-01", "hall-01"])
    assert text.count("user hall-01/$controller") == 1 and "topic readwrite hall/v1/hall-02/#" in text
    assert "pattern read hall/v1/%u/cmd/+" in text and "pattern write hall/v1/%u/evt/+" in text


def test_the_hash_is_mosquittos_and_checks_only_its_secret() -> None:
    secret = new_secret()
    stored = password_hash(secret)
    assert stored.startswith("$7$101$") and secret not in stored
    assert verify_password(stored, secret)
    assert not verify_password(stored, secret + "x") and not verify_password(
        password_hash(new_secret()), secret
    )
    for broken in ("", "$6$x$y", "$7$abc$AAAA$AAAA", "$7$101$not base64$AAAA", "$7$0$AAAA$AAAA"):
        assert not verify_password(broken, secret)
    assert new_secret() != new_secret() and len(secret) >= 43


def test_user_names() -> None:
    assert mqtt_username("controller", "hall-01", "controller-hall-01") == "hall-01/$controller"
    assert mqtt_username("kiosk", "hall-01", "kiosk-01") == "hall-01/kiosk-01"
