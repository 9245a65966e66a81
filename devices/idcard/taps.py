"""Card taps: one result per card placed on the reader — the verified identity, or why there is none.

Works with any CardReader by polling `card_present` (SAM readers have no insertion events; on PC/SC
the check is a local call to pcscd). A card is read once when it arrives; it must leave before it
counts again, so one placement starts at most one session. Reader outages are not taps: they show
in the reader's health, and the loop keeps trying.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from devices.idcard.errors import (
    CardRemovedError,
    FrameError,
    IdCardError,
    NoCardError,
    ReaderMissingError,
    ReaderServiceError,
    ReaderTimeoutError,
)
from devices.idcard.identity import Identity
from devices.idcard.reader import CardReader, read_verified

log = logging.getLogger(__name__)

_READER_TROUBLE = (ReaderMissingError, ReaderServiceError, ReaderTimeoutError)


@dataclass(frozen=True)
class Tap:
    identity: Identity | None = None
    error: IdCardError | None = None


class TapWatcher:
    def __init__(
        self,
        reader: CardReader,
        on_tap: Callable[[Tap], None],
        *,
        today: Callable[[], dt.date] = dt.date.today,
        poll_seconds: float = 0.15,
        frame_retries: int = 2,
    ) -> None:
        self.reader = reader
        self.on_tap = on_tap
        self.today = today
        self.poll_seconds = poll_seconds
        self.frame_retries = frame_retries
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> TapWatcher:
        self._thread = threading.Thread(target=self._run, name="idcard-taps", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _emit(self, tap: Tap) -> None:
        try:
            self.on_tap(tap)
        except Exception:  # a broken listener must not stop the reader
            log.exception("card tap listener failed")

    def _run(self) -> None:
        card_handled = False
        while not self._stop.wait(self.poll_seconds):
            try:
                present = self.reader.card_present()
            except IdCardError as err:
                log.debug("card reader not available: %s", err)
                card_handled = False
                continue
            if not present:
                card_handled = False
            elif not card_handled:
                tap = self._read()
                if tap is not None:
                    self._emit(tap)
                    # A card pulled mid-read has left: the next placement is a new tap.
                    card_handled = not isinstance(tap.error, CardRemovedError)

    def _read(self) -> Tap | None:
        """The tap for the card now present; None if it went before being read or the reader failed."""
        for attempt in range(self.frame_retries + 1):
            try:
                return Tap(identity=read_verified(self.reader, self.today()))
            except NoCardError:
                return None
            except _READER_TROUBLE as err:
                log.warning("card reader failed during a read: %s", err)
                return None
            except FrameError as err:
                # Line noise: read again before telling the applicant anything.
                if attempt == self.frame_retries:
                    return Tap(error=err)
            except IdCardError as err:
                return Tap(error=err)
        return None
