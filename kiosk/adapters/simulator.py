"""The kiosk's devices on the hall simulator (firmware_sim/simulator), outside the kiosk's process.

Chosen by the entry point (kiosk/wiring.py) for each device left at "sim" (development; production refuses
every simulated device). The ID card comes through the real SAM driver on the simulator's emulated reader
port; the desk camera's frames go through the real capture path (`DocumentCamera`: devices/capture finds,
flattens and cleans the page); the QR codes held up, the desk's frames and the printer's paper are read
from the simulator's HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from devices.idcard.config import IdCardSettings
from devices.idcard.factory import sam_reader
from kiosk.adapters.idcard import IdCardReader
from kiosk.flow.model import Device
from kiosk.ports import DeviceFailureError, PrintDocument

log = logging.getLogger(__name__)
PAPER_OUT = "media-empty"


class HallSimulator:
    """The simulator at `url` (loopback); each method gives one of the kiosk's ports on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.Client(base_url=url, timeout=3.0)

    def get(self, path: str, device: Device) -> httpx.Response:
        try:
            answer = self._client.get(path)
            answer.raise_for_status()
        except httpx.HTTPError as err:
            raise DeviceFailureError(device, "simulator unreachable") from err
        return answer

    def devices(self, device: Device) -> dict[str, Any]:
        found: dict[str, Any] = self.get("/kiosk/devices", device).json()
        return found

    def card_reader(self, settings: IdCardSettings, *, recheck_seconds: float = 1.0) -> IdCardReader:
        port = str(self.devices(Device.CARD_READER)["card_reader"])
        log.info("the ID-card reader: the hall simulator's SAM module on %s", port)
        return IdCardReader(sam_reader(settings, port), recheck_seconds=recheck_seconds)

    def close(self) -> None:
        self._client.close()


class SimulatorScanner:
    def __init__(self, simulator: HallSimulator) -> None:
        self._simulator = simulator

    def next_code(self) -> str | None:
        code = self._simulator.get("/kiosk/scanner", Device.SCANNER).json().get("code")
        return str(code) if code else None


class SimulatorDesk:
    """The simulator's desk as the document camera sees it: a `FrameSource` for `DocumentCamera`."""

    name = "the hall simulator's document camera"

    def __init__(self, simulator: HallSimulator) -> None:
        self._simulator = simulator

    def read(self) -> np.ndarray | None:
        answer = self._simulator.get("/kiosk/desk/frame", Device.CAMERA)
        frame = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise DeviceFailureError(Device.CAMERA, "the simulator's frame is not an image")
        return np.asarray(frame)

    def close(self) -> None:
        """The frames are the simulator's; nothing is held here."""


class SimulatorPrinter:
    """Prints while the simulator's printer has paper: each document written to `folder` as a PDF."""

    def __init__(self, simulator: HallSimulator, folder: Path, *, check_every: float = 1.0) -> None:
        self._simulator = simulator
        self._folder = folder
        self._check_every = check_every
        self._lock = threading.Lock()
        self._jobs = 0
        self._checked: tuple[float, str | None] = (float("-inf"), None)

    def print_document(self, document: PrintDocument) -> str:
        if not self._simulator.devices(Device.PRINTER)["paper"]:
            raise DeviceFailureError(Device.PRINTER, PAPER_OUT)
        with self._lock:
            self._jobs += 1
            job = f"sim-{self._jobs}"
        self._folder.mkdir(parents=True, exist_ok=True)
        (self._folder / f"{job}.pdf").write_bytes(document.pdf)
        return job

    def problem(self) -> str | None:
        at, problem = self._checked
        if time.monotonic() - at >= self._check_every:
            problem = None if self._simulator.devices(Device.PRINTER)["paper"] else PAPER_OUT
            self._checked = (time.monotonic(), problem)
        return problem
