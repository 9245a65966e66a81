"""The lock-board device kind: a Protocol, and the errors every backend raises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


_IN_COMMAND: ContextVar[bool] = ContextVar("lockboard_in_command", default=False)


@contextmanager
def command_priority() -> Iterator[None]:
    """Requests made inside (an unlock and the reads that watch its door open) go before the watcher's
    polls on a shared line. Backends without a shared line ignore it."""
    token = _IN_COMMAND.set(True)
    try:
        yield
    finally:
        _IN_COMMAND.reset(token)


def in_command() -> bool:
    return _IN_COMMAND.get()
