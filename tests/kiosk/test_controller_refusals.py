"""Each refusal of the hall controller becomes its own message key, chosen by the error's code, in the one
error shape (`{"error": {"code", "message", "details"}}`, read by hall/http_errors.error_code); older shapes
carry no code any more, only their status. Beneath the touch journey
of tests/kiosk/test_touch.py (a second ticket, refused by the running controller)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devices.protocol.device import ProtocolDevice
from kiosk.adapters.hall_link import ControllerLink
from kiosk.flow.model import Service
from kiosk.messages import MESSAGES
from kiosk.ports import RejectedError


def _link(status: int, body: Any) -> ControllerLink:
    transport = httpx.MockTransport(lambda _request: httpx.Response(status, json=body))
    device = ProtocolDevice("hall-01", "kiosk-01", kind="kiosk")
    return ControllerLink(
        device, "http://controller", ticket_service="business", locker_bank="bank", transport=transport
    )


def _one(code: str, message: str = "refused") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": None}}


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (409, _one("hoarding"), "ticket_already_held"),
        (409, {"error": "hoarding", "message": "already holds a ticket"}, "service_error"),  # old shape
        (409, _one("not_issuing"), "ticket_outside_hours"),
        (409, _one("cap_reached"), "ticket_cap_reached"),
        (409, _one("unknown_service"), "service_error"),
    ],
)
def test_ticket_refusals(status: int, body: Any, reason: str) -> None:
    with pytest.raises(RejectedError) as refused:
        _link(status, body).take_ticket(Service.TICKET, "11010519491231002X")
    assert refused.value.reason == reason
    assert reason in MESSAGES


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (409, _one("OPEN_NOT_DETECTED"), "locker_jammed"),
        (409, {"detail": {"error": "OPEN_NOT_DETECTED"}}, "locker_unavailable"),  # old shape: by status
        (429, _one("too_many_requests", "too many wrong attempts"), "locker_locked_out"),
        (429, {"detail": "too many wrong attempts"}, "locker_locked_out"),
        (400, _one("bad_request", "此身份证在本柜没有待取件"), "nothing_to_pick_up"),
        (400, {"detail": "此身份证在本柜没有待取件"}, "nothing_to_pick_up"),
        (409, _one("conflict", "compartment holds no result"), "locker_unavailable"),
        (401, _one("unauthorized"), "service_error"),
    ],
)
def test_locker_refusals(status: int, body: Any, reason: str) -> None:
    with pytest.raises(RejectedError) as refused:
        _link(status, body).open_locker("11010519491231002X")
    assert refused.value.reason == reason
    assert reason in MESSAGES


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("wrong_code", "locker_wrong_code"),
        ("wrong_qr", "locker_wrong_qr"),
        ("already_collected", "locker_already_collected"),
        ("code_expired", "locker_code_expired"),
        ("nothing_for_id_card", "nothing_to_pick_up"),
        ("pickup_in_progress", "locker_unavailable"),
    ],
)
def test_each_pickup_refusal_has_its_own_words(code: str, reason: str) -> None:
    """The controller's refusal codes (hall_controller/lockers/service.py LockerError.code)."""
    with pytest.raises(RejectedError) as refused:
        _link(400, _one(code, "取件码不正确")).open_locker("12345678", "code")
    assert refused.value.reason == reason
    assert all(reason in MESSAGES and MESSAGES[reason][n] for n in (0, 1))


def test_a_lock_out_says_for_how_many_minutes() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "locked_out", "message": "too many", "details": {"retry_after": 841}}}
        assert request.headers.get("Authorization") is None  # no credentials given: a code needs none
        return httpx.Response(429, json=body, headers={"Retry-After": "841"})

    device = ProtocolDevice("hall-01", "kiosk-01", kind="kiosk")
    link = ControllerLink(
        device,
        "http://controller",
        ticket_service="business",
        locker_bank="bank",
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(RejectedError) as refused:
        link.open_locker("12345678", "code")
    assert refused.value.reason == "locker_locked_out_for"
    assert refused.value.params == (("minutes", "15"),)
    assert "15分钟" in MESSAGES["locker_locked_out_for"][0].format(minutes="15")


def test_an_unknown_pickup_method_is_not_sent() -> None:
    with pytest.raises(ValueError, match="unknown pickup method"):
        _link(200, {}).open_locker("x", "fingerprint")
