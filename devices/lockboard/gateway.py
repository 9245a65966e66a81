"""The locker gateway: one locker bank (its lock boards on one RS485 line) as one MQTT device.

It polls the boards, publishes door events and the bank's state, raises health issues (door forced,
left open, board offline), and executes ``cmd/unlock``: success only when the door was *seen* open.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

from devices.lockboard.bank import BankEvent, EventKind, LockerBank, OpenResult, Slot
from devices.lockboard.frames import LOCKS_PER_BOARD
from devices.protocol import lockers
from devices.protocol.device import CommandResult, ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import Command, CompletionCode, HealthIssue
from hall.enrolment import broker_login
from hall.net import require_broker
from hall.privacy import scrub_text
from hall.settings import DEV_LOCKER_ID_KEY, Settings

log = logging.getLogger(__name__)

_COMPLETION = {
    OpenResult.OPENED: CompletionCode.SUCCESS,
    OpenResult.OPEN_NOT_DETECTED: CompletionCode.HARDWARE_ERROR,
    OpenResult.UNREACHABLE: CompletionCode.DEVICE_NOT_READY,
}
_DOOR_CHANGES = {
    EventKind.OPENED: lockers.DoorChange.OPENED,
    EventKind.CLOSED: lockers.DoorChange.CLOSED,
    EventKind.UNSOLICITED_OPEN: lockers.DoorChange.UNSOLICITED_OPEN,
    EventKind.LEFT_OPEN: lockers.DoorChange.DOOR_LEFT_OPEN,
}


class LockerGateway:
    def __init__(
        self,
        hall: str,
        device_id: str,
        bank: LockerBank,
        *,
        poll_seconds: float = 0.05,
        heartbeat_seconds: float = 10.0,
        model: str = "CU16-RS485",
        id_key: bytes | None = None,
    ) -> None:
        self.bank = bank
        # Hashes ID numbers read at the bank before they leave it (development key unless given).
        self.id_key = id_key or lockers.id_card_key(DEV_LOCKER_ID_KEY, hall)
        self.poll_seconds = poll_seconds
        sizes = ",".join(bank.slots[number].size for number in sorted(bank.slots))
        self.device = ProtocolDevice(
            hall,
            device_id,
            kind=lockers.KIND,
            model=model,
            firmware="lockboard-gw-1",
            capabilities=["unlock", "door-sensor", "occupancy-sensor", "keypad"],
            events=[lockers.DOOR_EVENT, lockers.BOARD_EVENT, lockers.PICKUP_ENTRY_EVENT],
            heartbeat_seconds=heartbeat_seconds,
            attributes={"sizes": sizes, "compartments": len(bank.slots)},
        )
        self.device.register_command(lockers.UNLOCK, self._unlock)
        self.device.register_command(lockers.SHOW, self._show)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._message = ""

    def start(
        self, url: str, username: str | None = None, password: str | None = None, ca_file: Path | None = None
    ) -> None:
        self._publish_state()
        self.device.start(url, username, password, ca_file)
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name=f"gw-{self.device.device_id}", daemon=True)
        self._thread.start()

    def stop(self, *, clean: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        self.device.stop(clean=clean)

    @property
    def message(self) -> str:
        """What the bank's own screen shows (the controller's last `cmd/show`)."""
        return self._message

    # -- commands ----------------------------------------------------------------------------------------
    def _unlock(self, command: Command) -> CommandResult:
        args = lockers.UnlockArgs.model_validate(command.args)
        if args.compartment not in self.bank.slots:
            raise ValueError(f"no compartment {args.compartment} in this bank")
        outcome = self.bank.open(args.compartment)
        result = lockers.UnlockResult(
            compartment=args.compartment, outcome=lockers.OpenOutcome(outcome.value)
        )
        if outcome is OpenResult.OPEN_NOT_DETECTED:
            self.device.update_state(
                raise_issues=[issue(HealthCode.DOOR_FAULT, f"第 {args.compartment} 格未检测到开门")]
            )
        elif outcome is OpenResult.OPENED:
            self.device.update_state(clear_issues=[HealthCode.DOOR_FAULT.value])
        return CommandResult(
            _COMPLETION[outcome], result=result.model_dump(mode="json"), message=outcome.value
        )

    def _show(self, command: Command) -> CommandResult:
        args = lockers.ShowArgs.model_validate(command.args)
        self._message = args.text
        log.info("%s shows: %s", self.device.device_id, scrub_text(args.text))
        self._publish_state()
        return CommandResult()

    def enter(self, method: lockers.PickupMethod, value: str) -> None:
        """Someone typed a code, scanned a QR or laid an ID card on the bank's reader. An ID number is
        hashed here and only its keyed hash is published (nor is it ever logged)."""
        if method is lockers.PickupMethod.ID_CARD:
            method, value = lockers.PickupMethod.ID_CARD_HASH, lockers.id_card_hash(self.id_key, value)
        entry = lockers.PickupEntry(method=method, value=value)
        self.device.publish_event(lockers.PICKUP_ENTRY_EVENT, entry.model_dump(mode="json"))

    # -- watching ----------------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                events = self.bank.poll()
            except Exception:  # the watcher must outlive any one bad poll
                log.exception("%s: poll failed", self.device.device_id)
                continue
            if events:
                self._report(events)

    def _report(self, events: list[BankEvent]) -> None:
        raise_issues: list[HealthIssue] = []
        clear_issues: list[str] = []
        seen = time.time()
        for event in events:
            if event.kind in _DOOR_CHANGES and event.number is not None:
                data = lockers.DoorEventData(
                    compartment=event.number,
                    change=_DOOR_CHANGES[event.kind],
                    occupied=bool(event.occupied),
                    seen=seen,
                )
                self.device.publish_event(lockers.DOOR_EVENT, data.model_dump(mode="json"))
            elif event.board is not None:
                online = event.kind is EventKind.BOARD_ONLINE
                board = lockers.BoardEventData(board=event.board, online=online)
                self.device.publish_event(lockers.BOARD_EVENT, board.model_dump(mode="json"))
            if event.kind is EventKind.UNSOLICITED_OPEN:
                raise_issues.append(issue(HealthCode.DOOR_FORCED, f"第 {event.number} 格无指令开门"))
            elif event.kind is EventKind.LEFT_OPEN:
                raise_issues.append(issue(HealthCode.DOOR_LEFT_OPEN, f"第 {event.number} 格柜门未关"))
            elif event.kind is EventKind.BOARD_OFFLINE:
                raise_issues.append(issue(HealthCode.HARDWARE_ERROR, f"锁控板 {event.board} 无应答"))
            elif event.kind is EventKind.BOARD_ONLINE:
                clear_issues.append(HealthCode.HARDWARE_ERROR.value)
        if not any(is_open for is_open, _occupied in self.bank.snapshot().values()):
            clear_issues += [HealthCode.DOOR_LEFT_OPEN.value, HealthCode.DOOR_FORCED.value]
        self._publish_state(raise_issues, clear_issues)

    def _publish_state(
        self, raise_issues: list[HealthIssue] | None = None, clear_issues: list[str] | None = None
    ) -> None:
        snapshot = self.bank.snapshot()
        views = [
            lockers.CompartmentView(
                number=number,
                size=slot.size,
                open=snapshot.get(number, (False, False))[0],
                occupied=snapshot.get(number, (False, False))[1],
                reachable=number in snapshot and self.bank.board_online(slot.board),
            )
            for number, slot in sorted(self.bank.slots.items())
        ]
        offline = [address for address in sorted(self.bank.boards) if not self.bank.board_online(address)]
        data = lockers.BankStateData(compartments=views, boards_offline=offline, message=self._message)
        self.device.update_state(
            data.model_dump(mode="json"),
            raise_issues=raise_issues or [],
            clear_issues=clear_issues or [],
        )


def parse_layout(text: str) -> list[Slot]:
    """``"1:0:S,1:1:M,2:0:L"`` → compartments 1, 2, 3 on (board, lock) with their sizes."""
    slots = []
    for number, item in enumerate((part for part in text.split(",") if part.strip()), start=1):
        try:
            board, lock, size = item.strip().split(":")
            slots.append(Slot(number, int(board), int(lock), size.strip().upper()))
        except ValueError as err:
            raise ValueError(f"bad compartment {number} {item!r}: expected BOARD:LOCK:SIZE") from err
        if slots[-1].size not in {"S", "M", "L", "XL"} or not 0 <= slots[-1].lock < LOCKS_PER_BOARD:
            raise ValueError(f"bad compartment {number} {item!r}: size S/M/L/XL, lock 0..15")
    if not slots:
        raise ValueError("the layout names no compartment")
    return slots


def login_for(settings: Settings, device_id: str) -> tuple[str | None, str | None]:
    """The broker login: the gateway's own enrolled credential (hall.enrolment)."""
    return broker_login(settings, device_id)


def serve(gateway: LockerGateway, settings: Settings) -> None:
    """Runs `gateway` until SIGTERM / SIGINT."""
    url = settings.resolved_mqtt_url
    gateway.id_key = lockers.id_card_key(settings.locker_id_key.get_secret_value(), settings.hall_id)
    username, password = login_for(settings, gateway.device.device_id)
    require_broker(url, username=username, password=password, ca_file=settings.mqtt_ca_file)
    # Handlers first: a SIGTERM that follows the gateway's first announcement must stop it cleanly.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    gateway.start(url, username, password, settings.mqtt_ca_file)
    log.info("locker gateway %s of hall %s running", gateway.device.device_id, settings.hall_id)
    stop.wait()
    gateway.stop()
