"""The window's counter devices as a controller extension: card reads kept briefly per window (sealed to
the case service: the controller cannot read them), and the document camera's captures fetched on the
clerk's request. Routes under ``/api/v1/ext/window``; every one
serves only the clerk signed in at the window (the queue's record of who is), never anyone else — not even
a manager, who signs in at a window like a clerk to use its devices.

- ``GET /mine?after=<seq>``: the clerk's window, its devices' availability, and the card reads and refusals
  at its reader newer than `after` (``after=-1``: none, only the current sequence number, so a page opened
  now shows nothing of the person before).
- ``POST /mine/capture``: the page under the window's document camera, as a JPEG (base64).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from devices.protocol import window as contract
from devices.protocol.kinds import CAPTURE_SECONDS, PART_SECONDS
from devices.protocol.payloads import CompletionCode
from hall.http_errors import error_response
from hall_controller.auth import Clerk
from hall_controller.extensions import DeviceEvent, Extension, PanelData
from hall_controller.registry import Availability, DeviceRecord

if TYPE_CHECKING:
    from fastapi import APIRouter

log = logging.getLogger(__name__)
KEPT_PER_WINDOW = 10


@dataclass(frozen=True)
class Read:
    seq: int
    window: int
    at: float  # time.monotonic()
    wall: float
    clerk: str | None  # who was signed in at the window when the card was laid: the only one to see it
    card: contract.CardReadData | None = None
    refused: contract.CardRefusedData | None = None

    def view(self) -> dict[str, Any]:
        if self.card is not None:
            return {"seq": self.seq, "at": self.wall, "sealed": self.card.sealed}
        assert self.refused is not None
        return {
            "seq": self.seq,
            "at": self.wall,
            "refused": self.refused.model_dump(mode="json", exclude={"v"}),
        }


class CaptureFailedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class WindowDevicesExtension(Extension):
    name = "window"
    events = frozenset({contract.CARD_READ_EVENT, contract.CARD_REFUSED_EVENT})

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._lock = threading.Lock()
        self._seq = 0
        self._reads: dict[int, deque[Read]] = {}
        self.reads_seen = 0

    # -- who is where ------------------------------------------------------------------------------------
    def window_of(self, username: str) -> int | None:
        """The window `username` is signed in at, by the queue's book; None when at none."""
        queue: Any = self.context.extension("queue")
        if queue is None:
            return None

        def find(book: Any) -> int | None:
            return next((w.number for w in book.windows.values() if w.clerk == username), None)

        found: int | None = queue.service.read(find)
        return found

    def clerk_at(self, window: int) -> str | None:
        queue: Any = self.context.extension("queue")
        if queue is None:
            return None
        clerk: str | None = queue.service.read(lambda book: getattr(book.windows.get(window), "clerk", None))
        return clerk

    def devices_of(self, window: int) -> dict[str, DeviceRecord]:
        """The window's reader and camera by kind (the first online one of each)."""
        found: dict[str, DeviceRecord] = {}
        for record in self.context.registry.snapshot():
            if record.kind not in (contract.WINDOW_ID_READER, contract.DOCUMENT_CAMERA):
                continue
            if record.description is None:
                continue
            if record.description.attributes.get(contract.WINDOW_ATTRIBUTE) != window:
                continue
            best = found.get(record.kind)
            if best is None or (
                best.availability is not Availability.ONLINE and record.availability is Availability.ONLINE
            ):
                found[record.kind] = record
        return found

    # -- device events -----------------------------------------------------------------------------------
    def on_event(self, event: DeviceEvent) -> None:
        if event.kind != contract.WINDOW_ID_READER:
            return
        record = self.context.registry.get(event.device_id)
        attributes = record.description.attributes if record and record.description else {}
        window = attributes.get(contract.WINDOW_ATTRIBUTE)
        if not isinstance(window, int) or isinstance(window, bool):
            log.warning("%s: a card reader bound to no window; read dropped", event.device_id)
            return
        try:
            card = refused = None
            if event.name == contract.CARD_READ_EVENT:
                card = contract.CardReadData.model_validate(event.data)
            else:
                refused = contract.CardRefusedData.model_validate(event.data)
        except ValidationError as err:
            # Never the error itself: pydantic's message quotes the input, an ID number.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors(include_input=False)
            )
            log.warning("%s: %s outside the contract: %s", event.device_id, event.name, problems)
            return
        clerk = self.clerk_at(window)
        with self._lock:
            self._seq += 1
            kept = self._reads.setdefault(window, deque(maxlen=KEPT_PER_WINDOW))
            kept.append(Read(self._seq, window, time.monotonic(), time.time(), clerk, card, refused))
            self.reads_seen += 1

    def reads(self, window: int, clerk: str, after: int) -> tuple[int, list[Read]]:
        """The current sequence number and the window's reads newer than `after`, not too old, made while
        `clerk` was signed in there."""
        horizon = time.monotonic() - contract.READ_KEEP_SECONDS
        with self._lock:
            kept = self._reads.get(window, deque())
            while kept and kept[0].at < horizon:
                kept.popleft()
            if after < 0:
                return self._seq, []
            return self._seq, [read for read in kept if read.seq > after and read.clerk == clerk]

    # -- the document camera -----------------------------------------------------------------------------
    async def capture(self, window: int, dpi: int) -> tuple[contract.CaptureTaken, bytes]:
        camera = self.devices_of(window).get(contract.DOCUMENT_CAMERA)
        if camera is None or camera.availability is not Availability.ONLINE:
            raise CaptureFailedError(409, "no_camera", f"window {window} has no document camera online")
        args = contract.CaptureArgs(dpi=dpi).model_dump(mode="json")
        outcome = await self.context.command(
            camera.device_id, contract.CAPTURE, args, seconds=CAPTURE_SECONDS
        )
        if not outcome.ok:
            if outcome.code is CompletionCode.INVALID_DATA and outcome.message == contract.NO_PAGE:
                raise CaptureFailedError(422, "no_page", "no page in view of the camera")
            raise CaptureFailedError(502, "camera_failed", f"the camera answered {outcome.code.value}")
        try:
            taken = contract.CaptureTaken.model_validate(outcome.result)
            parts = []
            for index in range(taken.parts):
                part_args = contract.PartArgs(capture_id=taken.capture_id, index=index).model_dump(
                    mode="json"
                )
                got = await self.context.command(
                    camera.device_id, contract.CAPTURE_PART, part_args, seconds=PART_SECONDS
                )
                if not got.ok:
                    raise CaptureFailedError(502, "camera_failed", f"part {index}: {got.code.value}")
                parts.append(contract.CapturePart.model_validate(got.result).raw)
        except ValidationError as err:
            raise CaptureFailedError(
                502, "camera_failed", "the camera's answer is outside the contract"
            ) from err
        data = b"".join(parts)
        if len(data) != taken.size or not data.startswith(b"\xff\xd8\xff"):
            raise CaptureFailedError(502, "camera_failed", "the page came incomplete")
        return taken, data

    # -- HTTP --------------------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        from fastapi import APIRouter, Query

        router = APIRouter(tags=["window"])
        extension = self

        @router.get("/mine", response_model=None)
        def mine(staff: Clerk, after: int = Query(default=-1, ge=-1)) -> Any:
            """The signed-in clerk's window: its devices and the card reads newer than `after`."""
            window = extension.window_of(staff.username)
            if window is None:
                return error_response(409, "not_signed_in", "sign in at a window to use its devices")
            devices = extension.devices_of(window)
            seq, reads = extension.reads(window, staff.username, after)

            def online(kind: str) -> bool:
                record = devices.get(kind)
                return record is not None and record.availability is Availability.ONLINE

            return {
                "window": window,
                "seq": seq,
                "reader": online(contract.WINDOW_ID_READER),
                "camera": online(contract.DOCUMENT_CAMERA),
                "reads": [read.view() for read in reads],
            }

        @router.post("/mine/capture", response_model=None)
        async def capture(staff: Clerk, dpi: int = Query(default=150, ge=100, le=300)) -> Any:
            """The page under the clerk's window's document camera, flattened and cleaned, as a JPEG."""
            window = extension.window_of(staff.username)
            if window is None:
                return error_response(409, "not_signed_in", "sign in at a window to use its devices")
            try:
                taken, data = await extension.capture(window, dpi)
            except CaptureFailedError as err:
                return error_response(err.status, err.code, err.message)
            log.info("window %d: %s captured a page (%d bytes)", window, staff.username, len(data))
            return {
                "window": window,
                "content_type": taken.content_type,
                "width": taken.width,
                "height": taken.height,
                "blank": taken.blank,
                "data": base64.b64encode(data).decode(),
            }

        return router

    def panel(self) -> PanelData | None:
        with self._lock:
            return PanelData("窗口读卡器与高拍仪", summary={"card reads": self.reads_seen})


EXTENSION = WindowDevicesExtension
