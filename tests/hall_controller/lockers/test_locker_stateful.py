"""Random interleavings of clerks, applicants and faults (Hypothesis state machine) over the simulated
board firmware: whatever happens, no result is lost and every case's state matches its compartment."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from devices.lockboard.bank import LockerBank, Slot
from firmware_sim.lockers.backend import SimulatedLockBoard
from firmware_sim.lockers.physics import BoardFirmware
from hall.privacy import PiiCipher
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.notify import FileSmsProvider, Outbox
from hall_controller.lockers.ports import InMemoryCaseClient, OpenOutcome, ReleasableCase
from hall_controller.lockers.repository import (
    CaseAlreadyDepositedError,
    LockerRepository,
    NoCompartmentError,
)
from hall_controller.lockers.service import LockerError, LockerService

BANK = "bank-x"
KEY = b"stateful-test-key-0123456789abcd"
SIZES = ["S", "M", "M", "L"]
NUMBERS = st.integers(1, len(SIZES))


class Doors:
    def __init__(self, bank: LockerBank) -> None:
        self.bank = bank

    def open(self, bank_id: str, number: int) -> OpenOutcome:
        return OpenOutcome(self.bank.open(number).value)


class LockerHallMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="lockers-stateful-"))
        self.firmware = BoardFirmware(1, pulse_seconds=0.002, spring_seconds=0.0)
        slots = [Slot(n, 1, n - 1, size) for n, size in enumerate(SIZES, start=1)]
        self.bank = LockerBank({1: SimulatedLockBoard(self.firmware)}, slots, open_timeout=0.02)
        self.bank.poll()
        self.repository = LockerRepository(f"sqlite:///{self.folder / 'l.db'}")
        self.repository.create_schema()
        self.repository.add_compartments(BANK, [Size.parse(size) for size in SIZES])
        self.cases = InMemoryCaseClient()
        cipher = PiiCipher({"k": KEY}, "k")
        outbox = Outbox(self.repository, cipher, FileSmsProvider(self.folder / "sms.jsonl"))
        self.service = LockerService(
            self.repository, self.cases, Doors(self.bank), outbox, secret_key=KEY, cipher=cipher
        )
        self.codes: dict[str, str] = {}  # case → its current pickup code
        self.inside: dict[int, str] = {}  # compartment → the case whose result is physically in it
        self.next_case = 0

    def teardown(self) -> None:
        self.repository.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def pump(self) -> None:
        for event in self.bank.poll():
            if event.number is not None:
                self.service.on_door_event(BANK, event.kind.value, event.number, event.occupied)
        notice = self.service.last_notice
        if notice is not None:
            deposit = self.repository.deposit(notice.deposit_id)
            if deposit is not None:
                self.codes[deposit.case_id] = notice.code

    def depositing_case(self, number: int) -> str | None:
        compartment = self.repository.compartment(f"{BANK}/{number:02d}")
        if compartment is None or compartment.deposit_id is None:
            return None
        deposit = self.repository.deposit(compartment.deposit_id)
        return deposit.case_id if deposit is not None and deposit.state == "depositing" else None

    @rule()
    def a_case_is_ready_for_release(self) -> None:
        self.next_case += 1
        self.cases.add(ReleasableCase(f"C{self.next_case}", "t", "13812345678", "110101199003071234"))

    @rule(size=st.sampled_from(["S", "M", "L"]), pick=st.integers(0, 50))
    def a_clerk_starts_a_deposit(self, size: str, pick: int) -> None:
        waiting = sorted(c for c, s in self.cases.states.items() if s == "ready_for_release")
        if not waiting:
            return
        with contextlib.suppress(LockerError, NoCompartmentError, CaseAlreadyDepositedError):
            self.service.start_deposit(waiting[pick % len(waiting)], Size.parse(size), clerk="clerk")
        self.pump()

    @rule(number=NUMBERS)
    def the_clerk_puts_the_result_in_and_closes(self, number: int) -> None:
        case_id = self.depositing_case(number)
        if case_id is None or not self.firmware.truly_open(number - 1) or number in self.inside:
            return
        self.firmware.put_item(number - 1)
        self.inside[number] = case_id
        self.firmware.close_door_when_possible(number - 1)
        self.pump()

    @rule(number=NUMBERS)
    def someone_closes_the_door(self, number: int) -> None:
        self.firmware.close_door_when_possible(number - 1)
        self.pump()

    @rule(pick=st.integers(0, 50), right=st.booleans())
    def an_applicant_types_a_code(self, pick: int, right: bool) -> None:
        if not self.codes:
            return
        case_id = sorted(self.codes)[pick % len(self.codes)]
        code = self.codes[case_id] if right else f"{(int(self.codes[case_id]) + 1) % 10**8:08d}"
        with contextlib.suppress(LockerError):
            self.service.pickup_by_code(BANK, code)
        self.pump()

    @rule(number=NUMBERS)
    def the_applicant_takes_the_result_and_closes(self, number: int) -> None:
        if not self.firmware.truly_open(number - 1) or number not in self.inside:
            return
        self.firmware.take_item(number - 1)
        taken = self.inside.pop(number)
        self.firmware.close_door_when_possible(number - 1)
        self.pump()
        state = self.cases.states[taken]
        assert state in {"delivered", "ready_for_pickup"}, (taken, state)

    @rule(number=NUMBERS, jammed=st.booleans())
    def a_door_jams_or_frees(self, number: int, jammed: bool) -> None:
        self.firmware.jam(number - 1, jammed)

    @invariant()
    def every_case_matches_its_compartment(self) -> None:
        compartments = {c.number: c for c in self.repository.compartments(BANK)}
        latest = {deposit.case_id: deposit for deposit in self.repository.deposits_where()}  # by creation
        for deposit in latest.values():
            case_state = self.cases.states[deposit.case_id]
            number = int(deposit.compartment_id.rsplit("/", 1)[1])
            if deposit.state == "ready":
                assert case_state == "ready_for_pickup"
                assert compartments[number].state == "occupied"
                assert self.inside.get(number) == deposit.case_id, "the result is not where the case says"
            elif deposit.state == "delivered":
                assert case_state == "delivered"
                assert deposit.case_id not in self.inside.values()
            elif deposit.state == "cancelled":
                assert case_state == "ready_for_release"
        # No result is lost: each one physically in a compartment belongs to a case waiting for it there.
        for number, case_id in self.inside.items():
            assert self.cases.states[case_id] == "ready_for_pickup" or self.depositing_case(number) == case_id


TestLockerHall = LockerHallMachine.TestCase
TestLockerHall.settings = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
