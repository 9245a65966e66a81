"""Issue 15 (queue): priority tickets need a person proven behind them, fake ID numbers are refused, and
nobody exhausts the day's tickets from one place.

A real controller (the queue extension as discovered) on Mosquitto, taken over HTTP as a stranger, a
kiosk (its device token, after reading the ID card) and a clerk would take tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.domain.states import Role
from devices.idcard.checkdigit import check_character
from hall.settings import Settings
from hall_controller.app import create_app
from hall_controller.queue.config import demo_config
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers

pytestmark = pytest.mark.integration

TICKETS = "/api/v1/ext/queue/tickets"
CARD_READ = "11010519491231002X"  # as the kiosk's reader gives it (a real check digit)


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return controller_settings(mosquitto.url, tmp_path, new_hall_id())


@pytest.fixture
def controller(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def kiosk_headers(settings: Settings, kiosk: str = "kiosk-01") -> dict[str, str]:
    signer = TokenSigner(settings.secret_key.get_secret_value())
    token, _ = signer.issue(Principal(PrincipalKind.DEVICE, kiosk, frozenset({Role.KIOSK})), 600)
    return {"Authorization": f"Bearer {token}"}


def issued(controller: TestClient) -> int:
    from hall_controller.queue.extension import QueueExtension

    [queue] = [e for e in controller.app.state.controller.extensions if isinstance(e, QueueExtension)]  # type: ignore[attr-defined]
    return queue.service.read(lambda book: len(book.tickets))


def valid_id(index: int) -> str:
    """A made-up number with a correct check digit: anyone can compute one."""
    first = f"11010119800101{index:03d}"
    return first + check_character(first)


@pytest.mark.parametrize("priority", ["green_channel", "military", "elderly"])
def test_a_stranger_gets_no_priority_ticket(controller: TestClient, priority: str) -> None:
    body = {"service": "business", "priority": priority, "id_number": CARD_READ}
    answer = controller.post(TICKETS, json=body)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "priority_needs_proof", answer.text
    forged = controller.post(TICKETS, json=body, headers={"Authorization": "Bearer v1.e30.AAAA"})
    assert forged.status_code == 401
    appointment = {
        "service": "business",
        "source": "appointment",
        "id_number": CARD_READ,
        "appointment_id": "x",
    }
    assert controller.post(TICKETS, json=appointment).status_code == 401
    assert issued(controller) == 0


def test_a_kiosk_that_read_the_card_and_a_clerk_give_priority(
    controller: TestClient, settings: Settings
) -> None:
    kiosk = kiosk_headers(settings)
    body = {"service": "business", "priority": "green_channel", "id_number": CARD_READ, "print_slip": False}
    taken = controller.post(TICKETS, json=body, headers=kiosk)
    assert taken.status_code == 201 and taken.json()["priority"] == "green_channel", taken.text
    # The kiosk's word alone, with no card read, is not proof.
    no_card = controller.post(TICKETS, json={"service": "social", "priority": "military"}, headers=kiosk)
    assert no_card.status_code == 403 and no_card.json()["error"]["code"] == "priority_needs_proof"
    # A clerk at the window vouches for a walk-in.
    clerk = staff_headers(settings, "clerk1")
    at_window = {"service": "social", "source": "window", "priority": "military", "print_slip": False}
    assert controller.post(TICKETS, json=at_window, headers=clerk).status_code == 201
    # A window ticket (no person bound) is a clerk's to take, not a stranger's nor a kiosk's.
    plain_window = {"service": "social", "source": "window"}
    assert controller.post(TICKETS, json=plain_window).status_code == 401
    assert controller.post(TICKETS, json=plain_window, headers=kiosk).status_code == 403
    assert issued(controller) == 2


@pytest.mark.parametrize("fake", ["000000000000000001", "110101199003071234", "11010119900307123X"])
def test_an_id_number_with_a_wrong_check_digit_is_refused(controller: TestClient, fake: str) -> None:
    answer = controller.post(TICKETS, json={"service": "business", "id_number": fake})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "bad_id_number", answer.text
    assert issued(controller) == 0


def test_one_address_cannot_take_the_days_tickets(controller: TestClient, settings: Settings) -> None:
    capacity = demo_config().service("permits").capacity  # type: ignore[union-attr]
    limit = demo_config().tickets_per_address
    assert capacity > limit
    statuses = [
        controller.post(TICKETS, json={"service": "permits", "id_number": valid_id(index)}).status_code
        for index in range(limit + 5)
    ]
    assert statuses == [201] * limit + [429] * 5, statuses
    refused = controller.post(TICKETS, json={"service": "permits", "id_number": valid_id(999)})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "too_many_tickets"
    # Phones from the same address count too.
    remote = controller.post(
        "/api/v1/ext/queue/remote-tickets", json={"service": "permits", "phone": "13900000001"}
    )
    assert remote.status_code == 429
    # The kiosk (its own allowance) and the clerks keep issuing.
    kiosk = controller.post(
        TICKETS,
        json={"service": "permits", "id_number": CARD_READ, "print_slip": False},
        headers=kiosk_headers(settings),
    )
    assert kiosk.status_code == 201, kiosk.text
    assert issued(controller) == limit + 1
