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


def _hall_broker(config: dict[str, Any]) -> Any:
    """amqtt's Broker, with its subscription table iterated on snapshots and one more fix.

    amqtt 0.12, when a client connects, sends it the retained messages of every topic filter in the
    broker, anybody's (`client_connected` walks `self._subscriptions`, meant for a resumed session's
    own): a device connecting to a hall got every retained message the controller's `hall/v1/<hall>/#`
    matches, and a hand-written device expecting only its commands received another hall's `desc`.
    Retained messages now go only to a session that holds the filter itself.
    """
    from amqtt.broker import Broker
    from amqtt.session import Session

    class HallBroker(Broker):  # type: ignore[misc]
        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Session
        ) -> None:
            holders = self._subscriptions.get(subscription[0], [])
            if any(holder.client_id == session.client_id for holder, _qos in holders):
                await super()._publish_retained_messages_for_subscription(subscription, session)

    broker = HallBroker(config)
    broker._subscriptions = _SnapshotDict()
    return broker


def broker_config(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 10000}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


async def serve(port: int, host: str = "127.0.0.1", stop: asyncio.Event | None = None) -> None:
    if not port_is_free(host, port):
        raise StartupError(f"cannot start the embedded MQTT broker: {host}:{port} is already in use")
    broker = _hall_broker(broker_config(port, host))
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
