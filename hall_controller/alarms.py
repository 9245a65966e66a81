"""Alarms: raised from device health issues or by the controller, acknowledged by a manager, kept as history.

An alarm is active until its condition clears (an event's is over from the start: EVENTS below); it needs
attention while active or unacknowledged.
Every change is written to the store before it is returned, so alarms survive a restart.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from devices.protocol.payloads import HealthIssue, Severity
from hall.privacy import scrub_text
from hall_controller.store import Collection

log = logging.getLogger(__name__)

# What an alarm marks, the one rule, decided per code.
# - A lasting condition (a device offline, a duplicate id, a health issue a device reports in its state)
#   stays active until it ends, and one alarm covers it however long it lasts: raising it again while it
#   is active adds nothing.
# - An event (something that happened and is over once seen) has no end to wait for. Held active, its
#   alarm would never clear and would swallow every later event of its kind on that device. So its alarm
#   is recorded closed (cleared when raised) and waits only for a manager's acknowledgement: each event
#   is an alarm of its own. Every code below is such an event; every other code is a condition.
EVENTS: dict[str, str] = {
    "door_unsolicited_open": "the gateway saw a door open that nobody unlocked",
    # the gateway's health issue `door-left-open` is the condition, while the door stands open
    "door_left_open": "a door stayed open too long after one opening",
    "door_opened_without_unlock": "a door opened with no unlock from this controller",
    "door_event_unconfirmed": "one 'closed' event the bank's own state contradicted, not applied",
    # raised when a limit trips, not on every wrong attempt after; the lockout itself ends by time
    "pickup_guessing": "a burst of wrong pickups tripped a limit",
    "foreign_command": "one command on the broker that this controller did not send",
}
# Unacknowledged event alarms kept per (device, code): a flood of forged events fills neither memory nor
# the store; beyond it an event is logged, not added (a manager already has this many to look at).
EVENTS_UNACKNOWLEDGED = 100


class Source(StrEnum):
    DEVICE = "device"  # a health issue the device reports in its state
    CONTROLLER = "controller"  # offline, duplicate id, ... decided by the controller
    EXTENSION = "extension"  # raised by an extension (a forced locker door, ...)


class AlarmError(LookupError):
    """No such alarm."""


@dataclass(frozen=True)
class Alarm:
    alarm_id: str
    device_id: str
    code: str
    severity: Severity
    message: str
    source: Source
    raised_at: float
    cleared_at: float | None = None
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def needs_attention(self) -> bool:
        return self.active or self.acknowledged_at is None

    @property
    def event(self) -> bool:
        """It marks an event, not a lasting condition (see EVENTS)."""
        return self.code in EVENTS

    def to_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Alarm:
        values = dict(document)
        values["severity"] = Severity(values["severity"])
        values["source"] = Source(values["source"])
        return cls(**values)


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


HISTORY_DAYS = 180
# Closed alarms (cleared and acknowledged) kept in memory for the history view; the store keeps them
# all for HISTORY_DAYS. Without a bound every closed alarm stayed in memory until the next restart.
CLOSED_IN_MEMORY = 500


class AlarmBook:
    def __init__(
        self,
        collection: Collection,
        history_days: float = HISTORY_DAYS,
        closed_in_memory: int = CLOSED_IN_MEMORY,
    ) -> None:
        self._collection = collection
        self._history_seconds = history_days * 86400
        self._closed_in_memory = closed_in_memory
        self._lock = threading.Lock()
        self._alarms: dict[str, Alarm] = {}
        self._active: dict[tuple[str, str], str] = {}  # (device, code) → alarm id
        self._closed: OrderedDict[str, None] = OrderedDict()  # closed alarm ids, oldest closed first

    def load(self, now: float | None = None) -> None:
        """Reads every alarm back, dropping closed ones (cleared, acknowledged) older than the history."""
        horizon = (time.time() if now is None else now) - self._history_seconds
        with self._lock:
            self._alarms, self._active, self._closed = {}, {}, OrderedDict()
            kept = []
            for key, document in self._collection.items():
                alarm = Alarm.from_document(document)
                if not alarm.needs_attention and (alarm.cleared_at or 0) < horizon:
                    self._collection.delete(key)
                    continue
                if alarm.event and alarm.active:  # kept active before events were alarms of their own
                    alarm = replace(alarm, cleared_at=alarm.raised_at)
                    self._collection.put(alarm.alarm_id, alarm.to_document())
                kept.append(alarm)
            for alarm in sorted(kept, key=_closed_at):  # the newest closed ones stay in memory
                self._remember(alarm)

    def raise_alarm(
        self, device_id: str, code: str, severity: Severity, message: str, *, source: Source, now: float
    ) -> Alarm | None:
        """Raises an alarm unless the same device already has it active; returns the new alarm. An event's
        alarm is new each time, recorded closed (EVENTS)."""
        message = scrub_text(message)
        with self._lock:
            if code in EVENTS:
                if self._unacknowledged(device_id, code) >= EVENTS_UNACKNOWLEDGED:
                    log.warning(
                        "alarm %s on %s not added: %d unacknowledged", code, device_id, EVENTS_UNACKNOWLEDGED
                    )
                    return None
                cleared: float | None = now
            elif self._find_active(device_id, code) is not None:
                return None
            else:
                cleared = None
            alarm = Alarm(secrets.token_hex(6), device_id, code, severity, message, source, now, cleared)
            log.warning("alarm %s %s on %s: %s", severity.value, code, device_id, message)
            return self._save(alarm)

    def clear(self, device_id: str, code: str, now: float) -> Alarm | None:
        with self._lock:
            alarm = self._find_active(device_id, code)
            return None if alarm is None else self._save(replace(alarm, cleared_at=now))

    def reconcile_issues(self, device_id: str, issues: Iterable[HealthIssue], now: float) -> list[Alarm]:
        """The device's reported issues become its device alarms: new ones raised, gone ones cleared."""
        wanted = {issue.code: issue for issue in issues}
        changed: list[Alarm] = []
        with self._lock:
            for alarm in list(self._alarms.values()):
                mine = alarm.device_id == device_id and alarm.source is Source.DEVICE
                if mine and alarm.active and alarm.code not in wanted:
                    changed.append(self._save(replace(alarm, cleared_at=now)))
            for code, issue in wanted.items():
                if self._find_active(device_id, code) is None:
                    alarm = Alarm(
                        secrets.token_hex(6),
                        device_id,
                        code,
                        issue.severity,
                        scrub_text(issue.message or code),
                        Source.DEVICE,
                        now,
                    )
                    log.warning("alarm %s %s on %s: %s", alarm.severity.value, code, device_id, alarm.message)
                    changed.append(self._save(alarm))
        return changed

    def acknowledge(self, alarm_id: str, by: str, now: float) -> Alarm:
        with self._lock:
            alarm = self._alarms.get(alarm_id)
            if alarm is None:
                raise AlarmError(f"no alarm {alarm_id!r}")
            if alarm.acknowledged_at is not None:
                return alarm
            log.info("alarm %s %s on %s acknowledged by %s", alarm.alarm_id, alarm.code, alarm.device_id, by)
            return self._save(replace(alarm, acknowledged_by=by, acknowledged_at=now))

    def get(self, alarm_id: str) -> Alarm | None:
        with self._lock:
            return self._alarms.get(alarm_id)

    def attention(self) -> list[Alarm]:
        """Active or unacknowledged, most severe first, newest first within a severity."""
        with self._lock:
            alarms = [alarm for alarm in self._alarms.values() if alarm.needs_attention]
        return sorted(alarms, key=lambda a: (SEVERITY_ORDER[a.severity], -a.raised_at))

    def history(self, limit: int = 200) -> list[Alarm]:
        """Newest first: those needing attention and the last `closed_in_memory` closed ones."""
        with self._lock:
            alarms = sorted(self._alarms.values(), key=lambda a: -a.raised_at)
        return alarms[:limit]

    def active_count(self) -> dict[Severity, int]:
        totals = dict.fromkeys(Severity, 0)
        with self._lock:
            for alarm in self._alarms.values():
                if alarm.active:
                    totals[alarm.severity] += 1
        return totals

    def unacknowledged_count(self) -> dict[Severity, int]:
        totals = dict.fromkeys(Severity, 0)
        with self._lock:
            for alarm in self._alarms.values():
                if alarm.acknowledged_at is None:
                    totals[alarm.severity] += 1
        return totals

    def acknowledged(self, limit: int) -> list[Alarm]:
        """The last `limit` closed alarms (over and acknowledged), newest acknowledgement first."""
        with self._lock:
            closed = [self._alarms[alarm_id] for alarm_id in reversed(self._closed)]
        return closed[:limit]

    def _unacknowledged(self, device_id: str, code: str) -> int:
        return sum(
            1
            for alarm in self._alarms.values()
            if alarm.device_id == device_id and alarm.code == code and alarm.acknowledged_at is None
        )

    def _find_active(self, device_id: str, code: str) -> Alarm | None:
        alarm_id = self._active.get((device_id, code))
        return None if alarm_id is None else self._alarms[alarm_id]

    def _save(self, alarm: Alarm) -> Alarm:
        # Committed at once (a killed controller loses none), fsynced by the store's flusher with whatever
        # else the moment wrote (docs/adr/0009): a put fsynced each alarm, so 2,000 devices going offline
        # at once held the store — and the queue's journal behind it — for 2,000 fsyncs.
        self._collection.append(alarm.alarm_id, alarm.to_document())
        self._remember(alarm)
        return alarm

    def held(self) -> int:
        """Alarms held in memory (for the memory tests)."""
        with self._lock:
            return len(self._alarms)

    def _remember(self, alarm: Alarm) -> None:
        self._alarms[alarm.alarm_id] = alarm
        key = (alarm.device_id, alarm.code)
        if alarm.active:
            self._active[key] = alarm.alarm_id
        elif self._active.get(key) == alarm.alarm_id:
            del self._active[key]
        if not alarm.needs_attention:  # closed for good: nothing reopens an alarm
            self._closed[alarm.alarm_id] = None
            while len(self._closed) > self._closed_in_memory:
                oldest, _ = self._closed.popitem(last=False)
                del self._alarms[oldest]


def _closed_at(alarm: Alarm) -> float:
    return max(alarm.raised_at, alarm.cleared_at or 0.0, alarm.acknowledged_at or 0.0)
