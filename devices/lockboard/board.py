"""The lock-board device kind: a Protocol, and the errors every backend raises."""

from __future__ import annotations

from typing import Protocol

from devices.lockboard.frames import BoardStatus


class LockBoardError(Exception):
    """The board could not be asked (timeout, port gone, bad answer)."""


class BoardTimeoutError(LockBoardError):
    """No valid answer from the board within the retries: unpowered, unplugged or wrong address."""


class LockBoard(Protocol):
    """One lock board on a bus. `unlock` gives the relay pulse; whether the door opened is in `status`."""

    @property
    def address(self) -> int: ...

    def status(self) -> BoardStatus: ...

    def unlock(self, lock: int) -> None: ...
