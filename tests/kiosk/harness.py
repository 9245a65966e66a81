"""The kiosk without a window: flow + runner + simulated ports, events handled on the test's thread."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from pathlib import Path

from hall.privacy import PiiCipher
from kiosk.core import KioskCore
from kiosk.flow import FlowConfig
from kiosk.flow import events as ev
from kiosk.flow.state import KioskState
from kiosk.key_cache import CertificateKeyCache
from kiosk.outbox import Outbox
from kiosk.ports import CaseService, Ports
from kiosk.runtime import Runner, Watcher
from kiosk.scratch import Scratch
from kiosk.sim.devices import SimCamera, SimCardReader, SimPrinter, SimScanner
from kiosk.sim.hall_link import SimHallLink
from kiosk.voice import SilentVoice
from tests.kiosk.fake_case_service import SimCaseService

TEST_KEY = "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE="


@dataclass
class Sims:
    case_service: SimCaseService
    card_reader: SimCardReader
    scanner: SimScanner
    camera: SimCamera
    printer: SimPrinter
    hall: SimHallLink
    voice: SilentVoice


class Harness:
    def __init__(
        self,
        folder: Path,
        *,
        config: FlowConfig | None = None,
        case_service: CaseService | None = None,
        keys_file: Path | None = None,
    ) -> None:
        self.sims = Sims(
            SimCaseService(),
            SimCardReader(),
            SimScanner(),
            SimCamera(),
            SimPrinter(folder / "printed"),
            SimHallLink(),
            SilentVoice(),
        )
        self.ports = Ports(
            case_service or self.sims.case_service,
            self.sims.card_reader,
            self.sims.scanner,
            self.sims.camera,
            self.sims.printer,
            self.sims.hall,
            self.sims.voice,
        )
        self.cipher = PiiCipher.from_config(TEST_KEY)
        key_cache = CertificateKeyCache(keys_file, self.cipher) if keys_file is not None else None
        self.outbox = Outbox(folder / "outbox", self.cipher)
        self.scratch = Scratch(folder / "scratch")
        self.inbox: queue.Queue[ev.Event] = queue.Queue()
        self.runner = Runner(self.ports, self.outbox, self.scratch, self.inbox.put, key_cache=key_cache)
        self.core = KioskCore(config or FlowConfig(), self.runner)
        self.watcher = Watcher(self.ports, self.inbox.put)
        self.runner.warm_catalogue()

    @property
    def state(self) -> KioskState:
        return self.core.state

    def send(self, *events: ev.Event) -> KioskState:
        for event in events:
            self.core.handle(event)
            self.settle()
        return self.state

    def poll(self) -> KioskState:
        """One round of the device watcher, then everything it caused."""
        self.watcher.poll()
        self.settle()
        return self.state

    def settle(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.core.handle(self.inbox.get(timeout=0.01))
                continue
            except queue.Empty:
                pass
            if self.runner.idle() and self.inbox.empty():
                return
        raise TimeoutError("the kiosk did not settle")

    def close(self) -> None:
        self.runner.shutdown()
