"""Several simulated boards on one RS485 bus, served on a pseudo-terminal (os.openpty).

The driver opens `port` (the pty's slave side) with pyserial exactly as it opens /dev/ttyUSB0; this side
reads the master, hands each request to every board (only the addressed one answers, as on RS485), and
can inject line noise or swallow replies to exercise the driver's resynchronisation and timeouts.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import tty
from collections.abc import Iterable

from devices.lockboard import frames
from firmware_sim.lockers.physics import BoardFirmware

log = logging.getLogger(__name__)


class PtyLockBus:
    def __init__(self, boards: Iterable[BoardFirmware]) -> None:
        self.boards = {board.address: board for board in boards}
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._parser = frames.FrameParser(frames.REQUEST_LENGTHS)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._noise_before_reply = b""
        self._replies_to_swallow = 0
        self._reply_delays: list[float] = []
        self.requests = 0
        self._thread: threading.Thread | None = None

    def start(self) -> PtyLockBus:
        self._thread = threading.Thread(target=self._serve, name=f"lockbus-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                log.debug("fd %d already closed", fd)

    def __enter__(self) -> PtyLockBus:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def board(self, address: int) -> BoardFirmware:
        return self.boards[address]

    # -- line faults -------------------------------------------------------------------------------------
    def inject_noise(self, data: bytes) -> None:
        """Writes `data` on the line before the next reply."""
        with self._lock:
            self._noise_before_reply += data

    def swallow_replies(self, count: int) -> None:
        """The next `count` replies are lost on the line (the host times out)."""
        with self._lock:
            self._replies_to_swallow += count

    def delay_replies(self, *seconds: float) -> None:
        """The next replies come late by these many seconds each (a slow board, a busy line)."""
        with self._lock:
            self._reply_delays.extend(seconds)

    def write_raw(self, data: bytes) -> None:
        os.write(self._master, data)

    # -- serving -----------------------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 1024)
            except OSError:
                return
            for frame in self._parser.feed(data):
                self._answer(frame)

    def _answer(self, frame: frames.Frame) -> None:
        self.requests += 1
        board = self.boards.get(frame.address)
        reply = board.handle(frame) if board is not None else None
        if reply is None:
            return
        with self._lock:
            if self._replies_to_swallow:
                self._replies_to_swallow -= 1
                return
            noise, self._noise_before_reply = self._noise_before_reply, b""
            delay = self._reply_delays.pop(0) if self._reply_delays else 0.0
        if delay:
            threading.Timer(delay, self._write, args=(noise + reply,)).start()
            return
        self._write(noise + reply)

    def _write(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except OSError:
            log.debug("bus closed while answering")
