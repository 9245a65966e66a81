"""The start-up broker check speaks MQTT with the same client set-up as the processes that follow it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hall.errors import StartupError
from hall.net import require_broker
from tests.fixtures.mqtt import Broker
from tests.fixtures.procs import require_binary

pytestmark = pytest.mark.integration


@pytest.fixture
def password_broker(tmp_path: Path, private_mosquitto: Callable[..., Broker]) -> Broker:
    passwd = require_binary("mosquitto_passwd", "mosquitto")
    password_file = tmp_path / "passwords"
    subprocess.run([passwd, "-b", "-c", str(password_file), "hall01", "s3cret"], check=True)
    return private_mosquitto(extra=f"user root\npassword_file {password_file}\n", anonymous=False)


def test_credentials_in_the_url_are_used(password_broker: Broker) -> None:
    require_broker(f"mqtt://hall01:s3cret@127.0.0.1:{password_broker.port}")


def test_explicit_credentials_are_used(password_broker: Broker) -> None:
    require_broker(password_broker.url, username="hall01", password="s3cret")


def test_a_wrong_password_is_one_clear_refusal(password_broker: Broker) -> None:
    with pytest.raises(StartupError, match="refused the connection") as caught:
        require_broker(f"mqtt://hall01:wrong@127.0.0.1:{password_broker.port}")
    assert "\n" not in str(caught.value)
