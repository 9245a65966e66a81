"""The shared fixtures start real services: prove each one answers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.fixtures.mqtt import Broker
from tests.fixtures.postgres import PostgresCluster

pytestmark = pytest.mark.integration


def test_broker_round_trip(any_broker: Broker) -> None:
    received: list[bytes | bytearray] = []
    got = threading.Event()
    subscribed = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{any_broker.kind}")
    client.on_subscribe = lambda *_: subscribed.set()

    def on_message(_c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        received.append(message.payload)
        got.set()

    client.on_message = on_message
    client.connect(any_broker.host, any_broker.port)
    client.loop_start()
    try:
        client.subscribe("hall/v1/test/probe/evt/ping", qos=1)
        assert subscribed.wait(5)
        client.publish("hall/v1/test/probe/evt/ping", "你好".encode(), qos=1)
        assert got.wait(5)
    finally:
        client.disconnect()
        client.loop_stop()
    assert received == ["你好".encode()]


def test_postgres_database_per_test(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("select current_setting('server_encoding')")).scalar() == "UTF8"
    engine.dispose()


def test_postgres_restart(postgres: PostgresCluster) -> None:
    if postgres.data_dir is None:
        pytest.skip("external PostgreSQL cannot be restarted by the tests")
    postgres.restart()
    import psycopg

    with psycopg.connect(postgres.admin_url) as connection:
        assert connection.execute("select 1").fetchone() == (1,)


@pytest.mark.slow
def test_case_service_home_page_in_chromium(
    start_hall_process: Any, page: Any, screenshot_dir: Path, tmp_path: Path
) -> None:
    service = start_hall_process("case-service", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    page.goto(f"{service.url}/")
    assert page.locator("h1").inner_text() == "政务服务中心 · 办件服务"
    shot = screenshot_dir / "case-service-home.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 5000
