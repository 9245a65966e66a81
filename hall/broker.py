"""The embedded MQTT broker (amqtt, MQTT 3.1.1) used when no broker URL is configured.

Bound to loopback only: amqtt's own default binds every interface with anonymous access.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from hall.errors import StartupError
from hall.net import port_is_free

log = logging.getLogger(__name__)


class _SnapshotDict(dict[str, Any]):
    """A dict whose iteration walks a copy of its keys or items.

    amqtt 0.12 iterates its subscription table across `await`s (when a client connects, and when it
    broadcasts); a SUBSCRIBE from another client in between raised "dictionary changed size during
    iteration", dropping the connecting client or the message. Iterating a snapshot is what a lock
    would give here, since every change happens on the one event loop.
    """

    def __iter__(self) -> Any:
        return iter(list(super().keys()))

    def items(self) -> Any:
        return list(super().items())


def broker_config(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 10000}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


async def serve(port: int, host: str = "127.0.0.1", stop: asyncio.Event | None = None) -> None:
    from amqtt.broker import Broker

    if not port_is_free(host, port):
        raise StartupError(f"cannot start the embedded MQTT broker: {host}:{port} is already in use")
    broker = Broker(broker_config(port, host))
    broker._subscriptions = _SnapshotDict()
    await broker.start()
    log.info("embedded MQTT broker listening on mqtt://%s:%d", host, port)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await broker.shutdown()
        log.info("embedded MQTT broker stopped")


def run(port: int, host: str = "127.0.0.1") -> None:
    asyncio.run(serve(port, host))
