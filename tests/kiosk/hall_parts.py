"""The hall around a touched kiosk, in the test's process (outside the kiosk's): the running hall
controller with a firmware_sim locker bank, and a network cable to the case service that the test cuts.
"""

from __future__ import annotations

import functools
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

BANK, LOCKERS_API = "locker-bank-01", "/api/v1/ext/lockers"


class Sms:
    """The SMS gateway's side of the hall: what the applicant's phone receives (the code unmasked)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    def send(self, phone: str, text: str, qr: str | None = None) -> None:
        self.sent.append((phone, text, qr))


@dataclass
class Lockers:
    """The running controller (`url`: queue, lockers, …) and its bank of firmware_sim lock boards."""

    url: str
    http: httpx.Client  # the lockers API
    rig: Any
    sms: Sms
    clerk: dict[str, str]
    manager: dict[str, str]
    bank: str = BANK
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def deposit(self, case_id: str, id_number: str) -> tuple[int, str, str]:
        """A clerk's deposit for the case's applicant, the door closed on it: the compartment, and the
        code and QR the applicant's SMS carries."""
        from tests.hall_controller.harness import wait_until

        with self._lock:
            case = {"case_id": case_id, "phone": "13812345678", "id_number": id_number}
            made = self.http.post("/demo-cases", json=case, headers=self.clerk)
            assert made.status_code == 200, made.text
            body = {"case_id": case_id, "size": "S", "bank_id": self.bank}
            answer = self.http.post("/deposits", json=body, headers=self.clerk)
            assert answer.status_code == 200, answer.text
            number = int(answer.json()["number"])
            sent = len(self.sms.sent)
            self.rig.person_puts_item_and_closes(number)
            assert wait_until(lambda: len(self.sms.sent) > sent, 30), "no pickup SMS"
            _phone, words, qr = self.sms.sent[-1]
        found = re.search(r"取件码 (\d{8})", words)
        assert found is not None and qr is not None, words
        return number, found.group(1), qr


@contextmanager
def controller_with_lockers(broker_url: str, folder: Path) -> Iterator[Lockers]:
    """The hall controller (every extension; the lockers' SMS to `Lockers.sms`) serving on loopback, its
    bank's eight compartments on firmware_sim lock boards behind the real gateway."""
    from devices.lockboard.gateway import LockerGateway
    from firmware_sim.lockers.rig import start_rig
    from hall_controller.app import create_app
    from hall_controller.extensions import discover_extensions
    from hall_controller.lockers.extension import LockersExtension
    from tests.hall_controller.harness import (
        controller_settings,
        new_hall_id,
        serving,
        staff_headers,
        wait_until,
    )

    settings = controller_settings(broker_url, folder, new_hall_id())
    sms = Sms()
    factories: list[Any] = [each for each in discover_extensions() if each is not LockersExtension]
    factories.append(functools.partial(LockersExtension, sms=sms, unlock_timeout=4.0))
    rig = start_rig(pulse_seconds=0.05, open_timeout=1.5, left_open_seconds=60)
    gateway = LockerGateway(settings.hall_id, BANK, rig.bank, poll_seconds=0.02)
    clerk = staff_headers(settings, "clerk1")
    manager = staff_headers(settings, "manager1", ("manager",))
    try:
        with (
            serving(create_app(settings, factories)) as url,
            httpx.Client(base_url=url + LOCKERS_API) as http,
        ):
            gateway.start(broker_url)
            assert wait_until(lambda: len(http.get("/compartments").json()) == 8, 30)
            yield Lockers(url, http, rig, sms, clerk, manager)
    finally:
        gateway.stop()
        rig.stop()


class Cable:
    """The network between the kiosk and the case service at `target`: a TCP relay on loopback (`url`
    replaces the service's), cut and mended by POST `control`/cut and /mend. Cut, the port refuses
    connections and the open ones are dropped, as when the hall's line is down."""

    def __init__(self, target: str) -> None:
        from hall.net import free_port

        parts = urlsplit(target)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._port = free_port()
        self.url = f"http://127.0.0.1:{self._port}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.mend()
        cable = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                if self.path == "/cut":
                    cable.cut()
                elif self.path == "/mend":
                    cable.mend()
                else:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._control = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.control = f"http://127.0.0.1:{self._control.server_address[1]}"
        threading.Thread(target=self._control.serve_forever, name="cable-control", daemon=True).start()

    def mend(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self._port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="cable", daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            dropped, self._open = self._open, set()
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for each in dropped:
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()

    def close(self) -> None:
        self.cut()
        self._control.shutdown()
        self._control.server_close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                far = socket.create_connection(self._upstream, timeout=10)
            except OSError:
                near.close()
                continue
            far.settimeout(None)
            with self._lock:
                self._open |= {near, far}
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
