"""The controller answers every failure in the case service's one shape: {"error": {code, message, details}}.

Against the real controller app (its queue and lockers extensions) on a real Mosquitto: a bad body, a refused
queue command, a refused locker action, an unknown device, a missing token and a missing role.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hall.http_errors import ErrorBody, body_of, error_code, error_message
from hall.settings import Settings
from hall_controller.app import create_app
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers

pytestmark = pytest.mark.integration

QUEUE = "/api/v1/ext/queue"
LOCKERS = "/api/v1/ext/lockers"


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return controller_settings(mosquitto.url, tmp_path, new_hall_id())


@pytest.fixture
def controller(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def error_of(answer: Any, status: int) -> ErrorBody:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    error = ErrorBody.model_validate(body)
    assert error.error.message
    # What every client reads of it (staff pages, kiosk, soak): the same code and message.
    assert (error_code(body_of(answer)), error_message(body_of(answer))) == (
        error.error.code,
        error.error.message,
    )
    return error


def test_every_refusal_has_the_one_shape(controller: TestClient, settings: Settings) -> None:
    clerk = staff_headers(settings, "clerk1")
    bad_body = controller.post(f"{QUEUE}/tickets", json={"service": 7, "surprise": True})
    assert error_of(bad_body, 422).error.code == "validation_error"

    not_utf8 = controller.post(
        f"{QUEUE}/tickets", content=b'{"service": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert error_of(not_utf8, 400).error.code == "bad_request"

    unknown_service = controller.post(
        f"{QUEUE}/tickets", json={"service": "nope", "source": "window"}, headers=clerk
    )
    refused = error_of(unknown_service, 404).error
    assert refused.code == "unknown_service" and "nope" in refused.message

    not_staffed = controller.post(f"{QUEUE}/windows/1/actions", json={"key": "next"}, headers=clerk)
    assert error_of(not_staffed, 409).error.code == "window_closed"

    locker_body = controller.post(f"{LOCKERS}/deposits", content=b"{not json", headers=clerk)
    locker = error_of(locker_body, 422).error
    assert locker.code == "validation_error" and locker.details

    unknown_device = error_of(controller.get("/api/v1/devices/nobody"), 404).error
    assert unknown_device.code == "not_found" and "nobody" in unknown_device.message

    no_token = controller.post(f"{QUEUE}/tickets/A001/cancel")
    assert error_of(no_token, 401).error.code == "unauthorized"
    assert no_token.headers["WWW-Authenticate"] == "Bearer"

    not_manager = controller.get(f"{QUEUE}/outbox", headers=clerk)
    assert error_of(not_manager, 403).error.code == "forbidden"


def test_a_clerk_at_another_window_is_refused_in_the_same_shape(
    controller: TestClient, settings: Settings
) -> None:
    action = f"{QUEUE}/windows/1/actions"
    signed_in = controller.post(action, json={"key": "sign-in"}, headers=staff_headers(settings))
    assert signed_in.status_code == 200
    taken = controller.post(action, json={"key": "next"}, headers=staff_headers(settings, "clerk2"))
    error = error_of(taken, 403).error
    assert error.code == "not_your_window" and "clerk1" in error.message
