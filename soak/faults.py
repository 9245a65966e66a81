"""The soak's fault injector: crashes, a network cut, a printer out of paper; the checks after each.

One fault every `fault_every` seconds (±50 %), the kinds in turn. After each, the hall must settle:
every simulated device online in the controller's registry with no health issue left, within
SETTLE_SECONDS; after a network cut, the controller's outbox to the case service empty again within
CATCH_UP_SECONDS. Each fault is reported as one line with what was measured.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from devices.protocol.device import CommandFailedError, CommandResult
from devices.protocol.health import HealthCode
from devices.protocol.payloads import Command
from firmware_sim.lockers.physics import BoardFirmware
from firmware_sim.queue.devices import TicketPrinter
from soak.lockers import SoakLockers
from soak.services import HallServices, Service

if TYPE_CHECKING:
    from soak.day import Day, DayPlan

log = logging.getLogger(__name__)

SETTLE_SECONDS = 60.0  # stated: every device shows the right state again this long after a fault ends
CATCH_UP_SECONDS = 90.0  # stated: the hall's backlog to the case service is empty this long after a cut
PAPER_ROLL = 100_000  # slips on a fresh roll: the day never runs out by itself


class SoakPrinter(TicketPrinter):
    """The kiosks' ticket printer, counting the slips it had to refuse; the soak empties and refills it."""

    def __init__(self, hall: str, device_id: str, **kwargs: Any) -> None:
        super().__init__(hall, device_id, paper=PAPER_ROLL, **kwargs)
        self.refused = 0
        self.numbers: list[str] = []  # the ticket number on each slip printed

    def _print(self, command: Command) -> CommandResult:
        try:
            result = super()._print(command)
        except CommandFailedError:
            with self._lock:
                self.refused += 1
            raise
        with self._lock:
            self.numbers.append(str(command.args.get("number", "")))
        return result

    def run_out(self) -> None:
        with self._lock:
            self.paper = 0

    def refill(self) -> None:
        with self._lock:
            self.paper = PAPER_ROLL
        self.update_state(
            data={"paper": PAPER_ROLL}, clear_issues=[HealthCode.PAPER_OUT.value, HealthCode.PAPER_LOW.value]
        )


class Injector:
    def __init__(
        self,
        services: HallServices,
        *,
        plan: DayPlan,
        day: Day,
        printer: SoakPrinter,
        device_ids: list[str],
        rng: random.Random,
        lockers: SoakLockers | None = None,
        restart_database: Callable[[], None] | None = None,
    ) -> None:
        self.lockers = lockers
        self.restart_database = restart_database
        self.services = services
        self.plan = plan
        self.day = day
        self.printer = printer
        self.device_ids = device_ids
        self.rng = rng
        self.faults: list[str] = []
        self.unsettled = 0  # faults after which the hall did not settle in the stated time
        self._http = httpx.Client(timeout=10.0)

    def kinds(self) -> list[tuple[str, Callable[[], str]]]:
        crashes: list[tuple[str, Callable[[], str]]] = [
            (service.name, lambda service=service: self.crash(service))  # type: ignore[misc]
            for service in (self.services.broker, self.services.case_service, self.services.controller)
        ]
        # The printer and the boards first: kiosks and lockers are busiest early.
        kinds = [("printer", self.paper_out), *crashes, ("network cut", self.cut_the_link)]
        if self.lockers is not None:
            kinds.insert(1, ("locker board", self.board_power_loss))
        if self.restart_database is not None:
            kinds.append(("postgresql", self.database_restart))
        return kinds

    def run(self) -> None:
        if self.plan.fault_every <= 0:
            return
        kinds = self.kinds()
        turn = 0
        while not self.day.done.wait(self.plan.fault_every * self.rng.uniform(0.5, 1.5)):
            name, fault = kinds[turn % len(kinds)]
            turn += 1
            began = time.time()
            report = fault()
            # The broker or the controller gone: every device must have been heard from again since.
            mqtt_side = name in {self.services.broker.name, self.services.controller.name}
            settled = self.settle(began if mqtt_side else None)
            self.faults.append(f"{report}; {settled}")
            log.warning("soak fault: %s", self.faults[-1])
            if turn == len(kinds):
                self.day.round_done.set()

    def thread(self) -> threading.Thread:
        return threading.Thread(target=self.run, name="soak-faults", daemon=True)

    # -- the faults ----------------------------------------------------------------------------------
    def crash(self, service: Service) -> str:
        seconds = service.restart()
        return f"{service.name} crash ({seconds:.1f} s to answer)"

    def cut_the_link(self) -> str:
        """Blackholes the hall's link to the case service a while, heals it, times the catch-up: until
        the controller's outbox of ratings for the case service is empty again."""
        link = self.services.link
        link.cut()
        self.day.done.wait(self.rng.uniform(*self.plan.cut_seconds))
        lasted = link.heal()
        healed = time.monotonic()
        while time.monotonic() < healed + CATCH_UP_SECONDS:
            if self.day.outbox_pending() == 0:
                return f"network cut ({lasted:.1f} s; caught up {time.monotonic() - healed:.1f} s after)"
            time.sleep(0.5)
        self.unsettled += 1
        return f"network cut ({lasted:.1f} s; NOT caught up within {CATCH_UP_SECONDS:.0f} s)"

    def paper_out(self) -> str:
        """The ticket printer runs out while the kiosks print; the controller must show it, and show it
        cleared once refilled. Tickets are issued all the same (the slip is the only thing missing)."""
        refused_before = self.printer.refused
        self.printer.run_out()
        self.day.done.wait(self.rng.uniform(*self.plan.cut_seconds))
        # Out until a kiosk has actually tried to print (bounded: the day may be over).
        self.wait_for(lambda: self.printer.refused > refused_before or self.day.done.is_set(), 30.0)
        shown = self.wait_for(lambda: HealthCode.PAPER_OUT.value in self.issues(self.printer.device_id), 10.0)
        self.printer.refill()
        return (
            f"printer out of paper ({self.printer.refused - refused_before} slips refused; "
            f"controller {'showed' if shown else 'did NOT show'} paper-out)"
        )

    def board_power_loss(self) -> str:
        """A lock board loses power in the middle of opening a door (its relay pulsing, the door not yet
        sprung), stays dark a while and boots again. The open fails (deposit cancelled, pickup back to
        ready) and is retried; the controller must reconcile the board's doors when it answers again."""
        assert self.lockers is not None
        boards = self.lockers.boards
        springs = [board.spring_seconds for board in boards]
        for board in boards:
            board.spring_seconds = 0.25  # slow springs: time to strike between the pulse and the door

        def pulsing() -> BoardFirmware | None:
            return next((b for b in boards if any(door.pulse_started is not None for door in b.doors)), None)

        struck = self.wait_for(lambda: pulsing() is not None, 10.0, every=0.005)
        board = pulsing() or self.rng.choice(boards)
        board.power_off()
        for each, spring in zip(boards, springs, strict=True):
            each.spring_seconds = spring
        dark = self.rng.uniform(*self.plan.cut_seconds)
        self.day.done.wait(dark)
        board.power_on()
        back = time.monotonic()
        reconciled = self.wait_for(lambda: not self.compartments_in("unknown"), SETTLE_SECONDS)
        if not reconciled:
            self.unsettled += 1
        return (
            f"locker board {board.address} power loss ({'mid-open' if struck else 'no open in 10 s'}, "
            f"{dark:.1f} s dark; doors "
            + (f"reconciled {time.monotonic() - back:.1f} s after)" if reconciled else "NOT reconciled)")
        )

    def database_restart(self) -> str:
        """The case service's PostgreSQL restarted (fast shutdown: open connections are cut)."""
        assert self.restart_database is not None
        started = time.monotonic()
        self.restart_database()
        return f"postgresql restart ({time.monotonic() - started:.1f} s)"

    def compartments_in(self, state: str) -> list[int]:
        try:
            answer = self._http.get(f"{self.services.controller_url}/api/v1/ext/lockers/compartments")
        except httpx.HTTPError:
            return [-1]
        if answer.status_code != 200:
            return [-1]
        return [c["number"] for c in answer.json() if c["state"] == state]

    # -- the checks after each -----------------------------------------------------------------------
    def settle(self, heard_since: float | None) -> str:
        started = time.monotonic()
        if self.wait_for(lambda: self.devices_right(heard_since), SETTLE_SECONDS):
            return f"devices right {time.monotonic() - started:.1f} s after"
        self.unsettled += 1
        return f"devices NOT right within {SETTLE_SECONDS:.0f} s"

    def devices_right(self, heard_since: float | None = None) -> bool:
        """Every soak device online in the controller's registry, with no health issue (and heard from
        since `heard_since`, epoch seconds, when given)."""
        try:
            answer = self._http.get(f"{self.services.controller_url}/api/v1/devices")
        except httpx.HTTPError:
            return False
        if answer.status_code != 200:
            return False
        seen = {device["device_id"]: device for device in answer.json()}
        return all(
            device_id in seen
            and seen[device_id]["availability"] == "online"
            and (heard_since is None or (seen[device_id]["last_seen"] or 0) >= heard_since)
            and not [
                issue for issue in seen[device_id]["issues"] if issue["code"] != HealthCode.PAPER_LOW.value
            ]
            for device_id in self.device_ids
        )

    def issues(self, device_id: str) -> list[str]:
        try:
            answer = self._http.get(f"{self.services.controller_url}/api/v1/devices/{device_id}")
        except httpx.HTTPError:
            return []
        return (
            [issue["code"] for issue in answer.json().get("issues", [])] if answer.status_code == 200 else []
        )

    def wait_for(self, condition: Callable[[], bool], timeout: float, every: float = 0.25) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(every)
        return False
