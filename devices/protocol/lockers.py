"""The locker bank's part of the contract (kind ``locker_bank``; one bank = one device).

Commands:   ``cmd/unlock``  args `UnlockArgs`  → completion result `UnlockResult`
            (success only when the door was *seen* open; ``hardwareError`` with outcome
            ``OPEN_NOT_DETECTED`` when the pulse was sent and the door stayed shut;
            ``deviceNotReady`` when the board did not answer)
            ``cmd/show``    args `ShowArgs`    a message on the bank's own screen
Events:     ``evt/door``    data `DoorEventData`  opened, closed, unsolicited_open, door_left_open
            ``evt/board``   data `BoardEventData` a lock board went offline or came back
            ``evt/pickup-entry`` data `PickupEntry` someone identified at the bank's keypad/scanner/reader;
            an ID card travels only as `id_card_hash` (HMAC-SHA256 under the hall's locker ID key, see
            `id_card_key`), never as the number: the controller compares it with the hash it stored
State data: `BankStateData` every compartment's door and occupancy as last read
Desc attributes: ``sizes`` = comma-separated compartment sizes, compartment 1 first (e.g. "S,S,M,L").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from hall.models import Strict

KIND = "locker_bank"
UNLOCK = "unlock"
SHOW = "show"
DOOR_EVENT = "door"
BOARD_EVENT = "board"
PICKUP_ENTRY_EVENT = "pickup-entry"

CompartmentNumber = Annotated[int, Field(ge=1, le=512)]


class UnlockArgs(Strict):
    compartment: CompartmentNumber


class OpenOutcome(StrEnum):
    OPENED = "opened"
    OPEN_NOT_DETECTED = "OPEN_NOT_DETECTED"
    UNREACHABLE = "unreachable"


class UnlockResult(Strict):
    """What a gateway reports with an unlock's completion: informative, the completion code decides."""

    compartment: CompartmentNumber
    outcome: OpenOutcome


class ShowArgs(Strict):
    text: str = Field(max_length=200)


class DoorChange(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    UNSOLICITED_OPEN = "unsolicited_open"
    DOOR_LEFT_OPEN = "door_left_open"


class DoorEventData(Strict):
    compartment: CompartmentNumber
    change: DoorChange
    occupied: bool
    # When the gateway saw the change (Unix time). An event may reach the controller much later (held by
    # the gateway through a broker outage, after the retained state): this tells a stale one.
    seen: float | None = Field(default=None, description="Unix seconds when the gateway saw the change")


BoardAddress = Annotated[int, Field(ge=0, le=255)]


class BoardEventData(Strict):
    board: BoardAddress
    online: bool


class PickupMethod(StrEnum):
    CODE = "code"
    QR = "qr"
    ID_CARD = "id_card"  # the number in clear: only from the kiosk over HTTP, refused on MQTT
    ID_CARD_HASH = "id_card_hash"  # `id_card_hash(key, number)`: what a bank's card reader sends


ID_HASH = re.compile(r"^[0-9a-f]{64}$")


def id_card_key(locker_id_key: str, hall: str) -> bytes:
    """The hall's locker ID key, from HALL_LOCKER_ID_KEY: only the gateways and the controller hold it."""
    return hmac.new(locker_id_key.encode(), f"locker-id-card:{hall}".encode(), hashlib.sha256).digest()


def id_card_hash(key: bytes, id_number: str) -> str:
    """A keyed hash of an ID number (upper-cased X): 64 hex digits, useless without the key."""
    return hmac.new(key, f"id:{id_number.strip().upper()}".encode(), hashlib.sha256).hexdigest()


class PickupEntry(Strict):
    method: PickupMethod
    value: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _hash_shape(self) -> Self:
        if self.method is PickupMethod.ID_CARD_HASH and not ID_HASH.match(self.value):
            raise ValueError("an id_card_hash is 64 lowercase hex digits")
        return self


class CompartmentView(Strict):
    number: CompartmentNumber
    size: str = Field(pattern="^(S|M|L|XL)$")
    open: bool
    occupied: bool
    # False while the compartment's board does not answer: open/occupied are then the last values seen.
    reachable: bool = Field(default=True, description="false while the compartment's lock board is silent")


class BankStateData(Strict):
    compartments: list[CompartmentView] = Field(default_factory=list, max_length=512)
    boards_offline: list[BoardAddress] = Field(
        default_factory=list, description="addresses of the lock boards not answering"
    )
    message: str = Field(default="", max_length=200)
