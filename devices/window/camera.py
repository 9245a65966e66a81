"""The window's document camera (高拍仪) as a hall device: any `FrameSource` (a V4L2 camera through OpenCV,
or firmware_sim's simulated desk) answers ``cmd/capture`` with the page in view, flattened and cleaned by
devices/capture, as a JPEG within the contract's budget.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from typing import Any

from devices.camera.sources import CameraError, FrameSource
from devices.capture.errors import CaptureError, PageNotFoundError
from devices.capture.pdf import encode_page
from devices.capture.pipeline import capture_page
from devices.protocol import window as contract
from devices.protocol.device import CommandFailedError, CommandResult, ProtocolDevice
from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import Command, CompletionCode

log = logging.getLogger(__name__)
# A camera's first frames after a while may be dark or stale: the page is taken from the last of these.
FRAMES_PER_CAPTURE = 2


class WindowDocumentCamera(ProtocolDevice):
    def __init__(self, hall: str, device_id: str, window: int, source: FrameSource, **kwargs: Any) -> None:
        super().__init__(
            hall,
            device_id,
            kind=contract.DOCUMENT_CAMERA,
            capabilities=["a4", "jpeg"],
            attributes={contract.WINDOW_ATTRIBUTE: window},
            **kwargs,
        )
        self.window = window
        self.source = source
        self.captures = 0
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, list[bytes]] = OrderedDict()
        self.register_command(contract.CAPTURE, self._capture)
        self.register_command(contract.CAPTURE_PART, self._part)

    def _capture(self, command: Command) -> CommandResult:
        try:
            args = contract.CaptureArgs.model_validate(command.args)
        except ValueError as err:
            raise CommandFailedError(CompletionCode.INVALID_DATA, "bad capture arguments") from err
        with self._lock:
            frame = None
            try:
                for _ in range(FRAMES_PER_CAPTURE):
                    frame = self.source.read()
            except CameraError as err:
                self.update_state(raise_issues=[issue(HealthCode.CAMERA_MISSING)])
                raise CommandFailedError(CompletionCode.HARDWARE_ERROR, "camera not available") from err
            if frame is None:
                self.update_state(raise_issues=[issue(HealthCode.CAMERA_MISSING)])
                raise CommandFailedError(CompletionCode.HARDWARE_ERROR, "camera gave no picture")
            self.update_state(clear_issues=[HealthCode.CAMERA_MISSING.value])
            try:
                page = capture_page(frame, dpi=args.dpi)
                encoded = encode_page(page.image, args.dpi, budget=args.budget)
            except PageNotFoundError as err:
                raise CommandFailedError(CompletionCode.INVALID_DATA, contract.NO_PAGE) from err
            except CaptureError as err:
                log.warning("%s: capture failed: %s", self.device_id, err)
                raise CommandFailedError(CompletionCode.HARDWARE_ERROR, "capture failed") from err
            self.captures += 1
            parts = contract.split(encoded.jpeg)
            capture_id = f"{self.instance[:16]}-{self.captures}"
            self._kept[capture_id] = parts
            while len(self._kept) > contract.KEPT_CAPTURES:
                self._kept.popitem(last=False)
        height, width = page.image.shape[:2]
        scale = encoded.dpi / args.dpi
        taken = contract.CaptureTaken(
            capture_id=capture_id,
            size=len(encoded.jpeg),
            parts=len(parts),
            width=max(1, round(width * scale)),
            height=max(1, round(height * scale)),
            blank=page.blank,
        )
        return CommandResult(result=taken.model_dump(mode="json"))

    def _part(self, command: Command) -> CommandResult:
        try:
            args = contract.PartArgs.model_validate(command.args)
        except ValueError as err:
            raise CommandFailedError(CompletionCode.INVALID_DATA, "bad part arguments") from err
        with self._lock:
            parts = self._kept.get(args.capture_id)
        if parts is None or args.index >= len(parts):
            raise CommandFailedError(CompletionCode.INVALID_DATA, "no such capture or part")
        part = contract.CapturePart(
            capture_id=args.capture_id, index=args.index, data=base64.b64encode(parts[args.index]).decode()
        )
        return CommandResult(result=part.model_dump(mode="json"))
