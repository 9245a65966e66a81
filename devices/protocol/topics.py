"""Every topic string of the contract is built and parsed here, and nowhere else.

Tree: ``hall/v1/<hall>/<device>/<channel>[/<name>]`` where channel is one of
status, state, desc, cmd/<name>, evt/<name>, resp. The controller itself is the device ``$controller``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

ROOT = "hall"
VERSION = "v1"
CONTROLLER_ID = "$controller"
_SEGMENT = re.compile(r"^\$?[a-z0-9][a-z0-9-]{0,62}$")


class Channel(StrEnum):
    STATUS = "status"
    STATE = "state"
    DESC = "desc"
    CMD = "cmd"
    EVT = "evt"
    RESP = "resp"


NAMED_CHANNELS = {Channel.CMD, Channel.EVT}


class TopicError(ValueError):
    """A topic outside the contract."""


def check_segment(value: str, what: str) -> str:
    if not _SEGMENT.match(value):
        raise TopicError(f"bad {what} {value!r}: lowercase letters, digits and '-', at most 63")
    return value


def topic(hall: str, device: str, channel: Channel, name: str | None = None) -> str:
    check_segment(hall, "hall id")
    check_segment(device, "device id")
    if (channel in NAMED_CHANNELS) != (name is not None):
        raise TopicError(f"channel {channel} {'needs' if channel in NAMED_CHANNELS else 'takes no'} name")
    base = f"{ROOT}/{VERSION}/{hall}/{device}/{channel.value}"
    return f"{base}/{check_segment(name, 'name')}" if name is not None else base


def hall_filter(hall: str, channel: Channel | None = None, device: str = "+") -> str:
    """Subscription filter for one hall (all devices unless `device` is given)."""
    base = f"{ROOT}/{VERSION}/{check_segment(hall, 'hall id')}/{device}"
    if channel is None:
        return f"{base}/#"
    return f"{base}/{channel.value}/+" if channel in NAMED_CHANNELS else f"{base}/{channel.value}"


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    hall: str
    device: str
    channel: Channel
    name: str | None


@lru_cache(maxsize=16384)
def parse(value: str) -> ParsedTopic:
    """Topic string → its parts, or `TopicError`. Cached: a hall's topics repeat all day."""
    parts = value.split("/")
    if len(parts) not in (5, 6) or parts[0] != ROOT:
        raise TopicError(f"not a hall topic: {value!r}")
    if parts[1] != VERSION:
        raise TopicError(f"unsupported contract version {parts[1]!r} in {value!r}")
    try:
        channel = Channel(parts[4])
    except ValueError as err:
        raise TopicError(f"unknown channel {parts[4]!r} in {value!r}") from err
    name = parts[5] if len(parts) == 6 else None
    if (channel in NAMED_CHANNELS) != (name is not None):
        raise TopicError(f"channel {channel} with wrong arity in {value!r}")
    check_segment(parts[2], "hall id")
    check_segment(parts[3], "device id")
    if name is not None:
        check_segment(name, "name")
    return ParsedTopic(parts[2], parts[3], channel, name)


def controller_status(hall: str) -> str:
    """The controller's own retained birth/death; devices re-announce when it says ``online``."""
    return topic(hall, CONTROLLER_ID, Channel.STATUS)


def command_filter(hall: str, device: str) -> str:
    """What a device subscribes to for its commands."""
    return hall_filter(hall, Channel.CMD, device=check_segment(device, "device id"))
