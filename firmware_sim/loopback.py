"""The demo's development pages (the locker doors, the hall simulator): a stdlib HTTP server on loopback on
its own thread, whose buttons are forms; each answers by going back to the page with a sentence. Refused in
production by their `start_*` functions."""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

from hall.settings import Settings


class LoopbackPage:
    """The server of `handler` on 127.0.0.1:`port` (0: any free one); `url` once constructed."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int, name: str) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def from_another_site(handler: BaseHTTPRequestHandler) -> bool:
    """A form posted by another site's page (no cross-site forms may press the buttons)."""
    origin = handler.headers.get("Origin")
    return origin is not None and origin != f"http://{handler.headers.get('Host', '')}"


def message_of(path: str) -> str:
    """The sentence a page shows after a button (`/?msg=...`)."""
    return unquote(path.partition("?msg=")[2])[:200]


def back_to_page(handler: BaseHTTPRequestHandler, said: str) -> None:
    handler.send_response(HTTPStatus.SEE_OTHER)
    handler.send_header("Location", "/?msg=" + quote(said))
    handler.end_headers()


def send(handler: BaseHTTPRequestHandler, status: HTTPStatus, kind: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    handler.wfile.write(body)


def write_url(settings: Settings, url_file: Path, url: str) -> None:
    """The page's address under the data dir, where `hall demo` finds and prints it."""
    where = settings.data_dir / url_file
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(url + "\n", encoding="utf-8")
