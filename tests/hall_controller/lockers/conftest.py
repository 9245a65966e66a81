"""An in-process locker hall: the locker service over a simulated bank on a real pty serial line."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devices.lockboard.bank import LockerBank
from firmware_sim.lockers.rig import LockerRig, start_rig
from hall.privacy import PiiCipher
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.notify import FileSmsProvider, Outbox
from hall_controller.lockers.ports import CaseClient, Doors, InMemoryCaseClient, OpenOutcome, ReleasableCase
from hall_controller.lockers.repository import LockerRepository
from hall_controller.lockers.service import LockerService

BANK = "locker-bank-01"
KEY = b"test-secret-key-0123456789abcdef"


class BankDoors:
    """Doors over an in-process bank (the MQTT gateway does the same over the broker)."""

    def __init__(self, banks: dict[str, LockerBank]) -> None:
        self.banks = banks

    def open(self, bank_id: str, number: int) -> OpenOutcome:
        return OpenOutcome(self.banks[bank_id].open(number).value)


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class LockerHall:
    rig: LockerRig
    service: LockerService
    repository: LockerRepository
    cases: InMemoryCaseClient
    outbox: Outbox
    sms_file: Path
    clock: Clock

    def pump(self, until: str | None = None, timeout: float = 10.0) -> list[str]:
        """Feeds the bank's door events to the service, as the controller extension does."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            for event in self.rig.bank.poll():
                seen.append(event.kind.value)
                if event.number is not None:
                    self.service.on_door_event(BANK, event.kind.value, event.number, event.occupied)
            if until is None or until in seen:
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"no {until} within {timeout}s; saw {seen}")
            time.sleep(0.01)

    def add_case(
        self, case_id: str, phone: str = "13812345678", id_number: str = "110101199003071234"
    ) -> None:
        self.cases.add(ReleasableCase(case_id, "营业执照", phone, id_number))

    def deposit(self, case_id: str, size: Size = Size.S) -> int:
        compartment = self.service.start_deposit(case_id, size, clerk="clerk-1")
        self.rig.person_puts_item_and_closes(compartment.number)
        self.pump(until="closed")
        return compartment.number

    def compartment_state(self, number: int) -> str:
        compartment = self.repository.compartment(f"{BANK}/{number:02d}")
        assert compartment is not None
        return compartment.state


@pytest.fixture
def hall_factory(tmp_path: Path) -> Iterator[object]:
    made: list[LockerHall] = []

    def make(
        database_url: str | None = None,
        left_open_seconds: float = 120.0,
        cases: CaseClient | None = None,
        doors: Callable[[LockerRig], Doors] | None = None,
    ) -> LockerHall:
        rig = start_rig(pulse_seconds=0.05, open_timeout=1.0, left_open_seconds=left_open_seconds)
        repository = LockerRepository(database_url or f"sqlite:///{tmp_path / f'lockers-{len(made)}.db'}")
        repository.create_schema()
        repository.add_compartments(BANK, [Size.parse(slot.size) for slot in rig.bank.slots.values()])
        cipher = PiiCipher({"k1": KEY}, "k1")
        sms_file = tmp_path / f"sms-{len(made)}.jsonl"
        outbox = Outbox(repository, cipher, FileSmsProvider(sms_file))
        memory = InMemoryCaseClient()
        clock = Clock()
        service = LockerService(
            repository,
            cases or memory,
            doors(rig) if doors is not None else BankDoors({BANK: rig.bank}),
            outbox,
            secret_key=KEY,
            cipher=cipher,
            clock=clock,
        )
        hall = LockerHall(rig, service, repository, memory, outbox, sms_file, clock)
        made.append(hall)
        return hall

    yield make
    for hall in made:
        hall.rig.stop()
        hall.repository.dispose()


@pytest.fixture
def hall(hall_factory: object) -> LockerHall:
    return hall_factory()  # type: ignore[operator, no-any-return]
