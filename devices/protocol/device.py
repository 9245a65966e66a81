"""The device side of the contract: one class every device builds on (simulated, locker gateway, kiosk).

A `ProtocolDevice` connects with its ``offline`` last will, announces ``status``/``desc``/``state``
(retained), sends a heartbeat, re-announces when the controller comes online or asks for it, and
answers each command with an ack and a completion. Commands are idempotent by request id: a repeated
request id is answered again from memory, never executed twice.

Usage::

    device = ProtocolDevice("hall-01", "ticket-printer-01", kind="ticket_printer", model="TP-80")

    @device.command("print")
    def print_ticket(command: Command) -> CommandResult:
        ...
        return CommandResult(result={"printed": True})

    device.start("mqtt://127.0.0.1:1883")
    device.update_state(data={"paper": "ok"})
    device.publish_event("key-pressed", {"key": "next"})
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from devices.protocol import topics
from devices.protocol.mqtt import make_client
from devices.protocol.payloads import (
    ANNOUNCE_COMMAND,
    HEARTBEAT_EVENT,
    Command,
    CompletionCode,
    Description,
    Event,
    HealthIssue,
    Heartbeat,
    JsonObject,
    PayloadError,
    Phase,
    Presence,
    Response,
    State,
    Status,
    decode,
)
from hall.net import mqtt_host_port

log = logging.getLogger(__name__)

REMEMBERED_REQUESTS = 1000


@dataclass(frozen=True)
class CommandResult:
    """What a command handler returns; the completion's code, result and message."""

    code: CompletionCode = CompletionCode.SUCCESS
    result: JsonObject = field(default_factory=dict)
    message: str = ""


class CommandFailedError(Exception):
    """Raised by a handler to complete a command with a code other than success."""

    def __init__(self, code: CompletionCode, message: str = "") -> None:
        super().__init__(message or code.value)
        self.code = code
        self.message = message


CommandHandler = Callable[[Command], CommandResult]


# Events held while the broker or controller is away, and how long after a reconnect they wait at most.
HELD_EVENTS_LIMIT = 10_000
HOLD_GRACE_SECONDS = 10.0
# An event the broker acknowledged this shortly before the connection broke may have died with the broker
# (no persistence) before it reached the controller: it is sent again, and the controller drops it if it
# had it (it remembers recent event sequence numbers per instance).
REDELIVER_ACKED_SECONDS = 5.0


@dataclass(frozen=True)
class PendingEvent:
    """An event waiting to go out; `wire` is set once it has been numbered (sent again unchanged)."""

    name: str
    data: JsonObject | None
    wire: tuple[str, bytes] | None = None
    acked: bool = False  # the broker had acknowledged it before the connection broke
    controller: str | None = None  # the controller instance it was sent to


def new_instance_id() -> str:
    return secrets.token_hex(6)


class ProtocolDevice:
    def __init__(
        self,
        hall: str,
        device_id: str,
        *,
        kind: str,
        model: str = "generic",
        firmware: str = "1.0",
        capabilities: Iterable[str] = (),
        events: Iterable[str] = (),
        heartbeat_seconds: float = 10.0,
        attributes: dict[str, str | int | float | bool] | None = None,
    ) -> None:
        self.hall = topics.check_segment(hall, "hall id")
        self.device_id = topics.check_segment(device_id, "device id")
        self.instance = new_instance_id()
        self.kind = kind
        self.model = model
        self.firmware = firmware
        self.capabilities = list(capabilities)
        self.events = sorted({HEARTBEAT_EVENT, *events})
        self.heartbeat_seconds = heartbeat_seconds
        self.attributes = dict(attributes or {})
        self._handlers: dict[str, CommandHandler] = {ANNOUNCE_COMMAND: self._announce_command}
        self._at_once: set[str] = set()  # commands run on the network thread (`register_command`)
        self._data: JsonObject = {}
        self._issues: dict[str, HealthIssue] = {}
        self._seq = 0
        self._publish_lock = threading.Lock()
        self._requests_lock = threading.Lock()
        self._requests: OrderedDict[str, list[Response]] = OrderedDict()
        self._controller_instance: str | None = None
        # Events raised while the broker was away wait for the controller to be back (see _hold_events).
        self._holding = False
        self._held: deque[PendingEvent] = deque(maxlen=HELD_EVENTS_LIMIT)
        # Events handed to paho and not yet PUBACKed (by mid), and the recently PUBACKed ones: both go
        # back to the head of `_held` when the connection breaks (see _requeue_in_flight). Guarded by
        # paho's own out-message lock, under which paho calls on_publish.
        self._unacked: OrderedDict[int, PendingEvent] = OrderedDict()
        self._acked: deque[tuple[float, PendingEvent]] = deque()
        self._state_mids: set[int] = set()
        self._release_timer: threading.Timer | None = None
        self._was_connected = False
        self._client: paho.Client | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._started_at = time.monotonic()
        self.connected = threading.Event()
        # Set once the broker has acknowledged the subscription to our commands: from then on a command
        # published to us reaches us (connected alone does not promise that).
        self.subscribed = threading.Event()
        self.executed: list[str] = []  # request ids actually executed, newest last (bounded)

    # Topics ----------------------------------------------------------------------------------------

    @property
    def client(self) -> paho.Client | None:
        return self._client

    def topic(self, channel: topics.Channel, name: str | None = None) -> str:
        return topics.topic(self.hall, self.device_id, channel, name)

    # What a device declares --------------------------------------------------------------------------

    def command(self, name: str) -> Callable[[CommandHandler], CommandHandler]:
        """Decorator registering the handler of ``cmd/<name>``."""

        def register(handler: CommandHandler) -> CommandHandler:
            self.register_command(name, handler)
            return handler

        return register

    def register_command(self, name: str, handler: CommandHandler, *, at_once: bool = False) -> None:
        """`at_once`: the handler runs on the network thread as the command arrives, for a handler that
        returns at once (a display showing what it is told); others run on the device's command thread,
        so a slow one (printing) never holds up the network."""
        self._handlers[topics.check_segment(name, "command name")] = handler
        if at_once:
            self._at_once.add(name)

    def description(self) -> Description:
        return Description(
            instance=self.instance,
            kind=self.kind,
            model=self.model,
            firmware=self.firmware,
            capabilities=self.capabilities,
            commands=sorted(self._handlers),
            events=self.events,
            heartbeat_seconds=self.heartbeat_seconds,
            attributes=self.attributes,
        )

    # Life cycle -----------------------------------------------------------------------------------

    def start(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
        *,
        heartbeat_thread: bool = True,
        external_loop: bool = False,
    ) -> None:
        """Connects in the background (reconnecting by itself); `connected` is set once announced.

        `external_loop`: connect now and let the caller drive the network (`client.loop_read()`,
        `loop_write()`, `loop_misc()`), e.g. thousands of simulated devices on one selector thread.
        """
        will = Status(status=Presence.OFFLINE, instance=self.instance).encode()
        client = make_client(
            url,
            f"{self.hall}.{self.device_id}",
            username=username,
            password=password,
            ca_file=ca_file,
            will=(self.topic(topics.Channel.STATUS), will),
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = lambda *_: self.subscribed.set()
        client.on_publish = self._on_publish
        client.message_callback_add(topics.command_filter(self.hall, self.device_id), self._on_command)
        client.message_callback_add(topics.controller_status(self.hall), self._on_controller_status)
        self._client = client
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cmd-{self.device_id}")
        self._stop.clear()
        host, port = mqtt_host_port(url)
        keepalive = max(5, int(self.heartbeat_seconds * 2))
        if external_loop:
            client.connect(host, port, keepalive=keepalive)
        else:
            client.connect_async(host, port, keepalive=keepalive)
            client.loop_start()
        if heartbeat_thread:
            self._heartbeat_thread = threading.Thread(
                target=self._heartbeat_loop, name=f"hb-{self.device_id}", daemon=True
            )
            self._heartbeat_thread.start()

    def stop(self, *, clean: bool = True) -> None:
        """`clean` publishes ``offline`` first; without it the broker's last will says so."""
        self._stop.set()
        client = self._client
        if client is None:
            return
        if clean and client.is_connected():
            offline = Status(status=Presence.OFFLINE, instance=self.instance).encode()
            client.publish(self.topic(topics.Channel.STATUS), offline, qos=1, retain=True).wait_for_publish(2)
            client.disconnect()
        elif not clean:
            # Drop the connection without DISCONNECT so the broker fires the last will.
            sock = client.socket()
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        client.loop_stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(2)
        self._client = None
        self.connected.clear()

    # What a device says -----------------------------------------------------------------------------

    def update_state(
        self,
        data: JsonObject | None = None,
        *,
        raise_issues: Iterable[HealthIssue] = (),
        clear_issues: Iterable[str] = (),
    ) -> None:
        """Merges `data` into the state, raises/clears health issues by code, publishes retained."""
        if data:
            self._data.update(data)
        for issue in raise_issues:
            self._issues[issue.code] = issue
        for code in clear_issues:
            self._issues.pop(code, None)
        self._publish_state()

    @property
    def state_data(self) -> JsonObject:
        return dict(self._data)

    @property
    def controller_instance(self) -> str | None:
        """The controller instance this device last announced itself to."""
        return self._controller_instance

    @property
    def seq_published(self) -> int:
        """How many sequenced messages (state, events, heartbeats) this instance published."""
        return self._seq

    @property
    def events_unacknowledged(self) -> int:
        """Events handed to the broker that it has not acknowledged yet."""
        client = self._client
        if client is None:
            return 0
        with client._out_message_mutex:
            return len(self._unacked)

    @property
    def issues(self) -> list[HealthIssue]:
        return list(self._issues.values())

    def publish_event(self, name: str, data: JsonObject | None = None) -> None:
        self._emit(PendingEvent(name, data))

    def _emit(self, event: PendingEvent) -> None:
        """Sends one event, or holds it (in order) while the broker or the controller is away."""
        client = self._client
        if client is None:
            return
        with self._publish_lock:
            if self._holding or not client.is_connected():
                self._holding = True
                if len(self._held) == self._held.maxlen:
                    log.error(
                        "%s: more than %d events held; dropping the oldest", self.device_id, len(self._held)
                    )
                self._held.append(event)
                return
            wire = event.wire
            if wire is None:
                self._seq += 1
                payload = Event(instance=self.instance, seq=self._seq, ts=time.time(), data=event.data or {})
                wire = (self.topic(topics.Channel.EVT, event.name), payload.encode())
            topic, body = wire
            sent = replace(event, wire=wire, acked=False, controller=self._controller_instance)
            # Held across publish and bookkeeping so that on_publish (called under it) sees the mid.
            with client._out_message_mutex:
                info = client.publish(topic, body, qos=1, retain=False)
                self._unacked[info.mid] = sent

    def _on_publish(self, _client: paho.Client, _userdata: Any, mid: int, _reason: Any, _props: Any) -> None:
        # Called by paho under its out-message lock.
        self._state_mids.discard(mid)
        event = self._unacked.pop(mid, None)
        if event is None:
            return
        now = time.monotonic()
        self._acked.append((now, event))
        while self._acked and now - self._acked[0][0] > REDELIVER_ACKED_SECONDS:
            self._acked.popleft()

    def _requeue_in_flight(self, client: paho.Client) -> None:
        """On a broken connection: in-flight and just-acknowledged events go back to the head of the held
        queue, to be sent (unchanged) once the controller is back.

        paho would resend an unacknowledged QoS 1 message by itself right after reconnecting, but a broker
        that restarted has forgotten the controller's subscription by then, and a message it acknowledged
        just before dying may never have been routed: either way the event would be lost.
        Called with `_publish_lock` held.
        """
        now = time.monotonic()
        with client._out_message_mutex:
            again = [
                replace(event, acked=True)
                for acked_at, event in self._acked
                if now - acked_at <= REDELIVER_ACKED_SECONDS
            ]
            again.extend(self._unacked.values())
            for mid in [*self._unacked, *self._state_mids]:
                # Our own resend replaces paho's; a state is published afresh by the next announce.
                client._out_messages.pop(mid, None)
            self._unacked.clear()
            self._acked.clear()
            self._state_mids.clear()
        if again:
            log.info(
                "%s: %d event(s) in flight when the broker went away; sending again",
                self.device_id,
                len(again),
            )
        self._held.extendleft(reversed(again))

    def beat(self) -> None:
        """One heartbeat (the heartbeat thread calls this; a swarm of devices may call it instead)."""
        uptime = time.monotonic() - self._started_at
        self._publish_sequenced(
            lambda seq: Heartbeat(instance=self.instance, seq=seq, ts=time.time(), uptime=uptime).encode(),
            self.topic(topics.Channel.EVT, HEARTBEAT_EVENT),
            retain=False,
            qos=0,
        )

    def announce(self) -> None:
        """Description, state, then ``online`` status, all retained."""
        client = self._client
        if client is None:
            return
        client.publish(self.topic(topics.Channel.DESC), self.description().encode(), qos=1, retain=True)
        self._publish_state()
        online = Status(status=Presence.ONLINE, instance=self.instance).encode()
        client.publish(self.topic(topics.Channel.STATUS), online, qos=1, retain=True)

    # Internals ---------------------------------------------------------------------------------------

    def _publish_state(self) -> None:
        issues = list(self._issues.values())
        data = dict(self._data)
        self._publish_sequenced(
            lambda seq: State(
                instance=self.instance, seq=seq, ts=time.time(), issues=issues, data=data
            ).encode(),
            self.topic(topics.Channel.STATE),
            retain=True,
            state=True,
        )

    def _publish_sequenced(
        self, build: Callable[[int], bytes], topic: str, *, retain: bool, qos: int = 1, state: bool = False
    ) -> None:
        client = self._client
        if client is None:
            return
        # One lock around numbering and publishing keeps sequence numbers in wire order.
        with self._publish_lock:
            self._seq += 1
            if not state:
                client.publish(topic, build(self._seq), qos=qos, retain=retain)
                return
            with client._out_message_mutex:
                info = client.publish(topic, build(self._seq), qos=qos, retain=retain)
                self._state_mids.add(info.mid)

    def _hold_events(self) -> None:
        """After a reconnect, events wait until the controller says it is online again.

        A broker that restarted has forgotten the controller's subscriptions: an event published before
        the controller has reconnected and subscribed would reach no one. The controller publishes its
        ``online`` status after subscribing, so that message (or, failing it, a grace period) releases them.
        """
        timer = threading.Timer(HOLD_GRACE_SECONDS, self._release_events)
        timer.daemon = True
        if self._release_timer is not None:
            self._release_timer.cancel()
        self._release_timer = timer
        timer.start()

    def _release_events(self, controller: str | None = None) -> None:
        """`controller`: the instance that said it is online (None: released by the grace period)."""
        with self._publish_lock:
            if not self._holding or self._client is None or not self._client.is_connected():
                return
            self._holding = False
            held = list(self._held)
            self._held.clear()
        for event in held:
            if event.acked and None not in (controller, event.controller) and event.controller != controller:
                # Acknowledged before a controller restart: the old controller may have handled it and
                # the new one cannot tell a repeat, so a press is not risked twice.
                continue
            self._emit(event)

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            if self._client is not None and self._client.is_connected():
                self.beat()

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            log.error("%s refused by the broker: %s", self.device_id, reason)
            return
        client.subscribe(
            [(topics.command_filter(self.hall, self.device_id), 1), (topics.controller_status(self.hall), 1)]
        )
        self.announce()
        self.connected.set()
        if self._holding:
            if self._was_connected:
                self._hold_events()
            else:
                self._release_events()  # the first connection: nothing of the controller's was lost
        self._was_connected = True

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        with self._publish_lock:
            self._holding = True
            self._requeue_in_flight(_client)
        if not self._stop.is_set():
            log.warning("%s lost the broker (%s); reconnecting", self.device_id, reason)

    def _on_controller_status(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            status = decode(Status, bytes(message.payload))
        except PayloadError as err:
            log.warning("%s: ignoring a bad controller status: %s", self.device_id, err)
            return
        if status.status is Presence.ONLINE:
            self._release_events(status.instance)
        if status.status is Presence.ONLINE and status.instance != self._controller_instance:
            log.info("%s: controller %s came online; announcing", self.device_id, status.instance)
            self.announce()
            self._controller_instance = status.instance

    def _on_command(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            name = topics.parse(message.topic).name or ""
            command = decode(Command, bytes(message.payload))
        except (topics.TopicError, PayloadError) as err:
            log.warning("%s: refusing a command on %s: %s", self.device_id, message.topic, err)
            return
        at_once = name in self._at_once
        with self._requests_lock:
            earlier = self._requests.get(command.request_id)
            if earlier is None:
                ack = Response(request_id=command.request_id, command=name, phase=Phase.ACK)
                # A command run at once is answered by its completion alone (the ack is optional).
                self._requests[command.request_id] = [] if at_once else [ack]
                while len(self._requests) > REMEMBERED_REQUESTS:
                    self._requests.popitem(last=False)
        if earlier is not None:
            # A repeated request id: answer again from memory, never execute twice.
            for response in list(earlier):
                self._respond(response)
            return
        if at_once:
            self._execute(name, command)
            return
        self._respond(ack)
        if self._executor is None:
            return
        try:
            self._executor.submit(self._execute, name, command)
        except RuntimeError:  # executor shut down while stopping
            return

    def _execute(self, name: str, command: Command) -> None:
        result = self._run_handler(name, command)
        completion = Response(
            request_id=command.request_id,
            command=name,
            phase=Phase.COMPLETION,
            code=result.code,
            result=result.result,
            message=result.message,
        )
        with self._requests_lock:
            remembered = self._requests.get(command.request_id)
            if remembered is not None:
                remembered.append(completion)
        self._respond(completion)

    def _run_handler(self, name: str, command: Command) -> CommandResult:
        handler = self._handlers.get(name)
        if handler is None:
            return CommandResult(CompletionCode.UNSUPPORTED_COMMAND, message=f"no command {name!r}")
        if command.expires is not None and time.time() > command.expires:
            return CommandResult(CompletionCode.TIME_OUT, message="arrived after it expired")
        self.executed.append(command.request_id)
        del self.executed[:-REMEMBERED_REQUESTS]
        try:
            return handler(command)
        except CommandFailedError as err:
            return CommandResult(err.code, message=err.message)
        except (KeyError, TypeError, ValueError) as err:
            return CommandResult(CompletionCode.INVALID_DATA, message=str(err)[:500])
        except Exception as err:  # a device must answer every command, whatever its handler did
            log.exception("%s: command %s failed", self.device_id, name)
            return CommandResult(CompletionCode.INTERNAL_ERROR, message=type(err).__name__)

    def _respond(self, response: Response) -> None:
        client = self._client
        if client is not None:
            client.publish(self.topic(topics.Channel.RESP), response.encode(), qos=1)

    def _announce_command(self, _command: Command) -> CommandResult:
        self.announce()
        return CommandResult()
