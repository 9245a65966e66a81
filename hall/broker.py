"""The embedded MQTT broker (amqtt, MQTT 3.1.1) used when no broker URL is configured.

Bound to loopback only, and never anonymous: every client signs in with its enrolled device credential,
checked against Mosquitto's password file (`password_file`, written by hall_controller.mosquitto_acl; the
demo writes it after enrolling its devices), and may publish, subscribe and receive only what the
contract's ACL allows (devices.protocol.acl), as on Mosquitto. A client's id is its user name (Mosquitto's
`use_username_as_clientid`), so no client can take over another's session or fire its last will; a will
on a topic its user may not write is refused. `anonymous=True` (tests on an unauthenticated broker, as
their Mosquitto) is refused in production mode by the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
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
    from amqtt.errors import AMQTTError
    from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
    from amqtt.session import Session

    from devices.protocol.acl import may_write

    authenticating = any(path.endswith("HallAuthPlugin") for path in config.get("plugins", {}))

    class HallBroker(Broker):  # type: ignore[misc]
        async def _initialize_client_session(
            self, reader: Any, writer: Any, remote_address: str, remote_port: int
        ) -> tuple[Any, Session]:
            """Authenticates before amqtt touches any session (amqtt 0.12 drops the session of a clean
            CONNECT's client id, and takes over a connected one, before checking the password), and
            names the session after its user."""
            if not authenticating:
                pair: tuple[Any, Session] = await super()._initialize_client_session(
                    reader, writer, remote_address, remote_port
                )
                return pair
            handler, session = await BrokerProtocolHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
            will_allowed = not session.will_flag or may_write(session.username, session.will_topic or "")
            if not will_allowed or not await self._authenticate(session, None):
                handler.attach(session, reader, writer)
                await handler.mqtt_connack_authorize(False)
                await writer.close()
                raise AMQTTError(f"refused {remote_address}:{remote_port} (user {session.username!r})")
            session.client_id = session.username
            if session.clean_session:
                await self._delete_session(session.client_id)
                session.parent = 0
            elif session.client_id in self._sessions:
                existing, _handler = self._sessions[session.client_id]
                for name in ("will_flag", "will_message", "will_topic", "will_qos", "keep_alive", "password"):
                    setattr(existing, name, getattr(session, name))
                session = existing
                session.parent = 1
            else:
                session.parent = 0
            delay = self.config.get("timeout-disconnect-delay", 0)
            if session.keep_alive > 0 and isinstance(delay, int):
                session.keep_alive += delay
            return handler, session

        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Session
        ) -> None:
            holders = self._subscriptions.get(subscription[0], [])
            if any(holder.client_id == session.client_id for holder, _qos in holders):
                await super()._publish_retained_messages_for_subscription(subscription, session)

    broker = HallBroker(config)
    broker._subscriptions = _SnapshotDict()
    return broker


def broker_config(
    port: int, host: str = "127.0.0.1", *, password_file: Path | None = None, anonymous: bool = False
) -> dict[str, Any]:
    listeners = {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 10000}}
    if anonymous:
        plugins: dict[str, Any] = {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
        }
    elif password_file is None:
        raise StartupError(
            "the embedded MQTT broker needs a password file (or anonymous, outside production)"
        )
    else:
        plugins = {
            "hall.broker_plugins.HallAuthPlugin": {"password_file": str(password_file)},
            "hall.broker_plugins.HallTopicPlugin": {},
        }
    return {"listeners": listeners, "plugins": plugins}


async def serve(
    port: int,
    host: str = "127.0.0.1",
    stop: asyncio.Event | None = None,
    *,
    password_file: Path | None = None,
    anonymous: bool = False,
) -> None:
    if not port_is_free(host, port):
        raise StartupError(f"cannot start the embedded MQTT broker: {host}:{port} is already in use")
    broker = _hall_broker(broker_config(port, host, password_file=password_file, anonymous=anonymous))
    await broker.start()
    log.info(
        "embedded MQTT broker listening on mqtt://%s:%d (%s)",
        host,
        port,
        "anonymous" if anonymous else f"password file {password_file}",
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await broker.shutdown()
        log.info("embedded MQTT broker stopped")


def run(
    port: int, host: str = "127.0.0.1", *, password_file: Path | None = None, anonymous: bool = False
) -> None:
    asyncio.run(serve(port, host, password_file=password_file, anonymous=anonymous))
