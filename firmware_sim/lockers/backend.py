"""The simulated LockBoard backend: talks to the board firmware in-process, without a serial line."""

from __future__ import annotations

from devices.lockboard import frames
from devices.lockboard.board import BoardTimeoutError, LockBoardError
from devices.lockboard.frames import BoardStatus
from firmware_sim.lockers.physics import BoardFirmware


class SimulatedLockBoard:
    def __init__(self, firmware: BoardFirmware) -> None:
        self.firmware = firmware

    @property
    def address(self) -> int:
        return self.firmware.address

    def _ask(self, request: bytes, command: int) -> frames.Frame:
        parsed = frames.FrameParser(frames.REQUEST_LENGTHS).feed(request)
        reply = self.firmware.handle(parsed[0])
        if reply is None:
            raise BoardTimeoutError(f"simulated board {self.address} does not answer")
        answer = frames.FrameParser(frames.REPLY_LENGTHS).feed(reply)
        if not answer or answer[0].command != command:
            raise LockBoardError(f"simulated board {self.address} answered {reply.hex()}")
        return answer[0]

    def status(self) -> BoardStatus:
        return frames.decode_status(self._ask(frames.status_request(self.address), frames.CMD_STATUS))

    def unlock(self, lock: int) -> None:
        self._ask(frames.unlock_request(self.address, lock), frames.CMD_UNLOCK)
