"""What can happen to the queue: one frozen dataclass per event, `QueueEvent` their union.

Every event carries each decision (which ticket a call picked, the follow-up's due date), so replaying the
journal never re-decides. On disk an event is the JSON object it always was, ``{"type": "called", ...}``:
`to_json` writes it, `from_json` reads it (the optional fields of older journals default to None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from hall_controller.queue.config import Priority


class Source(StrEnum):
    KIOSK = "kiosk"
    WINDOW = "window"
    APPOINTMENT = "appointment"
    REMOTE = "remote"


@dataclass(frozen=True, slots=True)
class SignedIn:
    TYPE: ClassVar[str] = "signed_in"
    window: int
    clerk: str
    at: float


@dataclass(frozen=True, slots=True)
class SignedOut:
    TYPE: ClassVar[str] = "signed_out"
    window: int
    at: float


@dataclass(frozen=True, slots=True)
class Paused:
    TYPE: ClassVar[str] = "paused"
    window: int
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class Resumed:
    TYPE: ClassVar[str] = "resumed"
    window: int
    at: float


@dataclass(frozen=True, slots=True)
class Issued:
    TYPE: ClassVar[str] = "issued"
    number: str
    service: str
    priority: Priority
    source: Source
    at: float
    person: str | None = None
    case_id: str | None = None
    appointment_id: str | None = None
    estimate_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class Called:
    TYPE: ClassVar[str] = "called"
    number: str
    window: int
    clerk: str
    overtaken: tuple[str, ...]  # the waiting tickets this call passed over
    at: float


@dataclass(frozen=True, slots=True)
class Recalled:
    TYPE: ClassVar[str] = "recalled"
    number: str
    window: int
    at: float


@dataclass(frozen=True, slots=True)
class Started:
    TYPE: ClassVar[str] = "started"
    number: str
    window: int
    at: float


@dataclass(frozen=True, slots=True)
class NoShow:
    TYPE: ClassVar[str] = "no_show"
    number: str
    window: int
    at: float


@dataclass(frozen=True, slots=True)
class Transferred:
    TYPE: ClassVar[str] = "transferred"
    number: str
    window: int
    to_service: str
    to_window: int | None
    at: float


@dataclass(frozen=True, slots=True)
class Finished:
    TYPE: ClassVar[str] = "finished"
    number: str
    window: int
    outcome: str
    at: float
    case_id: str | None = None
    next_service: str | None = None  # the same customer goes on at this window
    rating_id: str | None = None  # the evaluator's question, when the ticket is done


@dataclass(frozen=True, slots=True)
class Cancelled:
    TYPE: ClassVar[str] = "cancelled"
    number: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class RatingAsked:
    TYPE: ClassVar[str] = "rating_asked"
    rating_id: str
    case_id: str
    at: float


@dataclass(frozen=True, slots=True)
class Rated:
    TYPE: ClassVar[str] = "rated"
    rating_id: str
    level: int
    at: float
    dimensions: Mapping[str, int] = field(default_factory=dict)
    comment: str = ""
    follow_up_id: str | None = None  # a bad rating opens a follow-up, due on `due` (ISO date)
    due: str | None = None


@dataclass(frozen=True, slots=True)
class RatingTimedOut:
    TYPE: ClassVar[str] = "rating_timed_out"
    rating_id: str
    at: float


@dataclass(frozen=True, slots=True)
class Callback:
    TYPE: ClassVar[str] = "callback"
    follow_up_id: str
    note: str
    close: bool
    at: float


@dataclass(frozen=True, slots=True)
class DayClosed:
    TYPE: ClassVar[str] = "day_closed"
    at: float


QueueEvent = (
    SignedIn
    | SignedOut
    | Paused
    | Resumed
    | Issued
    | Called
    | Recalled
    | Started
    | NoShow
    | Transferred
    | Finished
    | Cancelled
    | RatingAsked
    | Rated
    | RatingTimedOut
    | Callback
    | DayClosed
)
EVENT_TYPES: dict[str, type[QueueEvent]] = {
    kind.TYPE: kind
    for kind in (
        SignedIn,
        SignedOut,
        Paused,
        Resumed,
        Issued,
        Called,
        Recalled,
        Started,
        NoShow,
        Transferred,
        Finished,
        Cancelled,
        RatingAsked,
        Rated,
        RatingTimedOut,
        Callback,
        DayClosed,
    )
}

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    name: tuple(item.name for item in fields(kind)) for name, kind in EVENT_TYPES.items()
}


def to_json(event: QueueEvent) -> dict[str, Any]:
    """The journal's form: ``{"type": ..., <fields>}``, enums as their values, tuples as lists."""
    body: dict[str, Any] = {"type": event.TYPE}
    for name in FIELD_NAMES[event.TYPE]:  # not `asdict`: its deep copy was most of a call's encoding
        value = getattr(event, name)
        body[name] = list(value) if isinstance(value, tuple) else value
    if isinstance(event, Issued):
        body["priority"], body["source"] = event.priority.value, event.source.value
    if isinstance(event, Rated):
        body["dimensions"] = dict(event.dimensions)
    return body


def from_json(body: Mapping[str, Any]) -> QueueEvent:
    """An event as journaled; ValueError for a type this controller does not know."""
    kind = EVENT_TYPES.get(str(body.get("type")))
    if kind is None:
        raise ValueError(f"unknown queue event {body.get('type')!r}")
    values = {item.name: body[item.name] for item in fields(kind) if item.name in body}
    values["at"] = float(values["at"])
    if kind is Issued:
        values["priority"], values["source"] = Priority(values["priority"]), Source(values["source"])
    elif kind is Called:
        values["overtaken"] = tuple(values["overtaken"])
    elif kind is Rated:
        values["dimensions"] = dict(values.get("dimensions") or {})
    return kind(**values)
