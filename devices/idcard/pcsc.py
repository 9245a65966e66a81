"""PC/SC backend through pyscard's thin `smartcard.scard` layer: read a card, watch readers and cards.

The context is re-established by itself when pcscd restarts; every PC/SC error becomes an IdCardError
at this boundary. `PcscWatcher` is the supervised loop that follows insertions, removals, readers
coming and going, and pcscd restarts, reporting each as an event and its health.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from smartcard import scard

from devices.idcard import apdu
from devices.idcard.errors import (
    CardDataError,
    CardRemovedError,
    IdCardError,
    NoCardError,
    ReaderMissingError,
    ReaderServiceError,
    UnsupportedCardError,
)
from devices.idcard.gat490 import decode_text_block
from devices.idcard.identity import Identity
from devices.idcard.identity_app import (
    EF_DIGEST,
    EF_PHOTO,
    EF_TEXT,
    FILE_SIZES,
    IDENTITY_AID,
    READ_CHUNK,
    check_digest,
)
from devices.idcard.reader import ReaderHealth, ReaderState
from devices.idcard.social_security import (
    RECORDS,
    SOCIAL_SECURITY_AID,
    SocialSecurityCard,
    decode_records,
    parse_record,
)

log = logging.getLogger(__name__)

_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_COMM_ERROR,
}
_CARD_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_E_NOT_TRANSACTED,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
}
_READER_GONE = {
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}
PNP_NOTIFICATION = "\\\\?PnP?\\Notification"


def _message(result: int) -> str:
    return f"{scard.SCardGetErrorMessage(result).strip()} (0x{result & 0xFFFFFFFF:08X})"


def pcsc_error(step: str, result: int) -> IdCardError:
    """The IdCardError for a failed PC/SC call."""
    if result in _SERVICE_GONE:
        return ReaderServiceError(f"the PC/SC service is not available during {step}: {_message(result)}")
    if result in _CARD_GONE:
        return CardRemovedError(f"the card was taken away during {step}")
    if result in _READER_GONE:
        return ReaderMissingError(f"no card reader during {step}: {_message(result)}")
    return IdCardError(f"PC/SC {step} failed: {_message(result)}")


class PcscContext:
    """One PC/SC context, established lazily and again after pcscd went away."""

    def __init__(self) -> None:
        self._handle: int | None = None
        self._lock = threading.Lock()

    def handle(self) -> int:
        with self._lock:
            if self._handle is None:
                result, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if result != scard.SCARD_S_SUCCESS:
                    raise pcsc_error("connecting to pcscd", result)
                self._handle = handle
            return self._handle

    def invalidate(self) -> None:
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            scard.SCardReleaseContext(handle)

    def cancel(self) -> None:
        with self._lock:
            if self._handle is not None:
                scard.SCardCancel(self._handle)

    def readers(self) -> list[str]:
        result, readers = scard.SCardListReaders(self.handle(), [])
        if result == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if result != scard.SCARD_S_SUCCESS:
            if result in _SERVICE_GONE:
                self.invalidate()
            raise pcsc_error("listing readers", result)
        return list(readers)


class CardSession:
    """An open connection to the card in one reader."""

    def __init__(self, card: int, protocol: int, reader: str) -> None:
        self._card = card
        self._protocol = protocol
        self.reader = reader

    def transmit(self, command: bytes) -> apdu.Response:
        result, response = scard.SCardTransmit(self._card, self._protocol, list(command))
        if result != scard.SCARD_S_SUCCESS:
            raise pcsc_error("reading the card", result)
        if len(response) < 2:
            # No status word: the card stopped answering, which is what a pulled card does.
            raise CardRemovedError("the card stopped answering during reading the card")
        return apdu.Response.of(bytes(response))

    def expect_ok(self, command: bytes, what: str) -> bytes:
        response = self.transmit(command)
        if response.sw == apdu.SW_FILE_NOT_FOUND and command[1] == 0xA4 and command[2] == 0x04:
            raise UnsupportedCardError(f"the card has no {what}")
        if not response.ok:
            raise CardDataError(f"the card refused {what}: SW {response.sw:04X}")
        return response.data

    def read_file(self, file_id: int, size: int) -> bytes:
        self.expect_ok(apdu.select_file(file_id), f"file {file_id:04X}")
        content = bytearray()
        while len(content) < size:
            chunk = self.expect_ok(
                apdu.read_binary(len(content), min(READ_CHUNK, size - len(content))), "a read"
            )
            if not chunk:
                break
            content.extend(chunk)
        if len(content) != size:
            raise CardDataError(f"file {file_id:04X} has {len(content)} bytes, expected {size}")
        return bytes(content)

    def close(self) -> None:
        scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)


class PcscReader:
    """A CardReader on PC/SC: the project's identity application (and the social-security card).

    `reader` picks a reader by name prefix; None takes the first reader with a card in it.
    """

    def __init__(self, reader: str | None = None) -> None:
        self.reader_prefix = reader
        self.context = PcscContext()

    def _with_service_retry(self, step: Callable[[], list[str]]) -> list[str]:
        try:
            return step()
        except ReaderServiceError:
            # The context of a pcscd that restarted is dead; a new one may work at once.
            self.context.invalidate()
            return step()

    def _matching_readers(self) -> list[str]:
        readers = self._with_service_retry(self.context.readers)
        matching = [
            name for name in readers if self.reader_prefix is None or name.startswith(self.reader_prefix)
        ]
        if not matching:
            raise ReaderMissingError(
                "no card reader is connected" if not readers else "the reader is missing"
            )
        return matching

    def connect(self) -> CardSession:
        last: IdCardError = NoCardError("no card on the reader")
        for reader in self._matching_readers():
            result, card, protocol = scard.SCardConnect(
                self.context.handle(),
                reader,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if result == scard.SCARD_S_SUCCESS:
                return CardSession(card, protocol, reader)
            if result in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
                continue
            if result in _SERVICE_GONE:
                self.context.invalidate()
            last = pcsc_error("connecting to the card", result)
        raise last

    def card_present(self) -> bool:
        readers = self._matching_readers()
        states = [(reader, scard.SCARD_STATE_UNAWARE) for reader in readers]
        result, current = scard.SCardGetStatusChange(self.context.handle(), 0, states)
        if result != scard.SCARD_S_SUCCESS:
            if result in _SERVICE_GONE:
                self.context.invalidate()
            raise pcsc_error("looking for a card", result)
        return any(event_state & scard.SCARD_STATE_PRESENT for _, event_state, _ in current)

    def read_identity(self) -> Identity:
        session = self.connect()
        try:
            session.expect_ok(apdu.select_aid(IDENTITY_AID), "identity-data application")
            text = session.read_file(EF_TEXT, FILE_SIZES[EF_TEXT])
            photo = session.read_file(EF_PHOTO, FILE_SIZES[EF_PHOTO])
            digest = session.read_file(EF_DIGEST, FILE_SIZES[EF_DIGEST])
        finally:
            session.close()
        check_digest(text, photo, digest)
        return decode_text_block(text, photo)

    def read_social_security(self) -> SocialSecurityCard:
        session = self.connect()
        try:
            session.expect_ok(apdu.select_aid(SOCIAL_SECURITY_AID), "social-security application")
            values = {
                field: parse_record(
                    record, session.expect_ok(apdu.read_record(record, sfi), f"record {record:02X}")
                )
                for record, (sfi, field) in RECORDS.items()
            }
        finally:
            session.close()
        return decode_records(values)

    def health(self) -> ReaderHealth:
        try:
            readers = self._matching_readers()
        except ReaderServiceError as err:
            return ReaderHealth(ReaderState.SERVICE_DOWN, self.reader_prefix, str(err))
        except ReaderMissingError as err:
            return ReaderHealth(ReaderState.READER_MISSING, self.reader_prefix, str(err))
        except IdCardError as err:
            return ReaderHealth(ReaderState.FAULT, self.reader_prefix, str(err))
        return ReaderHealth(ReaderState.READY, readers[0])

    def close(self) -> None:
        self.context.invalidate()


class EventKind(StrEnum):
    CARD_INSERTED = "card-inserted"
    CARD_REMOVED = "card-removed"
    READER_ADDED = "reader-added"
    READER_REMOVED = "reader-removed"
    SERVICE_LOST = "service-lost"
    SERVICE_RESTORED = "service-restored"


@dataclass(frozen=True)
class ReaderEvent:
    kind: EventKind
    reader: str | None
    at: dt.datetime


class PcscWatcher:
    """Follows readers and cards; survives reader unplugs and pcscd restarts by re-establishing itself.

    Events go to `events` (a queue) and to `on_event` if given (called on the watcher's thread).
    """

    def __init__(
        self,
        reader: str | None = None,
        *,
        on_event: Callable[[ReaderEvent], None] | None = None,
        poll_ms: int = 250,
        retry_seconds: float = 0.25,
    ) -> None:
        self.reader_prefix = reader
        self.on_event = on_event
        self.poll_ms = poll_ms
        self.retry_seconds = retry_seconds
        self.events: queue.Queue[ReaderEvent] = queue.Queue()
        self._context = PcscContext()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._present: dict[str, bool] = {}  # reader -> card present
        self._service_up: bool | None = None
        self._recoveries = 0
        self._last_error = ""
        self._state_lock = threading.Lock()

    def start(self) -> PcscWatcher:
        self._thread = threading.Thread(target=self._run, name="pcsc-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._context.cancel()
        if self._thread is not None:
            self._thread.join(5)
        self._context.invalidate()

    def health(self) -> ReaderHealth:
        with self._state_lock:
            if self._service_up is False:
                return ReaderHealth(ReaderState.SERVICE_DOWN, None, self._last_error, self._recoveries)
            if not self._present:
                return ReaderHealth(ReaderState.READER_MISSING, None, self._last_error, self._recoveries)
            reader, present = next(iter(self._present.items()))
            state = ReaderState.CARD_PRESENT if present else ReaderState.READY
            return ReaderHealth(state, reader, "", self._recoveries)

    def _emit(self, kind: EventKind, reader: str | None) -> None:
        event = ReaderEvent(kind, reader, dt.datetime.now(dt.UTC))
        log.info("card reader event: %s %s", kind.value, reader or "")
        self.events.put(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a broken listener must not kill the watcher
                log.exception("card reader event listener failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch_once()
            except ReaderServiceError as err:
                self._service_lost(str(err))
                self._stop.wait(self.retry_seconds)
            except IdCardError as err:
                log.warning("card reader watch: %s", err)
                self._last_error = str(err)
                self._stop.wait(self.retry_seconds)
            except Exception:  # supervise: whatever happens, keep watching
                log.exception("card reader watcher failed; restarting it")
                self._context.invalidate()
                self._stop.wait(self.retry_seconds)

    def _service_lost(self, detail: str) -> None:
        self._context.invalidate()
        with self._state_lock:
            was_up, self._service_up, self._last_error = self._service_up, False, detail
            gone = list(self._present)
            self._present.clear()
        if was_up is not False:
            for reader in gone:
                self._emit(EventKind.READER_REMOVED, reader)
            self._emit(EventKind.SERVICE_LOST, None)

    def _watch_once(self) -> None:
        readers = [
            r
            for r in self._context.readers()
            if self.reader_prefix is None or r.startswith(self.reader_prefix)
        ]
        with self._state_lock:
            was_up, self._service_up = self._service_up, True
        if was_up is False:
            with self._state_lock:
                self._recoveries += 1
            self._emit(EventKind.SERVICE_RESTORED, None)
        self._sync_readers(readers)
        states = [(reader, scard.SCARD_STATE_UNAWARE) for reader in readers]
        states.append((PNP_NOTIFICATION, scard.SCARD_STATE_UNAWARE))
        result, current = scard.SCardGetStatusChange(self._context.handle(), 0, states)
        if result not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            raise self._status_error(result)
        self._apply(current)
        # Now wait for the next change, with the states just seen as the baseline.
        baseline = [(name, event_state & ~scard.SCARD_STATE_CHANGED) for name, event_state, _ in current]
        result, changed = scard.SCardGetStatusChange(self._context.handle(), self.poll_ms, baseline)
        if result == scard.SCARD_S_SUCCESS:
            self._apply(changed)
        elif result not in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED, scard.SCARD_E_UNKNOWN_READER):
            raise self._status_error(result)

    def _status_error(self, result: int) -> IdCardError:
        error = pcsc_error("watching the readers", result)
        if result in _SERVICE_GONE:
            self._context.invalidate()
        return error

    def _sync_readers(self, readers: list[str]) -> None:
        with self._state_lock:
            removed = [r for r in self._present if r not in readers]
            added = [r for r in readers if r not in self._present]
            for reader in removed:
                del self._present[reader]
            for reader in added:
                self._present[reader] = False
        for reader in removed:
            self._emit(EventKind.READER_REMOVED, reader)
        for reader in added:
            self._emit(EventKind.READER_ADDED, reader)

    def _apply(self, states: list[tuple[str, int, list[int]]]) -> None:
        for name, event_state, _atr in states:
            if name == PNP_NOTIFICATION or name not in self._present:
                continue
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                continue
            present = bool(event_state & scard.SCARD_STATE_PRESENT)
            with self._state_lock:
                before, self._present[name] = self._present[name], present
            if present != before:
                self._emit(EventKind.CARD_INSERTED if present else EventKind.CARD_REMOVED, name)
