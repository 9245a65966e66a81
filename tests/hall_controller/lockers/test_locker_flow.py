"""The locker flow end to end over simulated boards on a pty: deposit, notify, pickup, receipt, faults."""

from __future__ import annotations

import json
import threading
import time

import pytest

from devices.lockboard.bank import BankEvent
from firmware_sim.lockers.rig import LockerRig
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.ports import OpenOutcome
from hall_controller.lockers.repository import CaseAlreadyDepositedError, NoCompartmentError, deposits
from hall_controller.lockers.service import LockedOutError, LockerError, LockerService, OpenNotDetectedError
from tests.hall_controller.lockers.conftest import BANK, LockerHall

ID_NUMBER = "110101199003071234"


def sms_lines(hall: LockerHall) -> list[dict[str, object]]:
    hall.outbox.dispatch()
    if not hall.sms_file.exists():
        return []
    return [json.loads(line) for line in hall.sms_file.read_text(encoding="utf-8").splitlines()]


def test_deposit_makes_the_case_ready_for_pickup_and_notifies(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    assert number == 1  # best fit: the first small compartment
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    assert hall.compartment_state(number) == "occupied"
    [sms] = sms_lines(hall)
    notice = hall.service.last_notice
    # The development sink keeps neither the phone number nor the code (the provider was handed both).
    assert notice is not None and notice.code not in str(sms["text"])
    assert f"取件码 ******{notice.code[-2:]}" in str(sms["text"])
    assert sms["to"] == "138****5678"
    # Neither the code nor the phone is stored in clear.
    with hall.repository.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("locker_deposits", "locker_outbox")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )
    assert notice.code not in dump and "13812345678" not in dump and ID_NUMBER not in dump


def test_deposit_is_not_ready_until_the_item_is_seen(hall: LockerHall) -> None:
    hall.add_case("C-1")
    compartment = hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    assert hall.cases.states["C-1"] == "ready_for_release"
    board, lock = hall.rig.firmware(compartment.number)
    board.close_door_when_possible(lock)  # closed empty: the clerk changed their mind
    hall.pump(until="closed")
    assert hall.cases.states["C-1"] == "ready_for_release"
    assert hall.compartment_state(compartment.number) == "free"


@pytest.mark.parametrize("how", ["code", "qr", "id_card"])
def test_pickup_by_each_identification_delivers_with_a_receipt(hall: LockerHall, how: str) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    if how == "code":
        opened = hall.service.pickup_by_code(BANK, notice.code)
    elif how == "qr":
        opened = hall.service.pickup_by_qr(BANK, notice.qr_text)
    else:
        opened = hall.service.pickup_by_id_card(BANK, ID_NUMBER)
    assert opened.number == number
    assert hall.cases.states["C-1"] == "ready_for_pickup"  # door open is not yet delivered
    hall.rig.person_takes_item_and_closes(number)
    hall.pump(until="closed")
    assert hall.cases.states["C-1"] == "delivered"
    receipt = hall.cases.receipts["C-1"]
    assert receipt["identified_by"] == how and receipt["compartment"] == number
    assert receipt["document"] == "电子送达回证"
    assert hall.compartment_state(number) == "free"


def test_a_code_works_only_once(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    hall.service.pickup_by_code(BANK, notice.code)
    hall.rig.person_takes_item_and_closes(number)
    hall.pump(until="closed")
    with pytest.raises(LockerError) as spent:
        hall.service.pickup_by_code(BANK, notice.code)
    # Told as what it is (the kiosk says "already collected"), and still counted as a wrong attempt.
    assert spent.value.code == "already_collected"
    with pytest.raises(LockerError) as spent_qr:
        hall.service.pickup_by_qr(BANK, notice.qr_text, source="kiosk:k1")
    assert spent_qr.value.code == "already_collected"
    with pytest.raises(LockerError) as wrong:
        hall.service.pickup_by_code(BANK, str((int(notice.code) + 1) % 10**8).zfill(8))
    assert wrong.value.code == "wrong_code"
    wrong_qr = notice.qr_text[:-4] + ("0000" if not notice.qr_text.endswith("0000") else "1111")
    with pytest.raises(LockerError) as forged:
        hall.service.pickup_by_qr(BANK, wrong_qr, source="kiosk:k1")
    assert forged.value.code == "wrong_qr"
    refused = [e for e in hall.repository.audit_trail() if e["action"] == "pickup_refused"]
    assert [e["detail"]["why"] for e in refused] == ["spent code", "wrong QR", "wrong code", "wrong QR"]


def test_an_expired_code_is_refused_and_the_result_listed_as_uncollected(hall: LockerHall) -> None:
    hall.add_case("C-1")
    hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    hall.clock.offset = 8 * 86400
    with pytest.raises(LockerError, match="expired") as expired:
        hall.service.pickup_by_code(BANK, notice.code)
    assert expired.value.code == "code_expired"
    assert [d.case_id for d in hall.service.uncollected()] == ["C-1"]
    assert hall.cases.states["C-1"] == "ready_for_pickup"


def test_closing_with_the_result_still_inside_issues_a_fresh_code(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    first = hall.service.last_notice
    assert first is not None
    hall.service.pickup_by_code(BANK, first.code)
    board, lock = hall.rig.firmware(number)
    board.close_door_when_possible(lock)
    hall.pump(until="closed")
    second = hall.service.last_notice
    assert second is not None and second.code != first.code
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    with pytest.raises(LockerError):
        hall.service.pickup_by_code(BANK, first.code)
    assert hall.service.pickup_by_code(BANK, second.code).number == number


def test_brute_force_codes_lock_out_their_source_not_the_bank(hall: LockerHall) -> None:
    hall.add_case("C-1")
    hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    wrong = f"{(int(notice.code) + 1) % 10**8:08d}"
    stranger = "http:203.0.113.9"
    for _ in range(hall.service.policy.per_source.max_failures):
        with pytest.raises(LockerError):
            hall.service.pickup_by_code(BANK, wrong, source=stranger)
    with pytest.raises(LockedOutError):
        hall.service.pickup_by_code(BANK, notice.code, source=stranger)  # that source waits it out
    # The applicant at the bank's own keypad is not locked out by a stranger's guesses.
    assert hall.service.pickup_by_code(BANK, notice.code).number == 1


def test_the_bank_keypad_only_cools_down(hall: LockerHall) -> None:
    hall.add_case("C-1")
    hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    wrong = f"{(int(notice.code) + 1) % 10**8:08d}"
    for _ in range(hall.service.policy.at_the_bank.max_failures):
        with pytest.raises(LockerError):
            hall.service.pickup_by_code(BANK, wrong)
    with pytest.raises(LockedOutError) as locked:
        hall.service.pickup_by_code(BANK, notice.code)
    assert locked.value.retry_after <= hall.service.policy.at_the_bank.lockout_seconds
    # The QR (unguessable) opens even while the keypad cools down.
    assert hall.service.pickup_by_qr(BANK, notice.qr_text).number == 1


def test_guessing_a_deposits_qr_secret_never_blocks_the_right_qr(hall: LockerHall) -> None:
    hall.add_case("C-1")
    hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    forged = notice.qr_text.rsplit(":", 1)[0] + ":guess"
    for _ in range(hall.service.policy.per_source.max_failures):
        with pytest.raises(LockerError):
            hall.service.pickup_by_qr(BANK, forged, source="http:203.0.113.9")
    with pytest.raises(LockedOutError):
        hall.service.pickup_by_qr(BANK, forged, source="http:203.0.113.9")
    assert hall.service.pickup_by_qr(BANK, notice.qr_text, source="http:203.0.113.9").number == 1
    assert hall.cases.states["C-1"] == "ready_for_pickup"


@pytest.mark.parametrize("garbage", ["", "abc", "1" * 5000, "\x00\xff", "HALLBOX1:x:y"])
def test_garbage_input_gets_a_clear_error(hall: LockerHall, garbage: str) -> None:
    with pytest.raises(LockerError):
        hall.service.pickup_by_code(BANK, garbage)
    with pytest.raises(LockerError):
        hall.service.pickup_by_qr(BANK, garbage)
    with pytest.raises(LockerError):
        hall.service.pickup_by_id_card(BANK, garbage)


def test_a_jammed_door_raises_open_not_detected_and_loses_nothing(hall: LockerHall) -> None:
    hall.add_case("C-1")
    board, lock = hall.rig.firmware(1)
    board.jam(lock)
    with pytest.raises(OpenNotDetectedError):
        hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    assert hall.cases.states["C-1"] == "ready_for_release"
    assert hall.compartment_state(1) == "fault"
    # The next try goes to another compartment.
    assert hall.service.start_deposit("C-1", Size.S, clerk="clerk-1").number == 2


class LateAnswerDoors:
    """The door opens and the clerk deposits and shuts it, all seen by the door events; the unlock's own
    answer is lost (a broker restart) and the command times out as unreachable."""

    def __init__(self, rig: LockerRig) -> None:
        self.rig = rig
        self.service: LockerService | None = None

    def open(self, bank_id: str, number: int) -> OpenOutcome:
        self.rig.bank.open(number)
        self.rig.person_puts_item_and_closes(number)
        for _ in range(500):
            events = self.rig.bank.poll()
            for event in events:
                if event.number is not None and self.service is not None:
                    self.service.on_door_event(bank_id, event.kind.value, event.number, event.occupied)
            if any(event.kind.value == "closed" for event in events):
                break
            time.sleep(0.01)
        return OpenOutcome.UNREACHABLE


def test_a_late_unlock_time_out_does_not_undo_a_finished_deposit(hall_factory: object) -> None:
    late: list[LateAnswerDoors] = []

    def doors(rig: LockerRig) -> LateAnswerDoors:
        late.append(LateAnswerDoors(rig))
        return late[-1]

    hall: LockerHall = hall_factory(doors=doors)  # type: ignore[operator]
    late[0].service = hall.service
    hall.add_case("C-1")
    compartment = hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")  # no OpenNotDetectedError
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    assert hall.compartment_state(compartment.number) == "occupied"
    assert hall.service.last_notice is not None
    actions = [entry["action"] for entry in hall.repository.audit_trail(compartment.id)]
    assert "door_unreachable" in actions and "deposit_abandoned" not in actions


def test_a_jam_at_pickup_keeps_the_result_collectable(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    board, lock = hall.rig.firmware(number)
    board.jam(lock)
    with pytest.raises(OpenNotDetectedError):
        hall.service.pickup_by_code(BANK, notice.code)
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    board.jam(lock, jammed=False)
    assert hall.service.pickup_by_code(BANK, notice.code).number == number


@pytest.mark.parametrize("how", ["code", "id_card"])
def test_a_pickup_stalled_by_a_controller_restart_can_be_opened_again(hall: LockerHall, how: str) -> None:
    # Found by the 1,000-applicant soak: the controller was killed between accepting an applicant's ID
    # card (the deposit went "collecting") and unlocking; after the restart the card found nothing.
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    stalled_at = time.time() - hall.service.policy.stalled_pickup_seconds - 1
    # What the killed controller left in its database: accepted, never unlocked.
    assert hall.repository.transition(
        notice.deposit_id, ["ready"], "collecting", receipt={"identified_by": how, "since": time.time()}
    )

    def pick_up() -> int:
        if how == "code":
            return hall.service.pickup_by_code(BANK, notice.code).number
        return hall.service.pickup_by_id_card(BANK, ID_NUMBER).number

    with pytest.raises(LockerError):  # a pickup in progress is not opened twice
        pick_up()
    assert hall.repository.transition(
        notice.deposit_id, ["collecting"], "collecting", receipt={"identified_by": how, "since": stalled_at}
    )
    assert pick_up() == number
    hall.rig.person_takes_item_and_closes(number)
    hall.pump(until="closed")
    assert hall.cases.states["C-1"] == "delivered"
    assert hall.cases.receipts["C-1"]["identified_by"] == how
    assert hall.compartment_state(number) == "free"


def test_a_deposit_stalled_by_a_controller_restart_opens_the_same_compartment(hall: LockerHall) -> None:
    # Found by the 1,000-applicant soak: the controller was killed between reserving a compartment for a
    # case and unlocking it; after the restart every deposit of that case was refused as a second one.
    hall.add_case("C-1")
    policy = hall.service.policy
    deposit, reserved = hall.repository.claim("C-1", Size.S, BANK, time.time())  # reserved, never unlocked
    with pytest.raises(CaseAlreadyDepositedError):  # a deposit in progress is not doubled
        hall.service.start_deposit("C-1", Size.S, clerk="clerk-2")
    assert hall.compartment_state(reserved.number) == "reserved"

    # Later than the policy's grace: the same compartment opens for the clerk, and the deposit completes.
    stalled_at = time.time() - policy.stalled_deposit_seconds - 1
    with hall.repository.transaction() as connection:
        connection.execute(deposits.update().where(deposits.c.id == deposit.id).values(created=stalled_at))
    assert hall.deposit("C-1") == reserved.number
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    assert hall.compartment_state(reserved.number) == "occupied"
    [active] = hall.repository.deposits_where(deposits.c.case_id == "C-1")
    assert active.id == deposit.id and active.state == "ready"


def test_a_delivery_cut_short_by_a_controller_crash_is_finished_at_the_next_start(hall: LockerHall) -> None:
    # Found by the suite's real-bank soak: the controller was killed after the deposit went "delivered"
    # and before it freed the compartment and told the case service; the case never became delivered.
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    receipt = {"identified_by": "code", "since": time.time()}
    assert hall.repository.transition(notice.deposit_id, ["ready"], "collecting", receipt=receipt)
    assert hall.repository.transition(  # what the killed controller left: the first write only
        notice.deposit_id, ["collecting"], "delivered", delivered=time.time(), receipt=receipt
    )
    assert hall.compartment_state(number) == "occupied"
    assert hall.cases.states["C-1"] == "ready_for_pickup"

    assert hall.service.recover() == 1
    assert hall.cases.states["C-1"] == "delivered"
    assert hall.compartment_state(number) == "free"
    assert hall.service.recover() == 0  # finished once


def test_a_lying_sensor_takes_the_compartment_out_of_use(hall: LockerHall) -> None:
    hall.add_case("C-1")
    board, lock = hall.rig.firmware(1)
    board.lie(lock, reports_open=False)
    with pytest.raises(OpenNotDetectedError):
        hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    assert board.truly_open(lock)  # it did open; the sensor lied
    assert hall.compartment_state(1) == "fault"
    assert hall.cases.states["C-1"] == "ready_for_release"


def test_power_loss_mid_open_is_reconciled_when_the_board_returns(hall: LockerHall) -> None:
    hall.add_case("C-1")
    board, lock = hall.rig.firmware(1)
    board.spring_seconds = 0.2  # slow spring: the power goes before it releases
    timer = threading.Timer(0.05, board.power_off)
    timer.start()
    with pytest.raises(OpenNotDetectedError):
        hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    timer.join()
    assert hall.compartment_state(1) == "unknown"
    board.power_on()
    hall.pump(until="board_online")
    hall.service.reconcile(BANK, hall.rig.bank.snapshot())
    assert not board.truly_open(lock)
    assert hall.compartment_state(1) == "free"
    assert hall.cases.states["C-1"] == "ready_for_release"


def test_concurrent_clerks_get_different_compartments(hall: LockerHall) -> None:
    for index in range(4):
        hall.add_case(f"C-{index}")
    opened: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def clerk(index: int) -> None:
        start.wait()
        try:
            opened.append(hall.service.start_deposit(f"C-{index}", Size.M, clerk=f"clerk-{index}").number)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(set(opened)) == 4
    assert all(hall.compartment_state(n) == "reserved" for n in opened)


def test_no_compartment_that_fits(hall: LockerHall) -> None:
    hall.add_case("C-1")
    hall.add_case("C-2")
    hall.deposit("C-1", Size.XL)
    with pytest.raises(NoCompartmentError):
        hall.service.start_deposit("C-2", Size.XL, clerk="clerk-1")


def test_unsolicited_opening_and_door_left_open_are_audited(hall_factory: object) -> None:
    hall: LockerHall = hall_factory(left_open_seconds=0.2)  # type: ignore[operator]
    board, lock = hall.rig.firmware(3)
    board.force_open(lock)
    hall.pump(until="door_left_open")
    actions = [entry["action"] for entry in hall.repository.audit_trail(f"{BANK}/03")]
    assert "alarm_unsolicited_open" in actions and "alarm_door_left_open" in actions


def test_admin_remote_open_needs_a_reason_and_is_audited(hall: LockerHall) -> None:
    with pytest.raises(LockerError, match="reason"):
        hall.service.admin_open(BANK, 2, "admin-1", "")
    hall.service.admin_open(BANK, 2, "admin-1", "检修门锁")
    events = hall.pump(until="opened")
    assert "unsolicited_open" not in events
    trail = hall.repository.audit_trail(f"{BANK}/02")
    assert trail[0]["action"] == "admin_open" and trail[0]["detail"] == {"reason": "检修门锁"}
    assert any(entry["action"] == "door_opened" for entry in trail)


def test_an_uncollected_result_goes_back_to_the_window(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    hall.clock.offset = 6 * 86400
    [late] = hall.service.uncollected()
    assert late.case_id == "C-1"
    hall.service.return_to_window(BANK, number, "clerk-2")
    hall.rig.person_takes_item_and_closes(number)
    hall.pump(until="closed")
    assert hall.cases.states["C-1"] == "ready_for_release"
    assert hall.compartment_state(number) == "free"
    assert hall.service.uncollected() == []
    with pytest.raises(LockerError):
        hall.service.return_to_window(BANK, number, "clerk-2")


def test_a_result_taken_through_a_forced_door_is_flagged_not_silently_lost(hall: LockerHall) -> None:
    hall.add_case("C-1")
    number = hall.deposit("C-1")
    board, lock = hall.rig.firmware(number)
    board.force_open(lock)
    hall.pump(until="unsolicited_open")
    board.take_item(lock)
    board.close_door(lock)
    hall.pump(until="closed")
    assert hall.compartment_state(number) == "fault"
    actions = [entry["action"] for entry in hall.repository.audit_trail(f"{BANK}/{number:02d}")]
    assert "alarm_unsolicited_open" in actions and "alarm_result_missing" in actions
    notice = hall.service.last_notice
    assert notice is not None
    with pytest.raises(LockerError):
        hall.service.pickup_by_code(BANK, notice.code)  # nothing to open for


def test_the_qr_picture_sent_to_the_applicant_opens_the_compartment(hall: LockerHall) -> None:
    import zxingcpp
    from PIL import Image

    hall.add_case("C-1")
    number = hall.deposit("C-1")
    [sms] = sms_lines(hall)
    [scanned] = zxingcpp.read_barcodes(Image.open(hall.sms_file.parent / str(sms["qr_png"])))
    assert hall.service.pickup_by_qr(BANK, scanned.text).number == number


def test_lost_door_events_are_settled_from_the_banks_state(hall: LockerHall) -> None:
    hall.add_case("C-1")
    compartment = hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    number = compartment.number
    # A state read before the door opened (closed, empty) must not end the deposit.
    hall.service.reconcile(BANK, {number: (False, False)})
    assert hall.compartment_state(number) == "reserved"
    hall.rig.person_puts_item_and_closes(number)  # ...and the "closed" event is lost: no pump
    hall.service.reconcile(BANK, {number: (False, True)})
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    notice = hall.service.last_notice
    assert notice is not None
    hall.service.pickup_by_code(BANK, notice.code)
    hall.service.reconcile(BANK, {number: (False, True)})  # read before the door opened: still full
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    hall.rig.person_takes_item_and_closes(number)
    hall.service.reconcile(BANK, {number: (False, False)})
    assert hall.cases.states["C-1"] == "delivered"
    hall.pump()  # the late events change nothing
    assert hall.cases.states["C-1"] == "delivered" and hall.compartment_state(number) == "free"


def test_door_events_held_through_a_broker_outage_do_not_end_the_next_deposit(hall: LockerHall) -> None:
    """Soak finding: a pickup's door events were held by the gateway while the broker was down; the
    retained state settled the pickup first, a clerk deposited the next case into the same compartment,
    and then the held "opened", "closed, empty" arrived and cancelled that deposit (the door stood open)."""
    hall.add_case("C-1")
    hall.add_case("C-2")
    number = hall.deposit("C-1")
    notice = hall.service.last_notice
    assert notice is not None
    hall.service.pickup_by_code(BANK, notice.code)
    held: list[
        tuple[BankEvent, float]
    ] = []  # the gateway's events, stamped with when it saw them, not delivered: the broker is down
    hall.rig.person_takes_item_and_closes(number)
    deadline = time.monotonic() + 10
    while not any(event.kind.value == "closed" for event, _seen in held):
        held += [(event, time.time()) for event in hall.rig.bank.poll()]
        assert time.monotonic() < deadline, held
        time.sleep(0.01)
    # The broker's restart takes a while (seconds in the soak; here 0.2 s is enough to tell old from new).
    restarted = held[-1][1] + 0.2
    while time.time() < restarted:
        time.sleep(0.01)
    hall.service.reconcile(BANK, hall.rig.bank.snapshot())  # the retained state after the reconnect
    assert hall.cases.states["C-1"] == "delivered"
    compartment = hall.service.start_deposit("C-2", Size.S, clerk="clerk-1")
    board, lock = hall.rig.firmware(number)
    assert compartment.number == number and board.truly_open(lock)
    for event, seen in held:  # the controller is back: the held events are released
        assert event.number is not None
        hall.service.on_door_event(BANK, event.kind.value, event.number, event.occupied, seen=seen)
    assert hall.compartment_state(number) == "reserved"
    hall.rig.person_puts_item_and_closes(number)
    hall.pump(until="closed")
    assert hall.cases.states["C-2"] == "ready_for_pickup"
    stale = [
        row
        for row in hall.repository.audit_trail(f"{BANK}/{number:02d}")
        if row["action"] == "door_event_stale"
    ]
    assert [row["detail"]["change"] for row in stale] == ["opened", "closed"]


class ControllerKilled(BaseException):
    """The controller process dying at a chosen line (nothing after it runs)."""


def test_a_deposit_cut_short_before_the_case_service_was_told_is_finished_at_the_next_start(
    hall: LockerHall, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The door closed on the result: the deposit went "ready", the code and SMS were issued, and the
    # controller died before the case-service write was queued (another store).
    hall.add_case("C-1")

    def killed(*_args: object, **_kwargs: object) -> None:
        raise ControllerKilled

    monkeypatch.setattr(hall.cases, "mark_ready_for_pickup", killed)
    with pytest.raises(ControllerKilled):
        hall.deposit("C-1")
    monkeypatch.undo()
    notice = hall.service.last_notice
    assert notice is not None
    assert hall.cases.states["C-1"] == "ready_for_release"  # the case service never heard of it

    assert hall.service.recover() == 1
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    assert hall.cases.keys == [f"ready-{notice.deposit_id}"]
    assert hall.service.last_notice is notice  # no second code
    hall.outbox.dispatch()
    assert len(sms_lines(hall)) == 1  # the applicant's SMS once
    assert hall.service.recover() == 0  # finished once
    assert hall.cases.keys == [f"ready-{notice.deposit_id}"]


def test_a_deposit_cut_short_right_after_it_went_ready_is_notified_and_told_at_the_next_start(
    hall: LockerHall,
) -> None:
    # What a controller killed right after the first write leaves: the deposit "ready" and the
    # compartment occupied; no code, no SMS, no case-service write.
    hall.add_case("C-1")
    compartment = hall.service.start_deposit("C-1", Size.S, clerk="clerk-1")
    hall.rig.person_puts_item_and_closes(compartment.number)
    [deposit] = hall.repository.deposits_where(deposits.c.case_id == "C-1")
    assert hall.repository.transition(deposit.id, ["depositing"], "ready", deposited=time.time())
    hall.repository.set_compartment_state(compartment.id, "occupied", deposit.id)
    assert deposit.code_hash is None

    assert hall.service.recover() == 1
    assert hall.cases.states["C-1"] == "ready_for_pickup"
    assert hall.cases.keys == [f"ready-{deposit.id}"]
    notice = hall.service.last_notice
    assert notice is not None and notice.deposit_id == deposit.id
    hall.outbox.dispatch()
    assert len(sms_lines(hall)) == 1
    assert hall.service.recover() == 0
    hall.outbox.dispatch()
    assert len(sms_lines(hall)) == 1
    # The code the applicant got opens the compartment.
    assert hall.service.pickup_by_code(BANK, notice.code).number == compartment.number
