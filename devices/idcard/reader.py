"""What every identity-card reader offers, whichever way it is connected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from devices.idcard.identity import Identity, verify


class ReaderState(StrEnum):
    READY = "ready"  # reader present, no card
    CARD_PRESENT = "card-present"
    READER_MISSING = "reader-missing"
    SERVICE_DOWN = "service-down"  # pcscd not answering
    FAULT = "fault"


@dataclass(frozen=True)
class ReaderHealth:
    state: ReaderState
    reader: str | None = None
    detail: str = ""
    recoveries: int = 0  # how many times the reader came back by itself since start

    @property
    def ok(self) -> bool:
        return self.state in (ReaderState.READY, ReaderState.CARD_PRESENT)


class CardReader(Protocol):
    """A reader of Chinese identity cards. Implemented by the PC/SC and SAM serial backends."""

    def read_identity(self) -> Identity:
        """The identity on the card now on the reader, read completely, or an IdCardError."""
        ...

    def card_present(self) -> bool:
        """Whether a card lies on the reader now (cheap; no data read). IdCardError if the reader is gone."""
        ...

    def health(self) -> ReaderHealth: ...

    def close(self) -> None: ...


def read_verified(reader: CardReader, today: dt.date) -> Identity:
    """Read and check in one step: a session starts with this identity or not at all."""
    return verify(reader.read_identity(), today)
