"""Who may publish and subscribe where: the broker ACL of the contract, one set of rules for Mosquitto's
acl file (hall_controller.mosquitto_acl) and the embedded broker's topic check (hall.broker).

- A device (user ``<hall>/<device>``) writes only its own status, desc, state, evt/+ and resp, reads only
  its own cmd/+, and reads every controller's status (to re-announce at its birth).
- A hall's controller (user ``<hall>/$controller``) reads and writes its own hall's tree, and writes
  Home Assistant's discovery topics.
- Anyone else: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.protocol import topics

BASE = f"{topics.ROOT}/{topics.VERSION}"
DEVICE_WRITES = ("status", "desc", "state", "evt/+", "resp")
DEVICE_READS = ("cmd/+",)
CONTROLLER_STATUS_ANY_HALL = f"{BASE}/+/{topics.CONTROLLER_ID}/status"


@dataclass(frozen=True)
class Rules:
    reads: tuple[str, ...]
    writes: tuple[str, ...]


def rules_for(username: str | None) -> Rules:
    """The topic filters `username` may read and write; none for an unknown shape or no user."""
    if not username or username.count("/") != 1:
        return Rules((), ())
    hall, device = username.split("/")
    try:
        topics.check_segment(hall, "hall id")
        if device != topics.CONTROLLER_ID:
            topics.check_segment(device, "device id")
    except topics.TopicError:
        return Rules((), ())
    if device == topics.CONTROLLER_ID:
        tree = f"{BASE}/{hall}/#"
        return Rules(reads=(tree,), writes=(tree, "homeassistant/#"))
    own = f"{BASE}/{hall}/{device}"
    return Rules(
        reads=(*(f"{own}/{channel}" for channel in DEVICE_READS), CONTROLLER_STATUS_ANY_HALL),
        writes=tuple(f"{own}/{channel}" for channel in DEVICE_WRITES),
    )


def covers(rule: str, wanted: str) -> bool:
    """True when every topic `wanted` (a topic, or a subscription's filter) can match lies within `rule`."""
    rule_parts, wanted_parts = rule.split("/"), wanted.split("/")
    for index, part in enumerate(rule_parts):
        if part == "#":
            return True
        if index >= len(wanted_parts):
            return False
        if wanted_parts[index] == "#" or (part != "+" and part != wanted_parts[index]):
            return False
    return len(rule_parts) == len(wanted_parts)


def may_read(username: str | None, topic_filter: str) -> bool:
    return any(covers(rule, topic_filter) for rule in rules_for(username).reads)


def may_write(username: str | None, topic: str) -> bool:
    return any(covers(rule, topic) for rule in rules_for(username).writes)


def mosquitto_acl(halls: list[str]) -> str:
    """The same rules as Mosquitto `pattern` lines (with %u) plus one `user` block per controller."""
    lines = [
        "# Devices: user name <hall>/<device>; each writes only its own topics and reads its own commands.",
        *(f"pattern write {BASE}/%u/{channel}" for channel in DEVICE_WRITES),
        *(f"pattern read {BASE}/%u/{channel}" for channel in DEVICE_READS),
        "# Every device hears its controller's birth and death (to re-announce).",
        f"pattern read {CONTROLLER_STATUS_ANY_HALL}",
        "",
    ]
    for hall in sorted(set(halls)):
        lines += [
            f"user {hall}/{topics.CONTROLLER_ID}",
            f"topic readwrite {BASE}/{hall}/#",
            "topic write homeassistant/#",
            "",
        ]
    return "\n".join(lines)
