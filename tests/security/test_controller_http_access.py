"""The hall controller's HTTP API must not take clerk or administrator actions from anyone on the network.

FINDING (issue 10): today the controller's routes carry no authentication. Anyone who reaches its port
can act as a window clerk (`/api/v1/ext/queue/windows/{n}/actions`) or open a locker compartment with a
self-declared administrator name (`/api/v1/ext/lockers/remote-open`). The fix belongs in hall_controller
(a dependency on every state-changing route, accepting the case service's staff tokens, or the
controller's own signed device/staff tokens): these tests then pass, and the xfail markers go.
Until then they are expected failures, kept so the gap stays visible (measured: the clerk action is
taken, 200; the remote open is refused only because this test hall has no bank, 400, never 401).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hall_controller.app import create_app
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id

pytestmark = pytest.mark.integration
GAP = "hall_controller's HTTP routes have no authentication yet (issue 10 finding)"


@pytest.fixture
def controller(mosquitto: Broker, tmp_path: Path) -> Iterator[TestClient]:
    settings = controller_settings(mosquitto.url, tmp_path, new_hall_id())
    with TestClient(create_app(settings)) as client:
        yield client


def test_reading_the_dashboard_health_needs_no_login(controller: TestClient) -> None:
    assert controller.get("/healthz").status_code == 200


@pytest.mark.xfail(reason=GAP, strict=False)
def test_an_anonymous_clerk_action_is_refused(controller: TestClient) -> None:
    answer = controller.post(
        "/api/v1/ext/queue/windows/1/actions", json={"key": "sign-in", "clerk": "intruder"}
    )
    assert answer.status_code == 401, answer.text


@pytest.mark.xfail(reason=GAP, strict=False)
def test_an_anonymous_remote_open_is_refused(controller: TestClient) -> None:
    answer = controller.post(
        "/api/v1/ext/lockers/remote-open",
        json={"bank_id": "locker-bank-01", "number": 1, "admin": "intruder", "reason": "just because"},
    )
    assert answer.status_code == 401, answer.text
