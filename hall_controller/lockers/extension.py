"""The lockers extension of the hall controller: wires the locker flow to the device contract and HTTP.

Routes live under ``/api/v1/ext/lockers``; the dashboard shows the lockers in its floor view
(hall_controller/floor.py), not as a panel of this extension. Door events are applied on the dispatcher
thread (they are short); identifications typed at a bank's keypad run on this extension's own worker,
since opening a door waits for the gateway's completion.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from devices.protocol import lockers
from devices.protocol.payloads import Severity
from hall.errors import StartupError
from hall.privacy import PiiCipher
from hall.settings import Mode
from hall_controller.extensions import ControllerContext, DeviceEvent, Extension
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.case_http import HttpCaseClient
from hall_controller.lockers.mqtt_doors import MqttDoors
from hall_controller.lockers.notify import FileSmsProvider, Outbox
from hall_controller.lockers.ports import CaseClient, Doors, InMemoryCaseClient, SmsProvider
from hall_controller.lockers.repository import LockerRepository, RepositoryError
from hall_controller.lockers.service import WARNING_ALARMS, LockerError, LockerPolicy, LockerService
from hall_controller.registry import DeviceRecord

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 1.0
# A "closed" door event is applied once the bank's own state (published right after it) reads the door
# closed with the same occupancy; one still contradicted this long after it came is not applied.
CLOSING_CONFIRM_SECONDS = 5.0


@dataclass(frozen=True)
class _Closing:
    occupied: bool
    seen: float | None
    received: float  # time.monotonic()


class LockersExtension(Extension):
    name = "lockers"
    events = frozenset({lockers.DOOR_EVENT, lockers.BOARD_EVENT, lockers.PICKUP_ENTRY_EVENT})

    def __init__(
        self,
        context: ControllerContext,
        *,
        cases: CaseClient | None = None,
        sms: SmsProvider | None = None,
        doors: Doors | None = None,
        database_url: str | None = None,
        policy: LockerPolicy | None = None,
        unlock_timeout: float = 6.0,
    ) -> None:
        super().__init__(context)
        settings = context.settings
        self.cases = cases or default_cases(context)
        self._sms = sms or FileSmsProvider(settings.data_dir / "sms-outbox.jsonl")
        self._doors = doors or MqttDoors(context, unlock_timeout)
        self._database_url = (
            database_url or f"sqlite:///{settings.data_dir / f'lockers-{context.hall_id}.db'}"
        )
        self._policy = policy
        self._stop = threading.Event()
        self._outbox_thread: threading.Thread | None = None
        self._worker: ThreadPoolExecutor | None = None
        self.repository: LockerRepository | None = None
        self.service: LockerService | None = None
        self.outbox: Outbox | None = None
        self._closings: dict[tuple[str, int], _Closing] = {}
        self._closings_lock = threading.Lock()

    def start(self) -> None:
        settings = self.context.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        repository = LockerRepository(self._database_url)
        repository.create_schema()
        cipher = PiiCipher.from_config(settings.pii_key.get_secret_value())
        self.outbox = Outbox(repository, cipher, self._sms)
        self.service = LockerService(
            repository,
            self.cases,
            self._doors,
            self.outbox,
            secret_key=settings.secret_key.get_secret_value().encode(),
            cipher=cipher,
            policy=self._policy,
            id_key=lockers.id_card_key(settings.locker_id_key.get_secret_value(), self.context.hall_id),
            alarm=self._raise_alarm,
        )
        self.repository = repository
        self.service.recover()
        self._worker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lockers")
        self._stop.clear()
        self._outbox_thread = threading.Thread(target=self._send_outbox, name="lockers-outbox", daemon=True)
        self._outbox_thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._outbox_thread is not None:
            self._outbox_thread.join(3)
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
        if self.repository is not None:
            self.repository.dispose()

    def _raise_alarm(self, bank_id: str, code: str, message: str) -> None:
        severity = Severity.WARNING if code in WARNING_ALARMS else Severity.CRITICAL
        self.context.raise_alarm(bank_id, code, severity, message)

    def _send_outbox(self) -> None:
        while not self._stop.wait(OUTBOX_SECONDS):
            self.settle_closings()
            if self.outbox is None:
                continue
            try:
                self.outbox.dispatch()
            except RepositoryError:
                log.exception("locker outbox: database trouble; retrying")

    def require(self) -> LockerService:
        if self.service is None:
            raise LockerError("the lockers extension is not started")
        return self.service

    # -- device side -------------------------------------------------------------------------------------
    def on_device(self, record: DeviceRecord) -> None:
        if record.kind != lockers.KIND or self.repository is None or self.service is None:
            return
        if record.description is not None:
            sizes = str(record.description.attributes.get("sizes", ""))
            try:
                parsed = [Size.parse(size) for size in sizes.split(",") if size]
            except ValueError as err:
                log.warning("%s: bad compartment sizes %r: %s", record.device_id, sizes, err)
                return
            self.repository.add_compartments(record.device_id, parsed)
        if record.state is not None:
            try:
                state = lockers.BankStateData.model_validate(record.state.data)
            except ValidationError as err:
                log.warning("%s: bank state outside the contract: %s", record.device_id, err)
                return
            seen = {view.number: (view.open, view.occupied) for view in state.compartments if view.reachable}
            self.settle_closings(record.device_id)
            self.service.reconcile(record.device_id, seen)
        self.context.notify()

    def on_event(self, event: DeviceEvent) -> None:
        service = self.service
        if service is None or event.kind != lockers.KIND:
            return
        try:
            if event.name == lockers.DOOR_EVENT:
                door = lockers.DoorEventData.model_validate(event.data)
                if door.change is lockers.DoorChange.CLOSED:
                    self._hold_closing(event.device_id, door)
                    return
                service.on_door_event(
                    event.device_id, door.change.value, door.compartment, door.occupied, seen=door.seen
                )
                self.context.notify()
            elif event.name == lockers.PICKUP_ENTRY_EVENT and self._worker is not None:
                entry = lockers.PickupEntry.model_validate(event.data)
                if entry.method is lockers.PickupMethod.ID_CARD:
                    # An ID number in clear on the bus: refused, so no gateway gets into the habit.
                    log.warning("%s: refused an ID number in clear (send id_card_hash)", event.device_id)
                    text = "请重新刷卡 please lay the card again"
                    self.context.send_command(
                        event.device_id, lockers.SHOW, lockers.ShowArgs(text=text).model_dump()
                    )
                    return
                self._worker.submit(self._pickup_at_bank, event.device_id, entry)
        except ValidationError as err:
            # Never the error itself: pydantic's message quotes the input, which may be an ID number.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors(include_input=False)
            )
            log.warning("%s: %s event outside the contract: %s", event.device_id, event.name, problems)
        except LockerError as err:
            log.warning("%s: %s event refused: %s", event.device_id, event.name, err)

    # -- door closings, confirmed by the bank's state -----------------------------------------------------
    # Whoever can publish on the bank's event topic could say "closed, occupied" while the door stands
    # open and empty, and the case would go ready for pickup. So a closing is applied only when the bank's
    # state (which the gateway publishes right after its events) reads the same; one it still contradicts
    # after CLOSING_CONFIRM_SECONDS raises an alarm and is dropped.
    def _hold_closing(self, bank_id: str, door: lockers.DoorEventData) -> None:
        with self._closings_lock:
            self._closings[(bank_id, door.compartment)] = _Closing(door.occupied, door.seen, time.monotonic())
        self.settle_closings(bank_id)

    def settle_closings(self, bank_id: str | None = None) -> None:
        service = self.service
        if service is None:
            return
        now = time.monotonic()
        views: dict[str, dict[int, lockers.CompartmentView]] = {}
        with self._closings_lock:
            held = [(key, closing) for key, closing in self._closings.items() if bank_id in (None, key[0])]
        for (bank, number), closing in held:
            if bank not in views:
                views[bank] = self._bank_views(bank)
            view = views[bank].get(number)
            confirmed = view is not None and not view.open and view.occupied == closing.occupied
            expired = now - closing.received > CLOSING_CONFIRM_SECONDS
            if not (confirmed or expired):
                continue
            with self._closings_lock:
                if self._closings.get((bank, number)) is not closing:
                    continue  # a newer closing of the same door replaced it
                del self._closings[(bank, number)]
            try:
                if confirmed:
                    service.on_door_event(bank, "closed", number, closing.occupied, seen=closing.seen)
                else:
                    service.alarm_unconfirmed_closing(bank, number, closing.occupied)
            except LockerError as err:
                log.warning("%s: closing of %d refused: %s", bank, number, err)
            self.context.notify()

    def _bank_views(self, bank_id: str) -> dict[int, lockers.CompartmentView]:
        record = self.context.registry.get(bank_id)
        if record is None or record.state is None:
            return {}
        try:
            state = lockers.BankStateData.model_validate(record.state.data)
        except ValidationError:
            return {}
        return {view.number: view for view in state.compartments if view.reachable}

    def _pickup_at_bank(self, bank_id: str, entry: lockers.PickupEntry) -> None:
        try:
            compartment = self.pickup(bank_id, entry.method, entry.value)
            text = f"请取件：第 {compartment['number']} 格已打开"
        except LockerError as err:
            text = str(err)
        except RepositoryError:
            log.exception("pickup at %s: database trouble", bank_id)
            text = "系统忙，请稍后再试"
        self.context.send_command(bank_id, lockers.SHOW, lockers.ShowArgs(text=text[:200]).model_dump())

    def pickup(
        self, bank_id: str, method: lockers.PickupMethod, value: str, source: str | None = None
    ) -> dict[str, Any]:
        """`source`: who asks over HTTP ("http:<address>", "kiosk:<id>", "staff:<user>"); None for the
        bank's own keypad, scanner and reader."""
        service = self.require()
        if method is lockers.PickupMethod.CODE:
            compartment = service.pickup_by_code(bank_id, value, source=source)
        elif method is lockers.PickupMethod.QR:
            compartment = service.pickup_by_qr(bank_id, value, source=source)
        elif method is lockers.PickupMethod.ID_CARD_HASH:
            compartment = service.pickup_by_id_hash(bank_id, value, source=source)
        else:
            compartment = service.pickup_by_id_card(bank_id, value, source=source)
        self.context.notify()
        return {"bank_id": compartment.bank_id, "number": compartment.number}

    # -- web side ----------------------------------------------------------------------------------------
    def router(self) -> Any:
        from hall_controller.lockers.routes import build_router

        return build_router(self)


def default_cases(context: ControllerContext) -> CaseClient:
    """HALL_CONTROLLER__LOCKER_CASES: the real case service through the controller's link and outbox, or
    the in-memory stand-in (development only)."""
    settings = context.settings
    production = settings.mode is Mode.PRODUCTION
    if settings.locker_cases == "case-service":
        if context.case_service is None:
            raise StartupError("lockers: the controller has no link to the case service")
        return HttpCaseClient(context.case_service, context.outbox)
    if production:
        raise StartupError("production mode refuses HALL_CONTROLLER__LOCKER_CASES=memory")
    return InMemoryCaseClient()


EXTENSION = LockersExtension
