"""The ID-card reader of devices/idcard as the kiosk's CardReader port.

The SAM protocol has no cheap "is a card there" question, so presence is a read: while a card is on the
reader it is re-read at most every `recheck_seconds` to notice its removal. A card that reads but fails
the checks (expired, bad check digit, damaged) or is taken off mid-read is not a session: it is logged
and refused with its reason (CardRefusedError), which the kiosk shows.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from devices.idcard.attestation import CardRead
from devices.idcard.errors import (
    CardDataError,
    CardExpiredError,
    CardRemovedError,
    IdCardError,
    NoCardError,
    UnsupportedCardError,
)
from devices.idcard.reader import CardReader as DeviceCardReader
from devices.idcard.reader import ReaderState, read_verified
from kiosk.flow.model import CardRefusal, Device, IdCard
from kiosk.ports import CardRefusedError, DeviceFailureError

log = logging.getLogger(__name__)
BROKEN = (ReaderState.READER_MISSING, ReaderState.SERVICE_DOWN, ReaderState.FAULT)


class IdCardReader:
    def __init__(
        self,
        reader: DeviceCardReader,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        recheck_seconds: float = 1.0,
    ) -> None:
        self._reader = reader
        self._today = today
        self._recheck = recheck_seconds
        self._card: IdCard | None = None
        self._read_at = 0.0
        self._refused = ""  # the refusal of the card lying on the reader, logged once until it is taken

    def current_card(self) -> IdCard | None:
        if self._card is not None and time.monotonic() - self._read_at < self._recheck:
            return self._card
        health = self._reader.health()
        if health.state in BROKEN:
            self._card = None
            raise DeviceFailureError(Device.CARD_READER, health.detail or health.state.value)
        try:
            identity = read_verified(self._reader, self._today())
        except NoCardError:
            self._card, self._refused = None, ""
            return None
        except CardRemovedError as err:
            # Taken off mid-read: nothing of what was read is kept, no session starts; place it again.
            log.warning("the ID card left the reader during the read: no session started")
            self._card = None
            raise CardRefusedError(CardRefusal.REMOVED) from err
        except (CardExpiredError, CardDataError, UnsupportedCardError) as err:
            if err.code != self._refused:  # read again at every poll while it lies there: told once
                log.warning("a card that cannot start a session: %s", err.code)
            self._card, self._refused = None, err.code
            expired = isinstance(err, CardExpiredError)
            raise CardRefusedError(CardRefusal.EXPIRED if expired else CardRefusal.UNREADABLE) from err
        except IdCardError as err:
            raise DeviceFailureError(Device.CARD_READER, err.code) from err
        self._read_at, self._refused = time.monotonic(), ""
        if self._card is None or self._card.id_number != identity.id_number:
            read = CardRead(identity.text_block, identity.photo)
            self._card = IdCard(identity.name, identity.id_number, identity.address, read=read)
        return self._card
