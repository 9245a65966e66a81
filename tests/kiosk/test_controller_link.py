"""Tickets and locker pickups from the kiosk through a running hall controller (`hall controller` on
Mosquitto), the kiosk vouching for the ID card with the device token the running case service gave it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devices.protocol.device import ProtocolDevice
from kiosk.adapters.hall_link import ControllerLink
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import Service
from kiosk.ports import RejectedError
from tests.fixtures.hall import HallProcess
from tests.fixtures.mqtt import Broker
from tests.kiosk.conftest import kiosk_secret

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_ticket_and_empty_locker(
    mosquitto: Broker, start_hall_process: Callable[..., HallProcess], case_url: str
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url)
    assert controller.url is not None
    device = ProtocolDevice("hall-01", "kiosk-01", kind="kiosk")
    cases = HttpCaseService(case_url, device_id="kiosk-01", secret=kiosk_secret(case_url, "kiosk-01"))
    anonymous = ControllerLink(
        device, controller.url, ticket_service="business", locker_bank="locker-bank-01"
    )
    link = ControllerLink(
        device,
        controller.url,
        ticket_service="business",
        locker_bank="locker-bank-01",
        credentials=cases.device_token,
    )
    try:
        # Without the kiosk's word that it read the card, an ID number opens nothing.
        with pytest.raises(RejectedError) as unvouched:
            anonymous.open_locker("11010519491231002X")
        assert unvouched.value.reason == "service_error" and "401" in str(unvouched.value)
        first = link.take_ticket(Service.TICKET, "11010519491231002X")
        second = link.take_ticket(Service.TICKET, "110101199003072316")  # a real check digit
        assert first.number != second.number and second.waiting >= first.waiting
        # A priority ticket after the card read: the kiosk's token is the proof; without it, refused.
        priority = link.take_ticket(Service.TICKET, "110105194912310038", priority="elderly")
        assert priority.number not in (first.number, second.number)
        with pytest.raises(RejectedError) as unproven:
            anonymous.take_ticket(Service.TICKET, "110101199003073116", priority="green_channel")
        assert "401" in str(unproven.value)
        with pytest.raises(RejectedError) as refused:
            link.open_locker("11010519491231002X")
        assert refused.value.reason == "nothing_to_pick_up"
    finally:
        anonymous.close()
        link.close()
        cases.close()
