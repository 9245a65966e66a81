"""The locker flow: deposit, notify, pickup by code / QR / ID card, delivery receipt, alarms, remote open.

It reacts to what the doors report (opened, closed, occupancy), never to "unlock sent". The case's state
follows the compartment: "ready for pickup" only once the door is closed with the item seen inside,
"delivered" only once the door is closed with the compartment seen empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hall.privacy import PiiCipher, mask_phone
from hall_controller.lockers import codes
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.notify import Outbox
from hall_controller.lockers.ports import CaseClient, CaseError, Doors, OpenOutcome
from hall_controller.lockers.ratelimit import AttemptPolicy, Verdict, judge
from hall_controller.lockers.repository import Compartment, Deposit, LockerRepository, deposits

log = logging.getLogger(__name__)

# Audit actions `recover` reads to tell how far a deposit got.
PICKUP_CODE_ISSUED = "pickup_code_issued"
CASE_TOLD_READY = "case_told_ready"

DAY = 86400.0
# A door event seen more than this before the last unlock is from an earlier opening. The allowance is
# for the gateway's clock against the controller's (the hall's hosts keep NTP time, off by a few ms); a
# genuine event of the new opening is seen after the unlock went out. Held events are seconds old (a
# broker restart), so the residual risk is an event seen within this allowance before an unlock.
STALE_EVENT_SKEW = 0.05
# A door seen opening more than this after the controller's last unlock of it was not opened by that
# unlock: the gateway obeyed an unlock the controller did not send, or the event is forged.
UNLOCK_OPENS_WITHIN = 30.0
# A pried door is reported twice by the gateway, `opened` (which the controller finds unasked) and then
# `unsolicited_open`: within this many seconds of each other, for one compartment, they are one opening
# and one alarm (both are audited).
SAME_OPENING_SECONDS = 5.0

# Alarm codes the locker flow raises on the bank (the controller's alarm book; a manager acknowledges).
DOOR_OPENED_WITHOUT_UNLOCK = "door_opened_without_unlock"
DOOR_EVENT_UNCONFIRMED = "door_event_unconfirmed"
# From the gateway's own `evt/door`: a door it saw open with no unlock, a door left open after an opening.
DOOR_UNSOLICITED_OPEN = "door_unsolicited_open"
DOOR_LEFT_OPEN = "door_left_open"
WARNING_ALARMS = frozenset({DOOR_LEFT_OPEN})  # every other locker alarm is critical
# Every locker alarm marks an event, each an alarm of its own (the rule: hall_controller.alarms.EVENTS).
DOOR_ALARMS = {"unsolicited_open": DOOR_UNSOLICITED_OPEN, "door_left_open": DOOR_LEFT_OPEN}


class LockerError(Exception):
    """A request the locker flow refuses, with a reason fit to show the user and a stable `code` for
    clients that say it in their own words (the kiosk): wrong_code, wrong_qr, already_collected,
    code_expired, nothing_for_id_card, pickup_in_progress; "refused" for the rest."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


class LockedOutError(LockerError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"too many wrong attempts: try again in {int(retry_after // 60) + 1} min", "locked_out"
        )
        self.retry_after = retry_after


class OpenNotDetectedError(LockerError):
    """The unlock pulse was sent but the door was not seen open (OPEN_NOT_DETECTED)."""


class IdentifiedBy(StrEnum):
    CODE = "code"
    QR = "qr"
    ID_CARD = "id_card"


@dataclass(frozen=True)
class PickupNotice:
    deposit_id: str
    code: str
    qr_text: str


# Wrong pickups are counted per source: an address or a kiosk over HTTP is locked out for a while; the
# bank's own keypad and reader (every applicant at the bank) only cool down for a minute. A right QR or ID
# card always opens, a locked-out source or not: the rightful holder is never locked out by a stranger.
PER_SOURCE = AttemptPolicy(max_failures=10, window_seconds=600, lockout_seconds=900)
AT_THE_BANK = AttemptPolicy(max_failures=5, window_seconds=600, lockout_seconds=60)
# Alarm thresholds, not lockouts: wrong pickups at one bank from any source, wrong QRs for one deposit.
PER_BANK = AttemptPolicy(max_failures=10, window_seconds=600, lockout_seconds=600)
PER_CASE = AttemptPolicy(max_failures=3, window_seconds=3600, lockout_seconds=3600)
PICKUP_GUESSING = "pickup_guessing"  # alarm code


@dataclass(frozen=True)
class LockerPolicy:
    code_valid_days: float = 7.0
    uncollected_after_days: float = 5.0
    # A pickup still "collecting" after this long stalled before its door opened (the controller restarted
    # between accepting the applicant and unlocking): the applicant may open again with the same credential.
    stalled_pickup_seconds: float = 30.0
    # A deposit still "depositing" this long after its compartment was reserved, its door never seen
    # open, stalled the same way (reserved, then the controller died before unlocking): the clerk's next
    # deposit of that case opens the same compartment instead of being refused as a second deposit.
    stalled_deposit_seconds: float = 30.0
    per_source: AttemptPolicy = PER_SOURCE
    at_the_bank: AttemptPolicy = AT_THE_BANK
    per_bank: AttemptPolicy = PER_BANK
    per_case: AttemptPolicy = PER_CASE


PICKABLE = ("ready", "collecting")

# reason of an opening → (deposit state while the door should open, state when it did not)
UNDO = {
    "deposit": ("depositing", "cancelled"),
    "pickup": ("collecting", "ready"),
    "return": ("returning", "ready"),
}


class LockerService:
    def __init__(
        self,
        repository: LockerRepository,
        cases: CaseClient,
        doors: Doors,
        outbox: Outbox,
        *,
        secret_key: bytes,
        cipher: PiiCipher,
        policy: LockerPolicy | None = None,
        clock: Callable[[], float] = time.time,
        id_key: bytes | None = None,
        alarm: Callable[[str, str, str], None] | None = None,
    ) -> None:
        """`alarm(bank_id, code, message)` raises an alarm on the bank (the controller's alarm book)."""
        self._repository = repository
        self._cases = cases
        self._doors = doors
        self._outbox = outbox
        self._secret = secret_key
        # The hall's locker ID key (devices.protocol.lockers.id_card_key), shared with the gateways so
        # an ID card read at a bank travels as a keyed hash; the store holds only that hash.
        self._id_key = id_key or secret_key
        self._cipher = cipher
        self.policy = policy or LockerPolicy()
        self._clock = clock
        self._alarm = alarm or (lambda _bank, _code, _message: None)
        # compartment → the unlock (audit time) an "opened" event already answered: one unlock, one opening
        self._unlock_used: dict[str, float] = {}
        # compartment → (alarm code, when) of the last unasked opening alarmed and not yet paired
        self._opening_alarmed: dict[str, tuple[str, float]] = {}
        self.last_notice: PickupNotice | None = None  # for the clerk's screen and the tests

    # -- deposit -----------------------------------------------------------------------------------------
    def start_deposit(self, case_id: str, size: Size, clerk: str, bank_id: str | None = None) -> Compartment:
        """Allocates a compartment for a case ready for release and opens it for the clerk."""
        try:
            case = self._cases.releasable(case_id)
        except CaseError as err:
            raise LockerError(str(err)) from err
        now = self._clock()
        stalled = self._stalled_deposit(case_id, now)
        if stalled is not None:
            deposit, compartment = stalled
            log.warning("locker %s: a stalled deposit of case %s opened again", compartment.id, case_id)
        else:
            deposit, compartment = self._repository.claim(case_id, size, bank_id, now)
        self._repository.transition(
            deposit.id,
            ["depositing"],
            "depositing",
            contact=self._cipher.encrypt(case.phone) if case.phone else None,
            id_hash=codes.id_number_hash(self._id_key, case.id_number) if case.id_number else None,
        )
        self._open(compartment, deposit, actor=clerk, reason="deposit")
        return compartment

    def _stalled_deposit(self, case_id: str, now: float) -> tuple[Deposit, Compartment] | None:
        found = self._repository.deposits_where(
            deposits.c.case_id == case_id, deposits.c.state == "depositing"
        )
        for deposit in found:
            compartment = self._repository.compartment(deposit.compartment_id)
            if (
                compartment is not None
                and now - deposit.created > self.policy.stalled_deposit_seconds
                and not self._repository.door_opened_since(compartment.id, deposit.created)
            ):
                return deposit, compartment
        return None

    def _open(self, compartment: Compartment, deposit: Deposit | None, *, actor: str, reason: str) -> None:
        deposit_id = deposit.id if deposit else None
        unlocked_at = time.time()  # audit time, not the service's clock: compared with door events' audit
        self._repository.audit(
            "unlock", actor=actor, compartment_id=compartment.id, deposit_id=deposit_id, reason=reason
        )
        outcome = self._doors.open(compartment.bank_id, compartment.number)
        self._repository.audit(
            f"door_{outcome.value.lower()}",
            actor="gateway",
            compartment_id=compartment.id,
            deposit_id=deposit_id,
            reason=reason,
        )
        if outcome is OpenOutcome.OPENED:
            return
        if self._repository.door_opened_since(compartment.id, unlocked_at):
            # The unlock's own answer was lost or late, but the door events showed the door open: they
            # are what happened (a finished deposit must not be undone by a late time-out).
            log.warning(
                "compartment %s: unlock answered %s, but the door was seen open",
                compartment.id,
                outcome.value,
            )
            return
        self._door_did_not_open(compartment, deposit, reason, outcome)

    def _door_did_not_open(
        self, compartment: Compartment, deposit: Deposit | None, reason: str, outcome: OpenOutcome
    ) -> None:
        # "fault": the board answered but the door was not seen open (jam, lying sensor): out of use until
        # a person sees to it. "unknown": the board did not answer: reconciled when it reports again.
        # Back to where the opening started; a deposit that door events already moved on (closed with the
        # result, abandoned, collected) did open: nothing to undo, nothing to refuse.
        if deposit is not None and reason in UNDO:
            from_state, to_state = UNDO[reason]
            if not self._repository.transition(deposit.id, [from_state], to_state):
                return
            if reason == "deposit":
                state = "unknown" if outcome is OpenOutcome.UNREACHABLE else "fault"
                self._repository.set_compartment_state(compartment.id, state, None)
        raise OpenNotDetectedError(f"compartment {compartment.number} did not open ({outcome.value})")

    def door_closed(self, bank_id: str, number: int, occupied: bool) -> None:
        """The gateway saw a door close; `occupied` is what the infra-red sensor sees inside."""
        compartment = self._compartment(bank_id, number)
        now = self._clock()
        self._repository.audit(
            "door_closed", actor="gateway", compartment_id=compartment.id, occupied=occupied, now=now
        )
        deposit = self._repository.deposit(compartment.deposit_id) if compartment.deposit_id else None
        if deposit is None:
            if occupied:
                self._repository.set_compartment_state(compartment.id, "fault", None)
                self._repository.audit(
                    "alarm_unexpected_item", actor="gateway", compartment_id=compartment.id
                )
            elif compartment.state in {"fault", "unknown"}:
                # A door seen opening and closing again has a working sensor: back into service.
                self._repository.set_compartment_state(compartment.id, "free", None)
            return
        if deposit.state == "depositing":
            self._deposit_closed(compartment, deposit, occupied, now)
        elif deposit.state == "collecting":
            self._pickup_closed(compartment, deposit, occupied, now)
        elif deposit.state == "returning":
            self._return_closed(compartment, deposit, occupied)
        elif deposit.state == "ready" and not occupied:
            # Shut empty with nobody collecting (forced, or opened by an admin): the result is gone.
            self._repository.transition(deposit.id, ["ready"], "missing")
            self._repository.set_compartment_state(compartment.id, "fault", deposit.id)
            self._repository.audit(
                "alarm_result_missing", actor="gateway", compartment_id=compartment.id, deposit_id=deposit.id
            )
            log.error("locker %s: the result of case %s is gone", compartment.id, deposit.case_id)

    def _return_closed(self, compartment: Compartment, deposit: Deposit, occupied: bool) -> None:
        if occupied:
            self._repository.transition(deposit.id, ["returning"], "ready")
            return
        if not self._repository.transition(deposit.id, ["returning"], "returned"):
            return
        self._repository.set_compartment_state(compartment.id, "free", None)
        self._repository.audit("returned_to_window", actor="gateway", compartment_id=compartment.id)
        try:
            self._cases.mark_returned_to_window(deposit.case_id, "not collected in time")
        except CaseError:
            log.exception("case %s: taken back to the window but not yet recorded", deposit.case_id)

    def _deposit_closed(self, compartment: Compartment, deposit: Deposit, occupied: bool, now: float) -> None:
        if not occupied:
            self._repository.transition(deposit.id, ["depositing"], "cancelled")
            self._repository.set_compartment_state(compartment.id, "free", None)
            self._repository.audit("deposit_abandoned", actor="gateway", compartment_id=compartment.id)
            return
        if not self._repository.transition(deposit.id, ["depositing"], "ready", deposited=now):
            return
        self._repository.set_compartment_state(compartment.id, "occupied", deposit.id)
        # The result is in the locker: the applicant can collect it even if the case service is away.
        self._issue_pickup_secrets(deposit, compartment, now)
        self._tell_ready(compartment, deposit.id, deposit.case_id, actor="gateway")

    def _tell_ready(self, compartment: Compartment, deposit_id: str, case_id: str, *, actor: str) -> None:
        # After the deposit went "ready" (another store than the case-service outbox): a crash before the
        # write is queued is finished by `recover`; the key makes a repeat one write.
        try:
            self._cases.mark_ready_for_pickup(case_id, compartment.id, key=f"ready-{deposit_id}")
        except CaseError:
            log.exception("case %s: could not mark ready for pickup", case_id)
            return
        self._repository.audit(
            CASE_TOLD_READY, actor=actor, compartment_id=compartment.id, deposit_id=deposit_id
        )

    def _issue_pickup_secrets(self, deposit: Deposit, compartment: Compartment, now: float) -> PickupNotice:
        code = self._unique_code(compartment.bank_id)
        qr = codes.new_qr_token(deposit.id)
        self._repository.transition(
            deposit.id,
            ["ready"],
            "ready",
            code_hash=codes.code_hash(self._secret, compartment.bank_id, code),
            qr_hash=codes.secret_hash(self._secret, deposit.id, qr.secret),
            code_expires=now + self.policy.code_valid_days * DAY,
        )
        phone = self._cipher.decrypt(deposit.contact) if deposit.contact else ""
        text = (
            f"【政务服务】您的办件结果已存入自助柜 {compartment.bank_id} 第 {compartment.number} 格。"
            f"取件码 {code}，{int(self.policy.code_valid_days)} 天内有效，仅限一次。也可刷身份证或扫码取件。"
        )
        if phone:
            self._outbox.enqueue(phone, text, now, qr=qr.text())
        self._repository.audit(
            PICKUP_CODE_ISSUED,
            actor="controller",
            compartment_id=compartment.id,
            deposit_id=deposit.id,
            to=mask_phone(phone),
        )
        notice = PickupNotice(deposit.id, code, qr.text())
        self.last_notice = notice
        return notice

    def _unique_code(self, bank_id: str) -> str:
        for _ in range(20):
            code = codes.new_code()
            taken = self._repository.deposits_where(
                deposits.c.code_hash == codes.code_hash(self._secret, bank_id, code),
                deposits.c.state.in_(["ready", "collecting"]),
            )
            if not taken:
                return code
        raise LockerError("could not draw a unique pickup code")

    # -- pickup ------------------------------------------------------------------------------------------
    def pickup_by_code(self, bank_id: str, entered: str, *, source: str | None = None) -> Compartment:
        """`source`: who typed it, for the wrong-attempt limit ("http:<address>", "kiosk:<id>"...); None
        for the bank's own keypad."""
        scopes = self._scopes(bank_id, source)
        self._check_source(scopes, source)
        try:
            hashed = codes.code_hash(self._secret, bank_id, entered)
        except codes.CodeFormatError as err:
            self._fail(bank_id, source, scopes, "malformed code")
            raise LockerError(str(err), "wrong_code") from err
        found = self._pickable(
            deposits.c.bank_id == bank_id, deposits.c.code_hash == hashed, deposits.c.state.in_(PICKABLE)
        )
        if not found:
            # A spent code still counts as a wrong attempt, but is told as what it is.
            spent = self._repository.deposits_where(
                deposits.c.bank_id == bank_id, deposits.c.code_hash == hashed, deposits.c.state == "delivered"
            )
            self._fail(bank_id, source, scopes, "spent code" if spent else "wrong code")
            if spent:
                raise LockerError("此件已取走 (already collected)", "already_collected")
            raise LockerError("取件码不正确 (wrong pickup code)", "wrong_code")
        return self._collect(found[0], IdentifiedBy.CODE)

    def pickup_by_qr(self, bank_id: str, text: str, *, source: str | None = None) -> Compartment:
        """A right QR opens whatever the source's record (its 128-bit secret cannot be guessed)."""
        scopes = self._scopes(bank_id, source)
        try:
            token = codes.parse_qr(text)
        except codes.CodeFormatError as err:
            self._check_source(scopes, source)
            self._fail(bank_id, source, scopes, "not a pickup QR")
            raise LockerError(str(err), "wrong_qr") from err
        deposit = self._repository.deposit(token.deposit_id)
        valid = (
            deposit is not None
            and deposit.bank_id == bank_id
            and self._may_collect(deposit)
            and deposit.qr_hash is not None
            and codes.matches(
                deposit.qr_hash, codes.secret_hash(self._secret, token.deposit_id, token.secret)
            )
        )
        if not valid or deposit is None:
            self._check_source(scopes, source)
            spent = (
                deposit is not None
                and deposit.bank_id == bank_id
                and deposit.state == "delivered"
                and deposit.qr_hash is not None
                and codes.matches(
                    deposit.qr_hash, codes.secret_hash(self._secret, token.deposit_id, token.secret)
                )
            )
            self._fail(bank_id, source, [*scopes, f"deposit:{token.deposit_id}"], "wrong QR")
            if spent:
                raise LockerError("此件已取走 (already collected)", "already_collected")
            raise LockerError("二维码无效 (this QR does not open a compartment here)", "wrong_qr")
        return self._collect(deposit, IdentifiedBy.QR)

    def pickup_by_id_card(self, bank_id: str, id_number: str, *, source: str | None = None) -> Compartment:
        """The ID number comes from a card reader a kiosk or a clerk vouched for (over HTTP)."""
        return self.pickup_by_id_hash(bank_id, codes.id_number_hash(self._id_key, id_number), source=source)

    def pickup_by_id_hash(self, bank_id: str, id_hash: str, *, source: str | None = None) -> Compartment:
        """An ID card read at the bank, as the gateway's keyed hash (the number never reaches us). A card
        with a result here always opens; cards with nothing here count as wrong attempts of the source."""
        found = self._pickable(
            deposits.c.bank_id == bank_id, deposits.c.id_hash == id_hash, deposits.c.state.in_(PICKABLE)
        )
        if not found:
            scopes = self._scopes(bank_id, source)
            self._check_source(scopes, source)
            self._fail(bank_id, source, scopes, "no result for this ID card")
            raise LockerError(
                "此身份证在本柜没有待取件 (nothing to collect here for this ID card)", "nothing_for_id_card"
            )
        return self._collect(found[0], IdentifiedBy.ID_CARD)

    def _pickable(self, *where: Any) -> list[Deposit]:
        return [deposit for deposit in self._repository.deposits_where(*where) if self._may_collect(deposit)]

    def _may_collect(self, deposit: Deposit) -> bool:
        """Ready, or a pickup that stalled before its door opened (see `LockerPolicy`)."""
        if deposit.state == "ready":
            return True
        since = (deposit.receipt or {}).get("since")
        return (
            deposit.state == "collecting"
            and isinstance(since, int | float)
            and self._clock() - since > self.policy.stalled_pickup_seconds
        )

    @staticmethod
    def _scopes(bank_id: str, source: str | None) -> list[str]:
        """Where a wrong attempt counts: its source (the bank's keypad when None), and the bank."""
        return [f"source:{bank_id}:{source or 'keypad'}", f"bank:{bank_id}"]

    def _source_policy(self, source: str | None) -> AttemptPolicy:
        return self.policy.at_the_bank if source is None else self.policy.per_source

    def _verdict(self, scope: str, policy: AttemptPolicy) -> Verdict:
        now = self._clock()
        since = now - max(policy.window_seconds, policy.lockout_seconds) * 2
        return judge(self._repository.failures(scope, since), now, policy)

    def _check_source(self, scopes: list[str], source: str | None) -> None:
        verdict = self._verdict(scopes[0], self._source_policy(source))
        if not verdict.allowed:
            raise LockedOutError(verdict.retry_after)

    def _fail(self, bank_id: str, source: str | None, scopes: list[str], why: str) -> None:
        now = self._clock()
        # An alarm when this failure locks this source out, starts a burst at the bank, or makes one
        # deposit targeted: once when a limit trips, not again for every wrong attempt while it holds.
        policies = [self._source_policy(source), self.policy.per_bank, self.policy.per_case]
        limits = list(zip(scopes, policies, strict=False))
        held = {scope for scope, policy in limits if not self._verdict(scope, policy).allowed}
        self._repository.record_failure(scopes, now)
        self._repository.audit(
            "pickup_refused", actor="applicant", now=now, why=why, source=source or "keypad"
        )
        tripped = [
            scope
            for scope, policy in limits
            if scope not in held and not self._verdict(scope, policy).allowed
        ]
        if tripped:
            log.warning("locker %s: wrong pickups (%s) from %s", bank_id, why, source or "its keypad")
            self._alarm(
                bank_id,
                PICKUP_GUESSING,
                f"repeated wrong pickups ({why}) from {source or 'the bank keypad'}",
            )

    def _collect(self, deposit: Deposit, how: IdentifiedBy) -> Compartment:
        now = self._clock()
        if (
            deposit.code_expires is not None
            and now > deposit.code_expires
            and how is not IdentifiedBy.ID_CARD
        ):
            raise LockerError(
                "取件码已过期，请到窗口领取 (the code has expired: please ask at the window)", "code_expired"
            )
        if deposit.state == "collecting":
            log.warning(
                "locker %s: a stalled pickup of case %s opened again", deposit.compartment_id, deposit.case_id
            )
        if not self._repository.transition(
            deposit.id, [deposit.state], "collecting", receipt={"identified_by": how, "since": now}
        ):
            raise LockerError("this pickup is already in progress or done", "pickup_in_progress")
        self._repository.clear_failures(f"deposit:{deposit.id}")
        compartment = self._repository.compartment(deposit.compartment_id)
        assert compartment is not None
        self._open(compartment, deposit, actor=f"applicant:{how.value}", reason="pickup")
        return compartment

    def _pickup_closed(self, compartment: Compartment, deposit: Deposit, occupied: bool, now: float) -> None:
        if occupied:
            # Door shut with the result still inside: a fresh code, the old one is spent.
            self._repository.transition(deposit.id, ["collecting"], "ready")
            self._repository.audit("pickup_not_taken", actor="gateway", compartment_id=compartment.id)
            fresh = self._repository.deposit(deposit.id)
            assert fresh is not None
            self._issue_pickup_secrets(fresh, compartment, now)
            return
        identified_by = (deposit.receipt or {}).get("identified_by", "unknown")
        receipt: dict[str, Any] = {
            "document": "电子送达回证",
            "case_id": deposit.case_id,
            "delivered_at": now,
            "delivered_at_iso": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
            "locker": compartment.bank_id,
            "compartment": compartment.number,
            "identified_by": identified_by,
            "deposited_at": deposit.deposited,
        }
        if not self._repository.transition(
            deposit.id, ["collecting"], "delivered", delivered=now, receipt=receipt
        ):
            return
        self._finish_delivery(compartment, deposit.id, deposit.case_id, receipt, actor="gateway")

    def _finish_delivery(
        self, compartment: Compartment, deposit_id: str, case_id: str, receipt: dict[str, Any], *, actor: str
    ) -> None:
        # After the deposit went "delivered": the compartment freed, the audit entry, the case service told.
        # A crash in between is finished by `recover` at the next start.
        self._repository.set_compartment_state(compartment.id, "free", None)
        self._repository.audit(
            "delivered",
            actor=actor,
            compartment_id=compartment.id,
            deposit_id=deposit_id,
            how=receipt.get("identified_by", "unknown"),
        )
        try:
            self._cases.mark_delivered(case_id, receipt, key=f"deliver-{deposit_id}")
        except CaseError:
            log.exception("case %s: delivered at the locker but not yet recorded", case_id)

    def recover(self) -> int:
        """Finishes what a crash cut short; called at start, returns how many it finished.

        - a deposit already "delivered" whose compartment still holds it (the controller died between
          the two writes): the compartment is freed and the case service told;
        - a deposit "ready" whose case-service write was never queued: it is queued now, and the
          applicant's notice (code and SMS) issued if that had not happened either.
        """
        recent = self._clock() - 7 * 86400  # older ones were finished long ago, or looked at by a person
        return self._recover_deposits(recent) + self._recover_deliveries(recent)

    def _recover_deposits(self, recent: float) -> int:
        ready = self._repository.deposits_where(deposits.c.state == "ready", deposits.c.deposited > recent)
        ids = [deposit.id for deposit in ready]
        told = self._repository.audited(CASE_TOLD_READY, ids)
        notified = self._repository.audited(PICKUP_CODE_ISSUED, ids)
        finished = 0
        for deposit in ready:
            compartment = self._repository.compartment(deposit.compartment_id)
            if deposit.id in told or compartment is None or compartment.deposit_id != deposit.id:
                continue
            log.warning(
                "locker %s: finishing the deposit of case %s cut short", compartment.id, deposit.case_id
            )
            if deposit.id not in notified:
                self._issue_pickup_secrets(deposit, compartment, self._clock())
            self._tell_ready(compartment, deposit.id, deposit.case_id, actor="recovery")
            finished += 1
        return finished

    def _recover_deliveries(self, recent: float) -> int:
        finished = 0
        for deposit in self._repository.deposits_where(
            deposits.c.state == "delivered", deposits.c.delivered > recent
        ):
            compartment = self._repository.compartment(deposit.compartment_id)
            if compartment is None or compartment.deposit_id != deposit.id:
                continue
            log.warning(
                "locker %s: finishing the delivery of case %s cut short", compartment.id, deposit.case_id
            )
            self._finish_delivery(
                compartment, deposit.id, deposit.case_id, deposit.receipt or {}, actor="recovery"
            )
            finished += 1
        return finished

    # -- alarms, admin, lists ----------------------------------------------------------------------------
    def on_door_event(
        self, bank_id: str, kind: str, number: int, occupied: bool | None, *, seen: float | None = None
    ) -> None:
        """One door event from a locker gateway (the contract's ``evt/door``); `seen`: when the gateway
        saw it (Unix time), None from gateways that do not say."""
        if seen is not None and kind in {"opened", "closed"} and self._stale(bank_id, number, kind, seen):
            return
        if kind == "closed":
            self.door_closed(bank_id, number, bool(occupied))
        elif kind in {"unsolicited_open", "door_left_open"}:
            self.door_alarm(bank_id, number, kind)
        elif kind == "opened":
            compartment = self._compartment(bank_id, number)
            if not self._unlocked_recently(compartment, seen):
                self._door_opened_unasked(compartment)
                return
            self._repository.audit("door_opened", actor="gateway", compartment_id=compartment.id)
        else:
            log.warning("locker %s: unknown door event %r ignored", bank_id, kind)

    def _stale(self, bank_id: str, number: int, kind: str, seen: float) -> bool:
        """An opening or closing seen before the compartment's last unlock belongs to an earlier phase: the
        gateway held it (broker outage) while its retained state, already applied, overtook it. Applied
        now it would end the new phase (a deposit cancelled while its door stands open)."""
        compartment = self._compartment(bank_id, number)
        unlocked = self._repository.last_unlock_at(compartment.id)
        if unlocked is None or seen >= unlocked - STALE_EVENT_SKEW:
            return False
        log.warning(
            "locker %s: door %s seen %.1f s before the last unlock: stale, ignored",
            compartment.id,
            kind,
            unlocked - seen,
        )
        self._repository.audit(
            "door_event_stale", actor="gateway", compartment_id=compartment.id, change=kind, seen=seen
        )
        return True

    def _unlocked_recently(self, compartment: Compartment, seen: float | None) -> bool:
        """Whether this controller sent an unlock for the compartment shortly before the door opened, one
        that no earlier opening answered."""
        unlocked = self._repository.last_unlock_at(compartment.id)
        moment = seen if seen is not None else time.time()  # audit time, as `_open` records the unlock
        if unlocked is None or moment - unlocked > UNLOCK_OPENS_WITHIN:
            return False
        if self._unlock_used.get(compartment.id) == unlocked:
            return False
        self._unlock_used[compartment.id] = unlocked
        return True

    def _door_opened_unasked(self, compartment: Compartment) -> None:
        """Not recorded as an opening (it opens no deposit or pickup phase): audited and alarmed."""
        self._repository.audit(
            "alarm_door_opened_without_unlock", actor="gateway", compartment_id=compartment.id
        )
        log.error("locker %s: door opened with no unlock from this controller", compartment.id)
        if not self._same_opening(compartment.id, DOOR_OPENED_WITHOUT_UNLOCK):
            self._alarm(
                compartment.bank_id,
                DOOR_OPENED_WITHOUT_UNLOCK,
                f"第 {compartment.number} 格: door opened without an unlock from the controller",
            )

    def _same_opening(self, compartment_id: str, code: str) -> bool:
        """Whether the other report of an unasked opening already raised this opening's alarm."""
        now = self._clock()
        earlier = self._opening_alarmed.pop(compartment_id, None)
        if earlier is not None and earlier[0] != code and now - earlier[1] <= SAME_OPENING_SECONDS:
            return True
        self._opening_alarmed[compartment_id] = (code, now)
        return False

    def alarm_unconfirmed_closing(self, bank_id: str, number: int, occupied: bool) -> None:
        """A "closed" event the bank's own state never confirmed: not applied; audited and alarmed."""
        compartment = self._compartment(bank_id, number)
        self._repository.audit(
            "alarm_door_event_unconfirmed", actor="gateway", compartment_id=compartment.id, occupied=occupied
        )
        log.error("locker %s: a closed event the bank's state does not confirm, not applied", compartment.id)
        self._alarm(
            bank_id,
            DOOR_EVENT_UNCONFIRMED,
            f"第 {number} 格: a 'closed' door event the bank's state contradicts was not applied",
        )

    def door_alarm(self, bank_id: str, number: int, alarm: str) -> None:
        """`alarm` from the gateway: unsolicited_open, door_left_open. Audited, and raised as an alarm on the
        bank whether or not the gateway also lists a health issue in its state."""
        compartment = self._compartment(bank_id, number)
        self._repository.audit(f"alarm_{alarm}", actor="gateway", compartment_id=compartment.id)
        log.warning("locker %s compartment %d: %s", bank_id, number, alarm)
        code = DOOR_ALARMS[alarm]
        if code == DOOR_UNSOLICITED_OPEN and self._same_opening(compartment.id, code):
            return
        what = "opened with no unlock" if alarm == "unsolicited_open" else "left open"
        self._alarm(bank_id, code, f"第 {number} 格: door {what}")

    def admin_open(self, bank_id: str, number: int, admin: str, reason: str) -> None:
        if len(reason.strip()) < 4:
            raise LockerError("a remote opening needs a reason")
        compartment = self._compartment(bank_id, number)
        deposit = self._repository.deposit(compartment.deposit_id) if compartment.deposit_id else None
        self._repository.audit(
            "admin_open", actor=admin, compartment_id=compartment.id, reason=reason.strip()
        )
        self._open(compartment, deposit, actor=admin, reason="admin")

    def return_to_window(self, bank_id: str, number: int, staff: str) -> None:
        """Staff take an uncollected result back to the window: the door opens, the result comes out."""
        compartment = self._compartment(bank_id, number)
        deposit = self._repository.deposit(compartment.deposit_id) if compartment.deposit_id else None
        if deposit is None or not self._repository.transition(deposit.id, ["ready"], "returning"):
            raise LockerError(f"compartment {number} holds no result waiting for pickup")
        self._open(compartment, deposit, actor=staff, reason="return")

    def uncollected(self, days: float | None = None) -> list[Deposit]:
        cutoff = self._clock() - (days if days is not None else self.policy.uncollected_after_days) * DAY
        return self._repository.deposits_where(deposits.c.state == "ready", deposits.c.deposited < cutoff)

    def reconcile(self, bank_id: str, doors: dict[int, tuple[bool, bool]]) -> None:
        """Settles what the door events may have missed, from the bank's state: `doors` maps number →
        (open, occupied) as read now, for the compartments whose board is reachable.

        - a compartment left "unknown" by a board that did not answer is settled once it reads closed;
        - a lost "closed" event: a deposit whose door reads closed with the item seen, or a pickup whose
          door reads closed and empty, ends as the event would have ended it. Occupancy only changes one
          way in each phase, so a reading from before the door opened can never end it early.
        """
        for compartment in self._repository.compartments(bank_id):
            seen = doors.get(compartment.number)
            if seen is None or seen[0]:
                continue
            occupied = seen[1]
            if compartment.state == "unknown":
                self.door_closed(bank_id, compartment.number, occupied)
                continue
            deposit = self._repository.deposit(compartment.deposit_id) if compartment.deposit_id else None
            if deposit is None:
                continue
            if (deposit.state == "depositing" and occupied) or (
                deposit.state == "collecting" and not occupied
            ):
                log.info("locker %s: settling a missed door event from the bank's state", compartment.id)
                self.door_closed(bank_id, compartment.number, occupied)

    def _compartment(self, bank_id: str, number: int) -> Compartment:
        compartment = self._repository.compartment(f"{bank_id}/{number:02d}")
        if compartment is None:
            raise LockerError(f"locker {bank_id} has no compartment {number}")
        return compartment
