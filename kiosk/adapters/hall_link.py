"""The kiosk in the hall: a device on the MQTT contract (presence, heartbeat, health issues for its
broken parts) and a client of the hall controller's HTTP extensions (queue tickets, locker pickups)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from devices.protocol.device import ProtocolDevice
from devices.protocol.payloads import HealthIssue, Severity
from hall.http_errors import body_of, error_code
from kiosk.flow.model import Device, LockerPickup, Service, Ticket
from kiosk.ports import RejectedError, ServiceUnavailableError

log = logging.getLogger(__name__)

ISSUE_CODES = {
    Device.CARD_READER: "card-reader-fault",
    Device.SCANNER: "scanner-fault",
    Device.CAMERA: "camera-fault",
    Device.PRINTER: "printer-fault",
}


# The controller's refusal codes (queue: hall_controller/queue/book.py; lockers: lockers/routes.py).
REFUSALS = {
    "hoarding": "ticket_already_held",  # holds one for this service, or today's most per person
    "not_issuing": "ticket_outside_hours",
    "cap_reached": "ticket_cap_reached",
    "OPEN_NOT_DETECTED": "locker_jammed",
    # lockers/service.py LockerError codes
    "wrong_code": "locker_wrong_code",
    "wrong_qr": "locker_wrong_qr",
    "already_collected": "locker_already_collected",
    "code_expired": "locker_code_expired",
    "nothing_for_id_card": "nothing_to_pick_up",
    "pickup_in_progress": "locker_unavailable",
}
PICKUP_METHODS = ("id_card", "code", "qr")


class ControllerLink:
    def __init__(
        self,
        device: ProtocolDevice,
        controller_url: str,
        *,
        ticket_service: str,
        locker_bank: str,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        credentials: Callable[[], str] | None = None,
    ) -> None:
        """`credentials` gives the kiosk's device token (from the case service): the controller opens a
        compartment for an ID number, or gives a priority ticket, only when a kiosk or a clerk vouches for
        having read the card."""
        self._device = device
        self._http = httpx.Client(
            base_url=controller_url.rstrip("/") + "/api/v1/ext", timeout=timeout, transport=transport
        )
        self._ticket_service = ticket_service
        self._locker_bank = locker_bank
        self._credentials = credentials

    @property
    def device(self) -> ProtocolDevice:
        return self._device

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.post(path, json=body, headers=headers)
        except httpx.TransportError as err:
            raise ServiceUnavailableError(f"hall controller: {type(err).__name__}") from err
        if response.status_code >= 500:
            raise ServiceUnavailableError(f"hall controller: HTTP {response.status_code}")
        if response.status_code >= 400:
            reason = self._reason(path, response)
            params: tuple[tuple[str, str], ...] = ()
            if reason == "locker_locked_out" and (minutes := self._minutes_locked(response)):
                reason, params = "locker_locked_out_for", (("minutes", str(minutes)),)
            raise RejectedError(reason, f"{path}: HTTP {response.status_code}", params)
        answer: dict[str, Any] = response.json()
        return answer

    @staticmethod
    def _reason(path: str, response: httpx.Response) -> str:
        """The message key for a refusal, chosen by the controller's error code."""
        code = error_code(body_of(response))
        if code in REFUSALS:
            return REFUSALS[code]
        if path.startswith("/lockers/pickups"):
            if response.status_code == 429:
                return "locker_locked_out"
            if response.status_code == 400:  # "nothing to collect here for this ID card"
                return "nothing_to_pick_up"
            if response.status_code == 409:
                return "locker_unavailable"
        return "service_error"

    @staticmethod
    def _minutes_locked(response: httpx.Response) -> int:
        """Whole minutes (rounded up) of a lock-out, from `Retry-After`; 0 when not given."""
        try:
            seconds = int(response.headers.get("Retry-After", "0"))
        except ValueError:
            return 0
        return max(1, -(-seconds // 60)) if seconds > 0 else 0

    def take_ticket(self, service: Service, id_number: str, priority: str = "ordinary") -> Ticket:
        """`id_number` as the card reader read it; `priority` (green_channel, elderly...) is granted on
        the kiosk's token, which says the card was read here."""
        body = {
            "service": self._ticket_service,
            "source": "kiosk",
            "priority": priority,
            "id_number": id_number,
            "print_slip": False,
        }
        # The kiosk's token also makes the per-source ticket limit the kiosk's, not an anonymous
        # address's. An ordinary ticket needs no token: with the case service away (no token to be had)
        # the kiosk still gives tickets.
        try:
            token = self._token()
        except (ServiceUnavailableError, RejectedError) as err:
            if priority != "ordinary":
                raise
            log.warning("ticket without the kiosk's token: %s", err)
            token = ""
        answer = self._post("/queue/tickets", body, token)
        return Ticket(
            str(answer["number"]),
            int(answer.get("ahead", 0)),
            int(answer.get("estimate_minutes", 0)),
            str(answer.get("priority", priority)),
        )

    def open_locker(self, value: str, method: str = "id_card") -> LockerPickup:
        """An ID number needs the kiosk's token (it vouches for having read the card); a code or QR is
        sent with it too when there is one, so wrong attempts count against this kiosk, not an address."""
        if method not in PICKUP_METHODS:
            raise ValueError(f"unknown pickup method {method!r}")
        body = {"bank_id": self._locker_bank, "method": method, "value": value}
        try:
            token = self._token()
        except (ServiceUnavailableError, RejectedError):
            if method == "id_card":
                raise
            token = ""
        answer = self._post("/lockers/pickups", body, token)
        return LockerPickup(str(answer["bank_id"]), str(answer["number"]))

    def _token(self) -> str:
        return self._credentials() if self._credentials is not None else ""

    def report_fault(self, device: Device, reason: str) -> None:
        issue = HealthIssue(code=ISSUE_CODES[device], severity=Severity.WARNING, message=reason[:200])
        self._device.update_state(raise_issues=[issue])

    def report_recovered(self, device: Device) -> None:
        self._device.update_state(clear_issues=[ISSUE_CODES[device]])
