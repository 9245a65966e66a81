"""The hall's devices as they announce themselves: pure bookkeeping, no I/O.

Every method takes the current time, so tests drive it with any clock. Rules:

- a device exists once it said anything; ``desc`` gives kind and heartbeat, ``state`` its health;
- ``online`` comes from the retained status; ``offline`` from the status (the last will) or from
  silence longer than `missed` heartbeats;
- sequence numbers are per instance; a jump forward is a gap (the caller asks for a re-announce);
- an event whose (instance, seq) was seen lately is a repeat (a device resends what was in flight when
  the broker went away) and is not handled again;
- a device restarts with a new instance id and never returns to an old one: a message from an
  instance seen before the current one means two devices share the id (a duplicate).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from enum import StrEnum

from devices.protocol.payloads import Description, HealthIssue, Presence, State, Status

INSTANCES_REMEMBERED = 8
EVENTS_REMEMBERED = 256  # per device: far more than a device has in flight around a broker restart


class Availability(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    availability: Availability = Availability.UNKNOWN
    offline_reason: str = ""
    instance: str = ""
    kind: str = "unknown"
    description: Description | None = None
    state: State | None = None
    issues: tuple[HealthIssue, ...] = ()
    last_seen: float = 0.0
    last_seq: int = -1
    gaps: int = 0
    duplicate: bool = False
    previous_instances: tuple[str, ...] = ()

    @property
    def heartbeat_seconds(self) -> float | None:
        return self.description.heartbeat_seconds if self.description else None


@dataclass(frozen=True)
class Observation:
    """What one message changed, for the caller to act on."""

    record: DeviceRecord
    changed: bool = False
    gap: bool = False
    new_duplicate: bool = False
    stale: bool = False


SWEEP_CHUNK = 128  # devices looked at per hold of the registry's lock when sweeping for silence


@dataclass
class DeviceRegistry:
    default_heartbeat: float = 10.0
    missed: int = 3
    _devices: dict[str, DeviceRecord] = field(default_factory=dict)
    # The hot path (a heartbeat in sequence from the current instance) only notes time and seq here;
    # they are folded into the record when anything else touches it.
    _beats: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Per device: the instance and the sequence numbers of its latest events (oldest first).
    _events_seen: dict[str, tuple[str, OrderedDict[int, None]]] = field(default_factory=dict)

    # Messages ----------------------------------------------------------------------------------------

    def on_status(self, device_id: str, status: Status, now: float) -> Observation:
        with self._lock:
            record = self._get(device_id)
            if status.status is Presence.OFFLINE and record.instance and status.instance != record.instance:
                # The last will of an instance that was already replaced: old news.
                return Observation(record, stale=True)
            record, duplicate, stale = self._touch_instance(record, status.instance, now)
            if stale:
                return Observation(record, new_duplicate=duplicate, stale=True)
            availability = Availability(status.status.value)
            reason = "last will or clean stop" if availability is Availability.OFFLINE else ""
            changed = availability is not record.availability
            if availability is Availability.ONLINE and changed:
                record = replace(record, last_seq=-1)
            record = replace(record, availability=availability, offline_reason=reason)
            self._devices[device_id] = record
            return Observation(record, changed=changed, new_duplicate=duplicate)

    def on_description(self, device_id: str, description: Description, now: float) -> Observation:
        with self._lock:
            record, duplicate, stale = self._touch_instance(self._get(device_id), description.instance, now)
            if stale:
                return Observation(record, new_duplicate=duplicate, stale=True)
            record = replace(record, description=description, kind=description.kind)
            self._devices[device_id] = record
            return Observation(record, changed=True, new_duplicate=duplicate)

    def on_state(self, device_id: str, state: State, now: float) -> Observation:
        with self._lock:
            record, duplicate, stale = self._touch_instance(self._get(device_id), state.instance, now)
            if stale:
                return Observation(record, new_duplicate=duplicate, stale=True)
            held = record.state
            if held is not None and held.instance == state.instance and state.seq < held.seq:
                # An older state of this instance (a replay, or one overtaken on the way): the device's
                # data must not roll back.
                return Observation(record, stale=True)
            record, gap = self._sequence(record, state.seq)
            record = self._revive(replace(record, state=state, issues=tuple(state.issues)))
            self._devices[device_id] = record
            return Observation(record, changed=True, gap=gap, new_duplicate=duplicate)

    def on_sequenced(self, device_id: str, instance: str, seq: int, now: float) -> Observation:
        """A heartbeat or an event: proof of life, and a sequence number to check."""
        with self._lock:
            record = self._devices.get(device_id)
            if (
                record is not None
                and record.instance == instance
                and record.availability is not Availability.OFFLINE
            ):
                last_seq = self._beats.get(device_id, (0.0, record.last_seq))[1]
                if last_seq < 0 or seq == last_seq + 1:
                    self._beats[device_id] = (now, seq)
                    return Observation(record)
            record, duplicate, stale = self._touch_instance(self._get(device_id), instance, now)
            if stale:
                return Observation(record, new_duplicate=duplicate, stale=True)
            record, gap = self._sequence(record, seq)
            revived = self._revive(record)
            self._devices[device_id] = revived
            return Observation(revived, changed=revived is not record, gap=gap, new_duplicate=duplicate)

    def first_sighting(self, device_id: str, instance: str, seq: int) -> bool:
        """False for an event already seen (same instance and seq): a resend, not a second press."""
        with self._lock:
            remembered = self._events_seen.get(device_id)
            if remembered is None or remembered[0] != instance:
                remembered = (instance, OrderedDict())
                self._events_seen[device_id] = remembered
            seen = remembered[1]
            if seq in seen:
                return False
            seen[seq] = None
            if len(seen) > EVENTS_REMEMBERED:
                seen.popitem(last=False)
            return True

    # Time ----------------------------------------------------------------------------------------------

    def expire(self, now: float) -> list[DeviceRecord]:
        """Marks offline every online device silent for longer than `missed` heartbeats.

        In chunks of `SWEEP_CHUNK` devices, each under the lock: the whole sweep held it 0.5–1.2 ms a
        second in a 2,000-device hall, and every message (a clerk's key too) waited for it.
        """
        with self._lock:
            device_ids = list(self._devices)
        expired = []
        for start in range(0, len(device_ids), SWEEP_CHUNK):
            expired += self._expire_some(device_ids[start : start + SWEEP_CHUNK], now)
        return expired

    def _expire_some(self, device_ids: list[str], now: float) -> list[DeviceRecord]:
        expired = []
        with self._lock:
            for device_id in device_ids:
                stored = self._devices.get(device_id)
                if stored is None or stored.availability is not Availability.ONLINE:
                    continue
                beat = self._beats.get(device_id)
                last_seen = beat[0] if beat is not None else stored.last_seen
                interval = stored.heartbeat_seconds or self.default_heartbeat
                if now - last_seen > interval * self.missed:
                    # Folded only when it expires: copying every record each sweep held the lock ~20 ms
                    # a second in a 2,000-device hall, and every message waited.
                    record = self._fold(stored)
                    silent = replace(
                        record,
                        availability=Availability.OFFLINE,
                        offline_reason=f"no heartbeat for {now - record.last_seen:.0f} s",
                    )
                    self._devices[device_id] = silent
                    self._beats.pop(device_id, None)
                    expired.append(silent)
        return expired

    # Reading -------------------------------------------------------------------------------------------

    def get(self, device_id: str) -> DeviceRecord | None:
        with self._lock:
            record = self._devices.get(device_id)
            return None if record is None else self._fold(record)

    def snapshot(self) -> list[DeviceRecord]:
        with self._lock:
            records = [self._fold(record) for record in self._devices.values()]
        return sorted(records, key=lambda record: (record.kind, record.device_id))

    def __len__(self) -> int:
        return len(self._devices)

    def counts(self) -> dict[Availability, int]:
        totals = dict.fromkeys(Availability, 0)
        with self._lock:
            for record in self._devices.values():
                totals[record.availability] += 1
        return totals

    # Internals -----------------------------------------------------------------------------------------

    def _get(self, device_id: str) -> DeviceRecord:
        record = self._devices.get(device_id)
        if record is None:
            return DeviceRecord(device_id)
        folded = self._fold(record)
        self._beats.pop(device_id, None)
        return folded

    def _fold(self, record: DeviceRecord) -> DeviceRecord:
        beat = self._beats.get(record.device_id)
        if beat is None:
            return record
        return replace(record, last_seen=beat[0], last_seq=beat[1])

    def _touch_instance(
        self, record: DeviceRecord, instance: str, now: float
    ) -> tuple[DeviceRecord, bool, bool]:
        """Returns (record, newly found duplicate, message is from a superseded instance)."""
        if instance == record.instance:
            return replace(record, last_seen=now), False, False
        if instance in record.previous_instances:
            newly = not record.duplicate
            record = replace(record, duplicate=True)
            self._devices[record.device_id] = record
            return record, newly, True
        previous = (*record.previous_instances, record.instance)[-INSTANCES_REMEMBERED:]
        record = replace(
            record,
            instance=instance,
            previous_instances=tuple(item for item in previous if item),
            last_seq=-1,
            last_seen=now,
        )
        return record, False, False

    @staticmethod
    def _sequence(record: DeviceRecord, seq: int) -> tuple[DeviceRecord, bool]:
        if record.last_seq < 0 or seq == record.last_seq + 1:
            return replace(record, last_seq=seq), False
        if seq <= record.last_seq:
            return record, False  # late or repeated: not a gap
        return replace(record, last_seq=seq, gaps=record.gaps + 1), True

    @staticmethod
    def _revive(record: DeviceRecord) -> DeviceRecord:
        """A device that speaks is online again (e.g. after heartbeat loss), unless it said offline."""
        if record.availability is Availability.OFFLINE and record.offline_reason.startswith("no heartbeat"):
            return replace(record, availability=Availability.ONLINE, offline_reason="")
        return record
