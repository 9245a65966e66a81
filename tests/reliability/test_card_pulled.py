"""A card pulled off the reader mid-read, as a fault of the whole kiosk path.

The kiosk's flow, runner and device watcher (kiosk/runtime.py) on its real ports: the ID-card port
(kiosk/adapters/idcard.py) over the real driver — PC/SC through pcscd + vsmartcard-vpcd with
firmware_sim's card emulator, or the SAM reader protocol on a pty with firmware_sim's SAM emulator —
and the case service port (kiosk/adapters/http_case.py) on a real `hall case-service` process. The card
is taken away part-way through the read. Then: nobody is signed in — the kiosk shows, and speaks, why
(card_removed: place it again and leave it until it is read) on its identify screen — the kiosk logs
that the card left during the read, nothing of the half-read identity is kept
(no card in the flow, none cached by the port, no sign-in asked of the case service, no ID number in
any log line) — and the next card placed on the reader is read whole and signs in.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devices.idcard.config import IdCardSettings
from devices.idcard.pcsc import PcscReader
from devices.idcard.reader import CardReader as DeviceCardReader
from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.idcard.reader import SimulatedReader, open_simulated_card_reader
from firmware_sim.idcard.vpcd_card import VirtualCard
from hall.privacy import PiiCipher
from kiosk.adapters.http_case import HttpCaseService
from kiosk.adapters.idcard import IdCardReader
from kiosk.core import KioskCore
from kiosk.flow import FlowConfig
from kiosk.flow import events as ev
from kiosk.flow.state import KioskState, Screen
from kiosk.outbox import Outbox
from kiosk.ports import Ports
from kiosk.runtime import Runner, Watcher
from kiosk.scratch import Scratch
from kiosk.sim.devices import SimCamera, SimPrinter, SimScanner
from kiosk.sim.hall_link import SimHallLink
from kiosk.voice import SilentVoice
from tests.fixtures.pcsc import PcscStack
from tests.kiosk.conftest import kiosk_secret
from tests.kiosk.harness import TEST_KEY
from tests.reliability.workers import CaseWorker

pytestmark = pytest.mark.integration

SIGN_IN = "/api/v1/auth/applicant-token"
SETTLED_SECONDS = 5.0  # stated: the reader is ready for the next card this long after a pull


@dataclass
class CountingTransport(httpx.BaseTransport):
    """The real HTTP transport, counting the kiosk's sign-in requests to the case service."""

    inner: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)
    sign_ins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == SIGN_IN:
            with self._lock:
                self.sign_ins += 1
        return self.inner.handle_request(request)


class Kiosk:
    """The kiosk without a window (as tests/kiosk/harness.py), on a real card reader and case service."""

    def __init__(self, folder: Path, reader: DeviceCardReader, case_url: str) -> None:
        self.transport = CountingTransport()
        self.case = HttpCaseService(
            case_url,
            device_id="kiosk-pulled-card",
            secret=kiosk_secret(case_url, "kiosk-pulled-card"),
            transport=self.transport,
        )
        self.card_port = IdCardReader(reader, recheck_seconds=0.0)
        self.scratch_dir = folder / "scratch"
        ports = Ports(
            self.case,
            self.card_port,
            SimScanner(),
            SimCamera(),
            SimPrinter(folder / "printed"),
            SimHallLink(),
            SilentVoice(),
        )
        self.inbox: queue.Queue[ev.Event] = queue.Queue()
        outbox = Outbox(folder / "outbox", PiiCipher.from_config(TEST_KEY))
        self.runner = Runner(ports, outbox, Scratch(self.scratch_dir), self.inbox.put)
        self.core = KioskCore(FlowConfig(), self.runner)
        self.watcher = Watcher(ports, self.inbox.put)

    def poll(self) -> KioskState:
        """One round of the device watcher (the card read included), then everything it caused."""
        self.watcher.poll(check_service=False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.core.handle(self.inbox.get(timeout=0.01))
                continue
            except queue.Empty:
                pass
            if self.runner.idle() and self.inbox.empty():
                return self.core.state
        raise TimeoutError("the kiosk did not settle")

    def close(self) -> None:
        self.runner.shutdown()


@dataclass
class Rig:
    """A reader interface: the device reader, how to put a card on it, pull the next read, await empty."""

    reader: DeviceCardReader
    put: Callable[[SimCard], None]
    pull_during_read: Callable[[], None]
    settled_empty: Callable[[], bool]


@pytest.fixture(scope="module")
def case_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `hall case-service` process (SQLite) for the module's readers."""
    folder = tmp_path_factory.mktemp("pulled-card-case")
    worker = CaseWorker.start(folder, "case-service", database_url=f"sqlite:///{folder / 'case.db'}")
    yield worker.url
    worker.stop()


@pytest.fixture(params=["pcsc-early", "pcsc-late", "sam"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param.startswith("pcsc"):
        pcsc: PcscStack = request.getfixturevalue("pcsc")
        # After 1 answered APDU (selecting the application) or 14 (the photo being read).
        answered = 1 if request.param == "pcsc-early" else 14
        backend = PcscReader(pcsc.reader_name)
        yield Rig(
            backend,
            lambda card: pcsc.insert(VirtualCard(card)),
            lambda: pcsc.card.pull_after(answered),
            lambda: not pcsc.card_present(),
        )
        backend.close()
        return
    opened: SimulatedReader = open_simulated_card_reader(IdCardSettings(interface="sam", timeout_seconds=0.5))
    emulator = opened.sam_emulator
    assert emulator is not None
    yield Rig(
        opened.reader,
        emulator.present,
        emulator.pull_card_during_next_read,
        lambda: emulator.logic.card is None,
    )
    opened.close()


def test_a_card_pulled_mid_read_signs_nobody_in_says_why_and_the_next_card_works(
    rig: Rig, case_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kiosk = Kiosk(tmp_path, rig.reader, case_url)
    try:
        pulled = sample_identity("李四")
        rig.put(SimCard.of(pulled))
        rig.pull_during_read()
        state = kiosk.poll()

        # Nobody signed in, the reason on screen, nothing of the half-read card kept anywhere, nothing
        # asked of the case service.
        assert state.screen is Screen.IDENTIFY and state.session is not None, state
        assert state.session.applicant is None and not state.card_present
        assert state.session.notice is not None and state.session.notice.key == "card_removed"
        assert kiosk.transport.sign_ins == 0
        assert [r for r in caplog.records if "left the reader during the read" in r.getMessage()]
        deadline = time.monotonic() + SETTLED_SECONDS
        while not rig.settled_empty():  # the reader (pcscd's slot poll) sees the empty slot
            assert time.monotonic() < deadline, f"reader not empty {SETTLED_SECONDS} s after the pull"
            time.sleep(0.05)
        settled = kiosk.poll().session
        assert settled is not None and settled.applicant is None and kiosk.card_port.current_card() is None
        assert not kiosk.scratch_dir.exists() or not any(kiosk.scratch_dir.iterdir())

        # The next card, left on the reader, is read whole and signs in at the real case service.
        good = sample_identity("王芳")
        rig.put(SimCard.of(good))
        state = kiosk.poll()
        session = state.session
        assert session is not None and session.applicant is not None, state
        assert state.screen is Screen.MENU
        assert session.applicant.id_number == good.id_number and session.applicant.name == "王芳"
        assert session.token and not session.offline
        assert kiosk.transport.sign_ins == 1
        for record in caplog.records:  # personal data never logged unmasked
            assert pulled.id_number not in record.getMessage()
            assert good.id_number not in record.getMessage()
    finally:
        kiosk.close()
