"""A simulated hall (HALL_KIOSK__HALL_LINK=sim): queue tickets and locker pickups without a controller."""

from __future__ import annotations

import itertools

from kiosk.flow.model import Device, LockerPickup, Service, Ticket
from kiosk.ports import RejectedError


class SimHallLink:
    def __init__(self, *, pickups: dict[str, LockerPickup] | None = None) -> None:
        self._numbers = itertools.count(1)
        self._pickups = dict(pickups or {})
        self.faults: list[tuple[Device, str]] = []
        self.recovered: list[Device] = []
        self.tickets: list[Ticket] = []

    def add_pickup(self, id_number: str, pickup: LockerPickup) -> None:
        self._pickups[id_number] = pickup

    def take_ticket(self, service: Service, id_number: str, priority: str = "ordinary") -> Ticket:
        number = next(self._numbers)
        waiting, minutes = max(0, number - 1) % 7, (number % 7) * 4
        ticket = Ticket(f"A{number:03d}", waiting, minutes, priority)
        self.tickets.append(ticket)
        return ticket

    def open_locker(self, value: str, method: str = "id_card") -> LockerPickup:
        pickup = self._pickups.pop(value, None) if method == "id_card" else None
        if pickup is None and method != "id_card":
            raise RejectedError("locker_wrong_code" if method == "code" else "locker_wrong_qr")
        if pickup is None:
            raise RejectedError("nothing_to_pick_up")
        return pickup

    def report_fault(self, device: Device, reason: str) -> None:
        self.faults.append((device, reason))

    def report_recovered(self, device: Device) -> None:
        self.recovered.append(device)
