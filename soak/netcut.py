"""A TCP forwarder that can cut the network: the link between the hall and the case service, controlled.

`LinkProxy(upstream_port).start()` listens on a free loopback port and forwards every connection to the
upstream. `cut()` blackholes the link the way a pulled cable or a dead router does: nothing is refused
or reset, bytes simply stop moving in both directions (open connections stall, new ones are accepted but
never reach the other side), so clients see timeouts, not errors. `heal()` lets the held bytes through,
late, as TCP would after a short outage — a request may thus reach the service after its client gave
up, which is what idempotency keys are for. `reset()` is the harsher variant: every open connection is
aborted (RST), as after a router reboot.

The forwarder runs its own asyncio loop in a daemon thread; its methods are safe from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
import time

log = logging.getLogger(__name__)

CHUNK = 65536
LINGER_ZERO = struct.pack("ii", 1, 0)


class LinkProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._requested_port = port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="link-proxy", daemon=True)
        self._open: asyncio.Event | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0  # accepted since start
        self.cut_since: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self.cut_since is not None

    def start(self) -> LinkProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def cut(self) -> None:
        """Blackhole: bytes stop in both directions until `heal()`."""
        self.cut_since = time.monotonic()
        self._loop.call_soon_threadsafe(self._event().clear)
        log.warning("link to %s:%d cut", *self.upstream)

    def heal(self) -> float:
        """Bytes flow again (the held ones first); seconds the link was cut."""
        since, self.cut_since = self.cut_since, None
        self._loop.call_soon_threadsafe(self._event().set)
        log.warning("link to %s:%d healed", *self.upstream)
        return time.monotonic() - since if since is not None else 0.0

    def reset(self) -> None:
        """Abort every open connection (RST on both sides); the link itself stays as it is."""

        def abort_all() -> None:
            for writer in list(self._writers):
                transport = writer.transport
                if isinstance(transport, asyncio.Transport):
                    with contextlib.suppress(OSError):
                        sock = transport.get_extra_info("socket")
                        if sock is not None:  # SO_LINGER 0: close sends RST, not FIN
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ZERO)
                    transport.abort()

        self._loop.call_soon_threadsafe(abort_all)

    # -- inside the loop -----------------------------------------------------------------------------
    def _event(self) -> asyncio.Event:
        assert self._open is not None, "start() the proxy first"
        return self._open

    async def _listen(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self._requested_port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(client_writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            await self._event().wait()  # a cut link: the connection reaches nothing until it heals
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return  # the service itself is down: the client sees the connection closed
            self._writers.add(upstream_writer)
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer),
                self._pipe(upstream_reader, client_writer),
            )
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                await self._event().wait()  # held while cut, delivered late when healed (an end too)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # Half-close: the other direction may still carry an answer.
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof() and not writer.is_closing():
                    writer.write_eof()
