"""Issue 15: a chunked request body skipped the size limit (only Content-Length was checked), and the
body was read before authentication: one unauthenticated 400 MB request grew the case service from
242 MB to 962 MB.

Against a started case service, over a raw socket as an attacker sends it: a chunked body is refused
while it arrives, long before its end; a body from a client that is not signed in is refused once past
the small limit of sign-in bodies, before an upload is read.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import httpx
import pytest

from case_service.bootstrap import demo_password
from tests.fixtures.hall import HallProcess

pytestmark = pytest.mark.integration

CHUNK = 64 * 1024
UPLOAD_LIMIT = 1024 * 1024  # the service's max upload in these tests
SENT_AT_MOST = 64 * 1024 * 1024  # what the attacker would send in all


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _send_chunked(url: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """Streams a chunked multipart body until the service answers; the status and the bytes sent."""
    host, port = url.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Transfer-Encoding: chunked"]
    lines += ["Content-Type: multipart/form-data; boundary=xx", *(f"{k}: {v}" for k, v in headers.items())]
    sent = 0
    chunk = f"{CHUNK:x}\r\n".encode() + b"A" * CHUNK + b"\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        part = b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        head = ("\r\n".join(lines) + "\r\n\r\n").encode() + f"{len(part):x}\r\n".encode() + part + b"\r\n"
        connection.sendall(head)
        connection.settimeout(0.0)
        reply = b""
        while sent < SENT_AT_MOST:
            with contextlib.suppress(BlockingIOError):
                reply += connection.recv(4096)
            if reply:
                break
            try:
                connection.settimeout(5)
                connection.sendall(chunk)
                connection.settimeout(0.0)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        if not reply and sent >= SENT_AT_MOST:
            return 0, sent  # the whole body went in unrefused (the service still waits for its end)
        connection.settimeout(30)
        while b"\r\n" not in reply:
            more = connection.recv(4096)
            if not more:
                break
            reply += more
    return _status(reply), sent


@pytest.fixture
def service(start_hall_process: Callable[..., HallProcess]) -> str:
    process = start_hall_process("case-service", case__max_upload_bytes=str(UPLOAD_LIMIT))
    assert process.url is not None
    return process.url


def test_a_chunked_body_is_refused_while_it_arrives(service: str) -> None:
    login = httpx.post(
        f"{service}/api/v1/auth/login", json={"username": "clerk1", "password": demo_password("clerk1")}
    )
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    status, sent = _send_chunked(service, "/api/v1/cases/1/materials", token)
    assert status == 413
    # Refused near the limit (socket buffers hold a few MiB more), not after the whole body.
    assert sent < 16 * 1024 * 1024, sent


def test_an_unauthenticated_body_is_refused_before_an_upload_is_read(service: str) -> None:
    status, sent = _send_chunked(service, "/api/v1/cases/1/materials", {})
    assert status == 401
    assert sent < 16 * 1024 * 1024, sent
    declared = httpx.post(
        f"{service}/api/v1/cases/1/materials",
        content=b"B" * (256 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=xx"},
    )
    assert declared.status_code == 401 and declared.json()["error"]["code"] == "unauthorized"
    # Sign-in bodies are small and still pass.
    login = httpx.post(
        f"{service}/api/v1/auth/login", json={"username": "clerk1", "password": demo_password("clerk1")}
    )
    assert login.status_code == 200
