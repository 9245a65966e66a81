"""Every device kind of the contract: its commands (arguments, result, completion codes, time-out), events,
description attributes and state data. docs/asyncapi.yaml is generated from this table and the models it
names, so a device maker reads the whole contract there (issue 21).

Only what the hall controller itself sends or reads is listed; a device may add its own commands and events
(listed in its description), which the controller ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from devices.protocol import lockers
from devices.protocol import queue as q
from devices.protocol import window as w
from devices.protocol.payloads import ANNOUNCE_COMMAND

__all__ = ["ANNOUNCE_COMMAND", "COMMANDS", "EVENTS", "KINDS"]

KIOSK = "kiosk"
# How long the controller waits for a completion before it completes the command `timeOut` itself; the
# same moment is the command's `expires` (hall_controller.controller.send_command: now + time-out).
QUEUE_COMMAND_SECONDS = 5.0  # hall_controller.queue.pump.COMMAND_SECONDS
ANNOUNCE_SECONDS = 5.0
UNLOCK_SECONDS = 6.0  # hall_controller.lockers.extension: unlock_timeout
CAPTURE_SECONDS = 10.0  # hall_controller.window.extension: the capture's time-out
PART_SECONDS = 5.0  # and each part's


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str
    args: type[BaseModel] | None
    timeout_seconds: float
    # completion code → what it means for this command (codes not listed: as in docs/protocol.md)
    codes: dict[str, str]
    result: type[BaseModel] | None = None
    result_note: str = "the controller reads no result fields"


@dataclass(frozen=True)
class EventSpec:
    name: str
    summary: str
    data: type[BaseModel]
    # What a sealed field of the data holds once opened (docs/protocol.md, "The window's devices").
    sealed: type[BaseModel] | None = None


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    type: str  # JSON schema type of the value in Description.attributes
    required: bool
    description: str
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class KindSpec:
    kind: str
    summary: str
    commands: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    attributes: tuple[AttributeSpec, ...] = ()
    state_data: type[BaseModel] | None = None
    notes: tuple[str, ...] = field(default=())


SUCCESS_SHOWN = {"success": "shown", "invalidData": "the arguments are outside the contract"}

COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            ANNOUNCE_COMMAND,
            "every device: publish desc, state and status again (the controller saw a sequence gap)",
            None,
            ANNOUNCE_SECONDS,
            {"success": "announced"},
        ),
        CommandSpec(
            q.SHOW_CALLS,
            "the hall's main screen: newest call (speak it when `speak` and its call_seq is new), recent "
            "calls, waiting per service. Sent on every change and again whenever the display (re)announces; "
            "one that ends timeOut is sent again while the display is online",
            q.DisplayShow,
            QUEUE_COMMAND_SECONDS,
            SUCCESS_SHOWN,
        ),
        CommandSpec(
            q.SHOW_CALL,
            "a window's LED or keypad screen: the ticket at the window, or an idle/paused/refusal line. Sent "
            "to every window_led and caller_keypad whose `window` attribute is args.window",
            q.LedShow,
            QUEUE_COMMAND_SECONDS,
            {**SUCCESS_SHOWN, "invalidData": "args.window is not this device's window"},
        ),
        CommandSpec(
            q.ASK_RATING,
            "the evaluator of args.window asks the applicant to rate; answer with evt/rated carrying the "
            "same rating_id within timeout_seconds",
            q.AskRating,
            QUEUE_COMMAND_SECONDS,
            {"success": "asking", "deviceNotReady": "cannot ask now"},
        ),
        CommandSpec(
            q.END_RATING,
            "stop asking: the rating came in or timed out",
            q.EndRating,
            QUEUE_COMMAND_SECONDS,
            {"success": "stopped (also when it was not asking)"},
        ),
        CommandSpec(
            q.PRINT_TICKET,
            "print a queue ticket (sent to every online ticket_printer when a ticket is issued with a slip)",
            q.TicketSlip,
            QUEUE_COMMAND_SECONDS,
            {
                "success": "printed",
                "deviceNotReady": "no paper (list the paper-out issue in state)",
                "hardwareError": "jam or printer fault",
            },
            result_note="free-form; the controller only counts failed prints",
        ),
        CommandSpec(
            lockers.UNLOCK,
            "open one compartment of the bank. The completion code decides: success only when the door was "
            "seen open; hardwareError when the pulse went out and the door stayed shut (the compartment goes "
            "out of use until a person sees to it); deviceNotReady when the lock board did not answer (the "
            "compartment is settled from the bank's next state)",
            lockers.UnlockArgs,
            UNLOCK_SECONDS,
            {
                "success": "the door was seen open (result outcome opened)",
                "hardwareError": "pulse sent, door not seen open (result outcome OPEN_NOT_DETECTED)",
                "deviceNotReady": "the lock board did not answer (result outcome unreachable)",
                "invalidData": "no such compartment in this bank",
            },
            result=lockers.UnlockResult,
            result_note="informative (logged); the completion code alone decides what the controller does",
        ),
        CommandSpec(
            lockers.SHOW,
            "a line on the bank's own screen (the answer to an entry at its keypad, scanner or card reader)",
            lockers.ShowArgs,
            QUEUE_COMMAND_SECONDS,
            {"success": "shown"},
        ),
        CommandSpec(
            w.CAPTURE,
            "the window's document camera takes the page in view (flattened, cleaned, a JPEG of at most "
            f"args.budget bytes) and keeps it (at least its last {w.KEPT_CAPTURES}); the result names it "
            f"and says in how many parts of at most {w.PART_BYTES:,} bytes it travels (fetch each with "
            "capture-part)",
            w.CaptureArgs,
            CAPTURE_SECONDS,
            {
                "success": "taken and kept (result: CaptureTaken)",
                "invalidData": f"bad arguments, or no page in view: message `{w.NO_PAGE}` (the clerk is told "
                "to lay the page again)",
                "hardwareError": "no picture from the camera (raise the issue camera-missing in state)",
                "deviceNotReady": "busy or warming up: the clerk is told the capture failed",
            },
            result=w.CaptureTaken,
            result_note="read: every field; the controller then asks each part 0 … parts-1 in turn",
        ),
        CommandSpec(
            w.CAPTURE_PART,
            f"one part of a kept capture: bytes index×{w.PART_BYTES:,} … (index+1)×{w.PART_BYTES:,}-1 of its "
            "JPEG, base64 in the result's data. The parts joined in index order are the whole JPEG (its "
            "length is the capture's size, it starts FF D8 FF), else the clerk's capture fails",
            w.PartArgs,
            PART_SECONDS,
            {
                "success": "the part (result: CapturePart)",
                "invalidData": "no such capture (no longer kept) or no such part",
            },
            result=w.CapturePart,
            result_note="read: data (standard base64 with padding); capture_id and index repeat the args",
        ),
    )
}

EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec(
            q.KEY_EVENT,
            "a caller keypad's key; the controller answers with show-call to the window's LED and keypad "
            "(a refused key: show-call with the reason as text)",
            q.KeyPress,
        ),
        EventSpec(
            q.RATED_EVENT,
            "the applicant's rating on an evaluator, for the rating_id of the ask-rating it answers; taken "
            "only from the evaluator of the window that asked",
            q.Rated,
        ),
        EventSpec(
            lockers.DOOR_EVENT,
            "a door changed. A `closed` is applied only once the bank's retained state reads the same door "
            "closed with the same occupancy (publish state right after the event); one still contradicted "
            "after 5 s is dropped with the alarm door_event_unconfirmed. `opened` counts as the opening of "
            "an unlock sent within 30 s, else it raises door_opened_without_unlock. `unsolicited_open` "
            "raises door_unsolicited_open (critical; none when an unasked `opened` of the compartment "
            "came within 5 s before: one opening, one alarm), `door_left_open` door_left_open (warning), "
            "each an alarm of its own awaiting acknowledgement",
            lockers.DoorEventData,
        ),
        EventSpec(
            lockers.BOARD_EVENT,
            "a lock board went silent or answers again (informative: the state's boards_offline and each "
            "compartment's reachable are what the controller reads)",
            lockers.BoardEventData,
        ),
        EventSpec(
            lockers.PICKUP_ENTRY_EVENT,
            "someone identified at the bank's keypad, scanner or card reader; the controller opens the "
            "compartment (cmd/unlock) or answers with cmd/show. method id_card is refused on MQTT: send "
            "id_card_hash",
            lockers.PickupEntry,
        ),
        EventSpec(
            w.CARD_READ_EVENT,
            "an ID card laid on the window's reader, read and checked (GB 11643 check digit, validity), once "
            "per laying. data.sealed is the holder (CardHolder) sealed to the case service's public key "
            "(HALL_DEVICES__WINDOW_READ_KEY): base64(ephemeral X25519 public key 32 bytes ‖ nonce 12 bytes "
            "‖ AES-256-GCM ciphertext with its 16-byte tag); key = HKDF-SHA256(X25519 shared secret, no "
            "salt, info = 'hall window card read v1' ‖ ephemeral public ‖ recipient public, 32 bytes); "
            "associated data 'hall window card read v1'; plaintext the UTF-8 JSON of CardHolder. The "
            f"controller keeps it {w.READ_KEEP_SECONDS:.0f} s for the clerk signed in at that window "
            "when it was read, and cannot open it",
            w.CardReadData,
            sealed=w.CardHolder,
        ),
        EventSpec(
            w.CARD_REFUSED_EVENT,
            "a card laid on the window's reader that cannot be used (expired, unreadable, or failing its "
            "checks); the clerk's page says so. Never the card's number in message",
            w.CardRefusedData,
        ),
    )
}

WINDOW = AttributeSpec(
    q.WINDOW_ATTRIBUTE,
    "integer",
    True,
    "the window number this device belongs to (binds it to the window; without it the device gets no "
    "commands and its events are refused)",
    minimum=1,
    maximum=999,
)

KINDS: tuple[KindSpec, ...] = (
    KindSpec(
        q.QUEUE_DISPLAY,
        "the hall's main call screen (and its loudspeaker)",
        commands=(q.SHOW_CALLS,),
    ),
    KindSpec(q.WINDOW_LED, "the LED strip above one window", commands=(q.SHOW_CALL,), attributes=(WINDOW,)),
    KindSpec(
        q.CALLER_KEYPAD,
        "the clerk's caller keypad (呼叫器) at one window, with a small screen",
        commands=(q.SHOW_CALL,),
        events=(q.KEY_EVENT,),
        attributes=(WINDOW,),
    ),
    KindSpec(
        q.EVALUATOR,
        "the applicant's rating pad (评价器) at one window",
        commands=(q.ASK_RATING, q.END_RATING),
        events=(q.RATED_EVENT,),
        attributes=(WINDOW,),
    ),
    KindSpec(q.TICKET_PRINTER, "a queue-ticket printer (ESC/POS)", commands=(q.PRINT_TICKET,)),
    KindSpec(
        lockers.KIND,
        "one locker bank: its lock boards, door and occupancy sensors, keypad, scanner and card reader",
        commands=(lockers.UNLOCK, lockers.SHOW),
        events=(lockers.DOOR_EVENT, lockers.BOARD_EVENT, lockers.PICKUP_ENTRY_EVENT),
        attributes=(
            AttributeSpec(
                "sizes",
                "string",
                True,
                "comma-separated compartment sizes, compartment 1 first (e.g. S,S,M,L); the controller "
                "creates the compartments from it",
                pattern=r"^(S|M|L|XL)(,(S|M|L|XL))*$",
            ),
            AttributeSpec("compartments", "integer", False, "how many compartments (informative)", minimum=1),
        ),
        state_data=lockers.BankStateData,
    ),
    KindSpec(
        w.WINDOW_ID_READER,
        "the ID-card reader (身份证阅读器) on one window's counter: each card laid on it read, checked and "
        "sealed to the case service",
        events=(w.CARD_READ_EVENT, w.CARD_REFUSED_EVENT),
        attributes=(WINDOW,),
    ),
    KindSpec(
        w.DOCUMENT_CAMERA,
        "the document camera (高拍仪) on one window's counter: the page in view on the clerk's request, sent "
        "in parts",
        commands=(w.CAPTURE, w.CAPTURE_PART),
        attributes=(WINDOW,),
    ),
    KindSpec(
        KIOSK,
        "the self-service kiosk: announces itself and heartbeats on MQTT (health on the dashboard); its "
        "work goes over HTTP to the controller and the case service",
    ),
)
