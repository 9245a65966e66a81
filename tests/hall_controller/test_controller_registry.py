"""The registry's rules, driven by a hand-held clock: no broker, no threads."""

from __future__ import annotations

import threading

from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import Description, Presence, State, Status
from hall_controller.registry import SWEEP_CHUNK, Availability, DeviceRegistry


def describe(instance: str, heartbeat: float = 1.0) -> Description:
    return Description(
        instance=instance, kind="evaluator", model="m", firmware="f", heartbeat_seconds=heartbeat
    )


def online(registry: DeviceRegistry, instance: str = "a", now: float = 0.0) -> None:
    registry.on_description("dev", describe(instance), now)
    registry.on_status("dev", Status(status=Presence.ONLINE, instance=instance), now)


class CountingLock:
    """The registry's lock, counting how often it is taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.holds = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self.holds += 1

    def __exit__(self, *_: object) -> None:
        self._lock.release()


def test_a_sweep_of_a_big_hall_lets_go_of_the_lock_between_chunks() -> None:
    # Every message waits for this lock: one hold for 2,000 devices kept a clerk's key waiting ~1 ms.
    registry = DeviceRegistry(missed=3)
    for index in range(2000):
        registry.on_description(f"d{index}", describe("a"), 0.0)
        registry.on_status(f"d{index}", Status(status=Presence.ONLINE, instance="a"), 0.0)
    for index in range(1000):  # half of them beat later
        registry.on_sequenced(f"d{index}", "a", 1, 2.0)
    lock = CountingLock()
    registry._lock = lock  # type: ignore[assignment]
    expired = registry.expire(3.5)
    assert sorted(r.device_id for r in expired) == sorted(f"d{index}" for index in range(1000, 2000))
    assert lock.holds >= 2000 // SWEEP_CHUNK


def test_announce_makes_an_online_device_of_the_described_kind() -> None:
    registry = DeviceRegistry()
    online(registry)
    record = registry.get("dev")
    assert record is not None
    assert (record.kind, record.availability) == ("evaluator", Availability.ONLINE)


def test_silence_longer_than_missed_heartbeats_is_offline_and_speaking_revives() -> None:
    registry = DeviceRegistry(missed=3)
    online(registry)
    assert registry.expire(2.9) == []
    expired = registry.expire(3.1)
    assert [r.device_id for r in expired] == ["dev"]
    assert expired[0].availability is Availability.OFFLINE
    assert registry.expire(10) == []  # reported once
    observation = registry.on_sequenced("dev", "a", 1, 11)
    assert observation.changed and observation.record.availability is Availability.ONLINE


def test_offline_status_is_not_undone_by_a_late_heartbeat() -> None:
    registry = DeviceRegistry()
    online(registry)
    registry.on_status("dev", Status(status=Presence.OFFLINE, instance="a"), 1)
    registry.on_sequenced("dev", "a", 5, 1.1)
    record = registry.get("dev")
    assert record is not None and record.availability is Availability.OFFLINE


def test_sequence_gap_is_noticed_but_reordering_is_not_a_gap() -> None:
    registry = DeviceRegistry()
    online(registry)
    assert not registry.on_sequenced("dev", "a", 1, 0).gap
    assert not registry.on_sequenced("dev", "a", 2, 0).gap
    assert registry.on_sequenced("dev", "a", 5, 0).gap
    assert not registry.on_sequenced("dev", "a", 4, 0).gap
    assert not registry.on_sequenced("dev", "a", 6, 0).gap
    record = registry.get("dev")
    assert record is not None and record.gaps == 1


def test_a_restart_is_a_new_instance_not_a_duplicate() -> None:
    registry = DeviceRegistry()
    online(registry, "a")
    registry.on_sequenced("dev", "a", 7, 0)
    observation = registry.on_sequenced("dev", "b", 1, 1)
    assert not observation.gap and not observation.new_duplicate
    # the old instance's last will arriving late changes nothing
    late = registry.on_status("dev", Status(status=Presence.OFFLINE, instance="a"), 2)
    assert late.stale
    record = registry.get("dev")
    assert record is not None and record.availability is Availability.ONLINE and not record.duplicate


def test_instances_alternating_means_a_duplicate_id_reported_once() -> None:
    registry = DeviceRegistry()
    online(registry, "a")
    registry.on_sequenced("dev", "b", 1, 1)
    first = registry.on_sequenced("dev", "a", 2, 2)
    assert first.new_duplicate and first.stale
    again = registry.on_sequenced("dev", "a", 3, 3)
    assert not again.new_duplicate
    record = registry.get("dev")
    assert record is not None and record.duplicate


def test_state_carries_health_issues() -> None:
    registry = DeviceRegistry()
    online(registry)
    state = State(instance="a", seq=1, ts=0, issues=[issue(HealthCode.PAPER_OUT)], data={"paper": 0})
    record = registry.on_state("dev", state, 0).record
    assert [i.code for i in record.issues] == ["paper-out"]
    assert registry.counts()[Availability.ONLINE] == 1


def test_a_resent_event_is_seen_once_and_an_older_unseen_one_is_not_a_repeat() -> None:
    registry = DeviceRegistry()
    assert registry.first_sighting("keypad-1", "inst-a", 5)
    assert registry.first_sighting("keypad-1", "inst-a", 7)
    assert not registry.first_sighting("keypad-1", "inst-a", 5)  # resent after a broker crash
    assert registry.first_sighting("keypad-1", "inst-a", 6)  # older, never seen: handled
    assert registry.first_sighting("keypad-1", "inst-b", 5)  # a restarted device numbers afresh
    assert registry.first_sighting("keypad-2", "inst-c", 5)


def test_an_older_state_of_the_same_instance_does_not_roll_the_data_back() -> None:
    registry = DeviceRegistry()
    online(registry)
    newer = State(instance="a", seq=5, ts=5, data={"paper": "ok"})
    older = State(instance="a", seq=3, ts=3, issues=[issue(HealthCode.PAPER_OUT)], data={"paper": "out"})
    registry.on_state("dev", newer, 5)
    replayed = registry.on_state("dev", older, 6)
    assert replayed.stale and not replayed.changed
    record = registry.get("dev")
    assert record is not None and record.state == newer and record.issues == ()
    # the same state delivered again (a retained message after a resubscribe) is still the state
    assert not registry.on_state("dev", newer, 7).stale
    # an older instance's will does not take the live instance offline (nor its state)
    registry.on_sequenced("dev", "b", 1, 8)
    assert registry.on_status("dev", Status(status=Presence.OFFLINE, instance="a"), 9).stale
    assert registry.on_state("dev", older, 9).stale
    record = registry.get("dev")
    assert record is not None and record.availability is Availability.ONLINE
