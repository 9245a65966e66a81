"""The queue devices' part of the contract: command arguments and event data, version 1.

Device kinds and what they speak (commands go in ``Command.args``, events in ``Event.data``):

| kind | commands | events |
|---|---|---|
| ``queue_display`` (the hall's main screen) | ``show-calls`` (`DisplayShow`) | |
| ``window_led`` (one per window) | ``show-call`` (`LedShow`) | |
| ``caller_keypad`` (呼叫器, one per window) | ``show-call`` (`LedShow`) | ``key`` (`KeyPress`) |
| ``evaluator`` (评价器, per window) | ``ask-rating`` (`AskRating`), ``end-rating`` | ``rated`` (`Rated`) |
| ``ticket_printer`` | ``print-ticket`` (`TicketSlip`) | |

Devices bound to a window say which in their description's attributes: ``{"window": 3}``.
Displays keep what they show as retained ``state`` data, and the controller shows the current calls again
whenever a display (re)announces, so a display that restarts shows the right thing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from devices.protocol.payloads import Payload

QUEUE_DISPLAY = "queue_display"
WINDOW_LED = "window_led"
CALLER_KEYPAD = "caller_keypad"
EVALUATOR = "evaluator"
TICKET_PRINTER = "ticket_printer"

SHOW_CALLS = "show-calls"
SHOW_CALL = "show-call"
ASK_RATING = "ask-rating"
END_RATING = "end-rating"
PRINT_TICKET = "print-ticket"
KEY_EVENT = "key"
RATED_EVENT = "rated"

WINDOW_ATTRIBUTE = "window"

TicketNumber = Annotated[str, Field(pattern=r"^[A-Z]{1,2}\d{1,5}$")]
WindowNumber = Annotated[int, Field(ge=1, le=999)]
Text = Annotated[str, Field(max_length=200)]


class CallLine(Payload):
    """One call as a screen shows and says it."""

    number: TicketNumber
    window: WindowNumber
    text_zh: Text
    text_en: Text
    speech_zh: Text = ""
    speech_en: Text = ""
    recall: bool = False
    # Increases with every call of the hall, so a display tells a new call from one shown again.
    call_seq: int = Field(default=0, ge=0)


class ServiceLine(Payload):
    code: str = Field(max_length=32)
    name: Text
    name_en: Text
    waiting: int = Field(ge=0)
    estimate_minutes: float = Field(ge=0)
    warning: bool = False


class DisplayShow(Payload):
    """The main screen: the newest call (spoken if it is new), recent calls, and the waiting per service."""

    latest: CallLine | None = None
    recent: list[CallLine] = Field(default_factory=list, max_length=20)
    services: list[ServiceLine] = Field(default_factory=list, max_length=50)
    speak: bool = True


class LedShow(Payload):
    """A window's LED (or the keypad's small screen): the ticket at the window, or an idle/paused line."""

    window: WindowNumber
    number: TicketNumber | None = None
    text: Text
    waiting: int = Field(default=0, ge=0)


class KeyName(StrEnum):
    SIGN_IN = "sign-in"
    SIGN_OUT = "sign-out"
    NEXT = "next"
    CALL = "call"  # a specific ticket: `number`
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no-show"
    TRANSFER = "transfer"  # to `service` or `to_window`
    FINISH = "finish"  # `outcome`; `next_service` to go on with another service in one visit
    PAUSE = "pause"  # `reason`
    RESUME = "resume"


class KeyPress(Payload):
    """A caller keypad's key; the controller answers by updating the keypad's screen and the LED."""

    key: KeyName
    number: TicketNumber | None = None
    service: str | None = Field(default=None, max_length=32)
    to_window: WindowNumber | None = None
    outcome: Text = ""
    reason: Text = ""
    clerk: str | None = Field(default=None, max_length=64)
    next_service: str | None = Field(default=None, max_length=32)
    case_id: str | None = Field(default=None, max_length=32)  # the case this service handled (web desk)


class Dimension(StrEnum):
    ATTITUDE = "attitude"
    QUALITY = "quality"
    EFFICIENCY = "efficiency"
    INTEGRITY = "integrity"


class AskRating(Payload):
    rating_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    number: TicketNumber | None = None
    clerk: str | None = Field(default=None, max_length=64)
    window: WindowNumber | None = None
    prompt_zh: Text = "请对本次服务进行评价"
    prompt_en: Text = "Please rate our service."
    timeout_seconds: float = Field(gt=0, le=3600)


class EndRating(Payload):
    """Stop asking: the rating came in, or timed out."""

    rating_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    reason: Text = ""


class Rated(Payload):
    """The evaluator's five buttons: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意."""

    rating_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    level: int = Field(ge=1, le=5)
    dimensions: dict[Dimension, Annotated[int, Field(ge=1, le=5)]] = Field(default_factory=dict)


class TicketSlip(Payload):
    """What the ticket printer prints. No personal data: the ticket is bound to a person in the controller."""

    number: TicketNumber
    service_name: Text
    service_name_en: Text
    ahead: int = Field(ge=0)
    estimate_minutes: float = Field(ge=0)
    issued_at: str = Field(max_length=32)  # local time, as printed
    hall_name: Text = ""
    qr_text: str | None = Field(default=None, max_length=300)
