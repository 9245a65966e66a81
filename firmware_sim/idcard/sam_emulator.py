"""A SAM ID-card reader on a pseudo-terminal: answers find, select and read like the real module.

The backend opens `emulator.port` (e.g. /dev/pts/7) with pyserial exactly as it would open /dev/ttyUSB0.
Tell it what is on the reader with `present`, `remove_card`; inject faults with the other methods.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import tty
from dataclasses import dataclass

from devices.idcard import sam_frames as frames
from devices.idcard.errors import FrameError
from firmware_sim.idcard.cards import SimCard

log = logging.getLogger(__name__)


@dataclass
class _Faults:
    pull_during_read: bool = False
    corrupt_next_checksum: bool = False
    truncate_next_answer: bool = False
    mute: bool = False


class SamLogic:
    """The reader's answers, without the pty (unit-testable)."""

    def __init__(self) -> None:
        self.card: SimCard | None = None
        self.faults = _Faults()
        self.selected = False
        self.requests: list[bytes] = []

    def answer(self, payload: bytes | FrameError) -> bytes | None:
        if isinstance(payload, FrameError):
            return frames.answer(frames.Status.BAD_CHECKSUM)
        self.requests.append(payload)
        if self.faults.mute:
            return None
        frame = self._answer(bytes(payload[:2]), payload[2:])
        if self.faults.corrupt_next_checksum:
            self.faults.corrupt_next_checksum = False
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        if self.faults.truncate_next_answer:
            self.faults.truncate_next_answer = False
            frame = frame[: len(frame) // 2]
        return frame

    def _answer(self, command: bytes, _data: bytes) -> bytes:
        if command == frames.SAM_STATUS:
            return frames.answer(frames.Status.OK)
        if command == frames.FIND_CARD:
            self.selected = False
            if self.card is None:
                return frames.answer(frames.Status.FIND_FAILED)
            return frames.answer(frames.Status.CARD_FOUND, bytes(4))
        if command == frames.SELECT_CARD:
            if self.card is None:
                return frames.answer(frames.Status.SELECT_FAILED)
            self.selected = True
            return frames.answer(frames.Status.OK, bytes(8))
        if command == frames.READ_BASE:
            if self.faults.pull_during_read:
                self.faults.pull_during_read = False
                self.card = None
            if self.card is None or not self.selected:
                return frames.answer(frames.Status.READ_FAILED)
            card = self.card
            sizes = len(card.text).to_bytes(2, "big") + len(card.photo).to_bytes(2, "big")
            return frames.answer(frames.Status.OK, sizes + card.text + card.photo)
        return frames.answer(frames.Status.BAD_COMMAND)


class SamReaderEmulator:
    """SamLogic behind a pty; `start()` then give `port` to the serial backend; `stop()` or `unplug()`."""

    def __init__(self) -> None:
        self.logic = SamLogic()
        self._lock = threading.Lock()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sam-emulator", daemon=True)

    def start(self) -> SamReaderEmulator:
        self._thread.start()
        return self

    # what is on the reader
    def present(self, card: SimCard) -> None:
        with self._lock:
            self.logic.card = card

    def remove_card(self) -> None:
        with self._lock:
            self.logic.card = None

    # faults
    def pull_card_during_next_read(self) -> None:
        with self._lock:
            self.logic.faults.pull_during_read = True

    def corrupt_next_checksum(self) -> None:
        with self._lock:
            self.logic.faults.corrupt_next_checksum = True

    def truncate_next_answer(self) -> None:
        with self._lock:
            self.logic.faults.truncate_next_answer = True

    def mute(self, muted: bool = True) -> None:
        with self._lock:
            self.logic.faults.mute = muted

    def _serve(self) -> None:
        splitter = frames.FrameSplitter()
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select([self._master], [], [], 0.1)
                if not readable:
                    continue
                chunk = os.read(self._master, 4096)
            except OSError:
                return  # unplugged
            for payload in splitter.feed(chunk):
                with self._lock:
                    reply = self.logic.answer(payload)
                if reply is not None:
                    self._write(reply)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
            except OSError:
                return
            view = view[written:]

    def unplug(self) -> None:
        """As if the USB cable were pulled: the port disappears and open handles fail."""
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> SamReaderEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
