"""The SAM ID-card reader on a serial port (pyserial): find, select, read, decode."""

from __future__ import annotations

import logging
import termios
import threading

import serial

from devices.idcard import sam_frames as frames
from devices.idcard.errors import (
    CardDataError,
    CardRemovedError,
    FrameError,
    IdCardError,
    NoCardError,
    ReaderMissingError,
    ReaderTimeoutError,
)
from devices.idcard.gat490 import PHOTO_BLOCK_SIZE, TEXT_BLOCK_SIZE, decode_text_block
from devices.idcard.identity import Identity
from devices.idcard.reader import ReaderHealth, ReaderState

log = logging.getLogger(__name__)

_CARD_REJECTED = {
    frames.Status.CARD_AUTHENTICATION_FAILED,
    frames.Status.READER_AUTHENTICATION_FAILED,
    frames.Status.DATA_VERIFICATION_FAILED,
    frames.Status.UNKNOWN_CARD_TYPE,
}


def _status_error(step: str, status: int) -> IdCardError:
    if status == frames.Status.FIND_FAILED:
        return NoCardError("no card on the reader")
    if status in (frames.Status.SELECT_FAILED, frames.Status.READ_FAILED):
        return CardRemovedError(f"the card was taken away during {step}")
    if status in _CARD_REJECTED:
        return CardDataError(
            f"the reader rejected the card during {step} (status {status:02X}): damaged card"
        )
    if status in (frames.Status.BAD_CHECKSUM, frames.Status.BAD_LENGTH):
        return FrameError(f"the reader received a garbled frame during {step} (status {status:02X})")
    return IdCardError(f"the reader answered {step} with status {status:02X}")


def split_base_info(data: bytes) -> tuple[bytes, bytes]:
    """Text and photo blocks from the answer to READ_BASE: text length, photo length, text, photo."""
    if len(data) < 4:
        raise CardDataError("the reader's answer holds no card data")
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if text_length != TEXT_BLOCK_SIZE or photo_length > PHOTO_BLOCK_SIZE:
        raise CardDataError(f"unexpected block sizes: text {text_length}, photo {photo_length}")
    if len(data) != 4 + text_length + photo_length:
        raise CardDataError(f"the card data is {len(data) - 4} bytes, announced {text_length + photo_length}")
    return data[4 : 4 + text_length], data[4 + text_length :]


class SamSerialReader:
    """A CardReader over a serial port (`port` is a device path or any pyserial URL)."""

    def __init__(self, port: str, *, baudrate: int = 115200, timeout: float = 1.0) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout = timeout
        self._serial: serial.Serial | None = None
        self._lock = threading.Lock()

    def _connection(self) -> serial.Serial:
        if self._serial is None or not self._serial.is_open:
            try:
                self._serial = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=self.timeout)
            except (serial.SerialException, OSError) as err:
                raise ReaderMissingError(f"no ID-card reader at {self.port}") from err
        return self._serial

    def _drop_connection(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError, termios.error):
                log.debug("closing %s failed", self.port, exc_info=True)
        self._serial = None

    def _read_exactly(self, port: serial.Serial, count: int, started: bool) -> bytes:
        data = port.read(count)
        if len(data) == count:
            return bytes(data)
        if not data and not started:
            raise ReaderTimeoutError(f"the reader at {self.port} did not answer within {self.timeout} s")
        raise FrameError(f"the reader's frame stopped after {len(data)} of {count} bytes")

    def exchange(self, command: frames.Command, data: bytes = b"") -> frames.Answer:
        """One request and its answer; IdCardError subclasses for every way that fails."""
        with self._lock:
            port = self._connection()
            try:
                port.reset_input_buffer()
                port.write(frames.request(command, data))
                header = self._read_exactly(port, frames.HEADER_SIZE, started=False)
                body = self._read_exactly(port, frames.body_length(header), started=True)
            except (serial.SerialException, OSError, termios.error) as err:
                self._drop_connection()
                raise ReaderMissingError(f"the ID-card reader at {self.port} went away") from err
            return frames.Answer.of(frames.payload_of(header + body))

    def read_blocks(self) -> tuple[bytes, bytes]:
        """Find, select and read: the raw text and photo blocks."""
        found = self.exchange(frames.FIND_CARD)
        if found.status != frames.Status.CARD_FOUND:
            raise _status_error("find", found.status)
        selected = self.exchange(frames.SELECT_CARD)
        if selected.status != frames.Status.OK:
            raise _status_error("select", selected.status)
        read = self.exchange(frames.READ_BASE)
        if read.status != frames.Status.OK:
            raise _status_error("read", read.status)
        return split_base_info(read.data)

    def card_present(self) -> bool:
        found = self.exchange(frames.FIND_CARD)
        if found.status == frames.Status.CARD_FOUND:
            return True
        if found.status == frames.Status.FIND_FAILED:
            return False
        raise _status_error("find", found.status)

    def read_identity(self) -> Identity:
        text, photo = self.read_blocks()
        return decode_text_block(text, photo)

    def health(self) -> ReaderHealth:
        try:
            status = self.exchange(frames.SAM_STATUS).status
        except ReaderMissingError as err:
            return ReaderHealth(ReaderState.READER_MISSING, self.port, str(err))
        except IdCardError as err:
            return ReaderHealth(ReaderState.FAULT, self.port, str(err))
        if status != frames.Status.OK:
            return ReaderHealth(ReaderState.FAULT, self.port, f"SAM status {status:02X}")
        return ReaderHealth(ReaderState.READY, self.port)

    def close(self) -> None:
        with self._lock:
            self._drop_connection()
