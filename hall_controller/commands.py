"""Commands in flight: request ids waiting for their ack and completion, and their deadlines. No I/O."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field

from devices.protocol.payloads import CompletionCode, JsonObject, Phase, Response


@dataclass(frozen=True)
class CommandOutcome:
    """How a command ended: the device's completion, or `timeOut` decided by the controller."""

    device_id: str
    command: str
    request_id: str
    code: CompletionCode
    result: JsonObject = field(default_factory=dict)
    message: str = ""
    acknowledged: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code is CompletionCode.SUCCESS


@dataclass
class _Pending:
    device_id: str
    command: str
    sent: float
    deadline: float
    future: Future[CommandOutcome]
    acknowledged: bool = False


_REQUEST_PREFIX = secrets.token_hex(4)  # drawn once per process: ids of a restarted controller differ
_REQUEST_NUMBERS = itertools.count(1)


def new_request_id() -> str:
    """Fresh for every command: this process's random prefix and a count. Not drawn from the operating
    system each time: `os.urandom` lets go of the GIL, and a key's handling then waited for it again
    while another thread ran (docs/adr/0014)."""
    return f"{_REQUEST_PREFIX}{next(_REQUEST_NUMBERS):08x}"


# Commands the controller sent, remembered until the broker hands each back once (the controller hears
# its hall's cmd topics to notice commands it did not send). Bounded: an echo never seen is forgotten.
SENT_REMEMBERED = 4096


class CommandTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._sent: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def register(
        self, device_id: str, command: str, request_id: str, timeout: float
    ) -> Future[CommandOutcome]:
        future: Future[CommandOutcome] = Future()
        now = time.monotonic()
        with self._lock:
            if request_id in self._pending:
                raise ValueError(f"request id {request_id!r} is already in flight")
            self._pending[request_id] = _Pending(device_id, command, now, now + timeout, future)
            self._sent[request_id] = (device_id, command)
            while len(self._sent) > SENT_REMEMBERED:
                self._sent.popitem(last=False)
        return future

    def sent_by_us(self, device_id: str, command: str, request_id: str) -> bool:
        """Whether a command seen on the broker is one this controller sent; each is answered True once
        (the same request id seen again is a replay, not ours)."""
        with self._lock:
            return self._sent.pop(request_id, None) == (device_id, command)

    def forget(self, request_id: str) -> None:
        with self._lock:
            self._pending.pop(request_id, None)
            self._sent.pop(request_id, None)

    def on_response(self, device_id: str, response: Response) -> CommandOutcome | None:
        """Returns the outcome when this response completes a command the controller is waiting for."""
        with self._lock:
            pending = self._pending.get(response.request_id)
            if pending is None or pending.device_id != device_id:
                return None
            if response.phase is Phase.ACK:
                pending.acknowledged = True
                return None
            del self._pending[response.request_id]
        outcome = CommandOutcome(
            device_id,
            pending.command,
            response.request_id,
            response.code or CompletionCode.INTERNAL_ERROR,
            response.result,
            response.message,
            acknowledged=pending.acknowledged,
            seconds=time.monotonic() - pending.sent,
        )
        pending.future.set_result(outcome)
        return outcome

    def expire(self, now: float | None = None) -> list[CommandOutcome]:
        """Completes with `timeOut` every command past its deadline."""
        now = time.monotonic() if now is None else now
        with self._lock:
            late = [(rid, p) for rid, p in self._pending.items() if p.deadline <= now]
            for request_id, _pending in late:
                del self._pending[request_id]
        outcomes = []
        for request_id, pending in late:
            message = "acknowledged, no completion in time" if pending.acknowledged else "no answer in time"
            outcome = CommandOutcome(
                pending.device_id,
                pending.command,
                request_id,
                CompletionCode.TIME_OUT,
                message=message,
                acknowledged=pending.acknowledged,
                seconds=now - pending.sent,
            )
            pending.future.set_result(outcome)
            outcomes.append(outcome)
        return outcomes

    def in_flight(self) -> int:
        with self._lock:
            return len(self._pending)
