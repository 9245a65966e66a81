"""The clerk's window, asked of the hall controller when a case is filed (window_devices.clerk_window),
beneath the intake journeys: a controller that accepts the connection and never answers costs about a
second (measured), not five, and the case goes on with no window; an answer is kept a short time per
clerk session. The controllers here are bare sockets and a small HTTP server: stand-ins beneath the
journeys (test_window_devices.py asks the real controller)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from case_service.web import window_devices
from hall.settings import Settings


def services_at(port: int) -> Any:
    """What clerk_window reads of the services: the controller's address."""
    return SimpleNamespace(settings=Settings(controller={"host": "127.0.0.1", "port": port}))


@pytest.fixture
def silent_controller() -> Iterator[int]:
    """A controller that takes the connection and the request, and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def answering_controller() -> Iterator[tuple[int, list[str]]]:
    """A controller that answers window 3 to every clerk, and the tokens it was asked with."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.headers["Authorization"].removeprefix("Bearer "))
            body = json.dumps({"window": 3, "seq": 0, "reads": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], asked
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> window_devices._Windows:
    cache = window_devices._Windows(clock=time.monotonic)
    monkeypatch.setattr(window_devices, "WINDOWS", cache)
    return cache


def test_a_controller_that_does_not_answer_costs_about_a_second(silent_controller: int) -> None:
    services = services_at(silent_controller)
    started = time.monotonic()
    window = window_devices.clerk_window(services, "clerk-token")
    waited = time.monotonic() - started
    print(f"\nclerk_window against a silent controller: {waited:.2f} s")
    assert window is None
    assert window_devices.WINDOW_TIMEOUT_SECONDS <= waited < 2 * window_devices.WINDOW_TIMEOUT_SECONDS
    # No answer is not kept: the next filing asks again (and waits again, at most as long).
    started = time.monotonic()
    assert window_devices.clerk_window(services, "clerk-token") is None
    assert time.monotonic() - started >= window_devices.WINDOW_TIMEOUT_SECONDS


def test_an_answer_is_kept_a_short_time_per_clerk_session(
    answering_controller: tuple[int, list[str]], fresh_cache: window_devices._Windows
) -> None:
    port, asked = answering_controller
    services = services_at(port)
    now = [1000.0]
    fresh_cache.clock = lambda: now[0]
    assert window_devices.clerk_window(services, "session-a") == 3
    assert window_devices.clerk_window(services, "session-a") == 3
    assert asked == ["session-a"]  # the second filing did not ask
    assert window_devices.clerk_window(services, "session-b") == 3
    assert asked == ["session-a", "session-b"]  # another clerk's session asks for itself
    now[0] += window_devices.WINDOW_CACHE_SECONDS + 0.1
    assert window_devices.clerk_window(services, "session-a") == 3
    assert asked == ["session-a", "session-b", "session-a"]  # once the answer is old, asked again
