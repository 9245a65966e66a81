"""One hall's controller: the MQTT link, the device registry, alarms, commands and the extensions.

Messages arrive on the link's thread and are handled by `handle_message`: parsed, validated, counted,
and either applied or refused (counted and logged, state untouched). Extensions hear about them
through the dispatcher, on its own thread. A ticker notices silent devices and late commands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from devices.protocol import kinds, topics
from devices.protocol.credentials import controller_device_id
from devices.protocol.device import new_instance_id
from devices.protocol.health import CODES, HealthCode
from devices.protocol.payloads import (
    ANNOUNCE_COMMAND,
    HEARTBEAT_EVENT,
    Command,
    Description,
    Event,
    Heartbeat,
    JsonObject,
    PayloadError,
    Response,
    Severity,
    State,
    Status,
    decode,
)
from hall.settings import Settings
from hall_controller.alarms import Alarm, AlarmBook, Source
from hall_controller.case_link import CaseServiceClient, Outbox, own_secret
from hall_controller.commands import CommandOutcome, CommandTracker, new_request_id
from hall_controller.dispatcher import Dispatcher
from hall_controller.extensions import ControllerContext, DeviceEvent, Extension
from hall_controller.heap import HeapSettler
from hall_controller.link import ControllerLink
from hall_controller.metrics import ControllerMetrics
from hall_controller.registry import Availability, DeviceRecord, DeviceRegistry, Observation
from hall_controller.store import Store

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2
FOREIGN_COMMAND = "foreign_command"  # alarm code: a command on the broker this controller did not send
SWEEP_EVERY_TICKS = 5
# The events the controller acts on, per documented kind (docs/asyncapi.yaml x-device-kinds).
KIND_EVENTS = {spec.kind: frozenset(spec.events) for spec in kinds.KINDS}
UNKNOWN_EVENTS_WARNED = 1000  # at most this many (device, event) pairs warned about, once each


class ChangeFeed:
    """A version number bumped on every visible change; the live dashboard waits on it."""

    def __init__(self) -> None:
        self.version = 0
        self._condition = threading.Condition()

    def bump(self) -> None:
        with self._condition:
            self.version += 1
            self._condition.notify_all()

    def wait_newer(self, version: int, timeout: float) -> int:
        with self._condition:
            self._condition.wait_for(lambda: self.version != version, timeout)
            return self.version


class HallController:
    def __init__(
        self,
        settings: Settings,
        extensions: Sequence[Callable[[ControllerContext], Extension]] = (),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.hall_id = settings.hall_id
        self.instance = new_instance_id()
        self._clock = clock
        self.store = Store(settings.data_dir / f"controller-{self.hall_id}.db")
        self.registry = DeviceRegistry(
            default_heartbeat=settings.controller.heartbeat_seconds,
            missed=settings.controller.offline_after_missed,
        )
        self.tracker = CommandTracker()
        self.alarms = AlarmBook(self.store.collection("controller.alarms"))
        self.metrics = ControllerMetrics(self.hall_id)
        device_id = controller_device_id(self.hall_id)
        self.case_service = CaseServiceClient(
            settings.case_service_url, device_id, lambda: own_secret(settings.credential_file(device_id))
        )
        self.outbox = Outbox(self.store, self.case_service)
        self._channel_counters = {
            channel: self.metrics.messages.labels(channel.value) for channel in topics.Channel
        }
        self.changes = ChangeFeed()
        self._unknown_events: set[tuple[str, str]] = set()
        self.context = ControllerContext(
            settings=settings,
            store=self.store,
            registry=self.registry,
            alarms=self.alarms,
            send=self.send_command,
            raise_alarm=self._raise_extension_alarm,
            clear_alarm=self._clear_alarm,
            notify=self.changes.bump,
            publish=lambda topic, payload, retain: self.link.publish(topic, payload, retain=retain),
            case_service=self.case_service,
            outbox=self.outbox,
        )
        self.extensions = [factory(self.context) for factory in extensions]
        self.context._extensions = tuple(self.extensions)
        self.dispatcher = Dispatcher(self.extensions, self._extension_failed)
        self.link = ControllerLink(settings, self.instance, self.handle_message, self.changes.bump)
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.heap = HeapSettler()

    # Life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.store.open()
        self.alarms.load()
        self.dispatcher.start()
        self.outbox.start()
        for extension in self.extensions:
            extension.start()
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="controller-ticker", daemon=True)
        self._ticker.start()
        self.link.start()

    def stop(self) -> None:
        self._stop.set()
        self.link.stop()
        if self._ticker is not None:
            self._ticker.join(2)
        self.dispatcher.stop()
        for extension in reversed(self.extensions):
            extension.stop()
        self.outbox.stop()
        self.case_service.close()
        self.store.close()

    # Commands ---------------------------------------------------------------------------------------

    def send_command(
        self, device_id: str, name: str, args: JsonObject | None = None, timeout: float = 5.0
    ) -> Future[CommandOutcome]:
        request_id = new_request_id()
        payload = Command(request_id=request_id, args=args or {}, expires=self._clock() + timeout).encode()
        future = self.tracker.register(device_id, name, request_id, timeout)
        try:
            topics.topic(self.hall_id, device_id, topics.Channel.CMD, name)
        except topics.TopicError as err:
            self.tracker.forget(request_id)
            raise ValueError(str(err)) from err
        # Not sent (broker away) is not an error here: the tracker completes it with timeOut.
        self.link.publish_command(device_id, name, payload, request_id, timeout)
        return future

    # Messages in ------------------------------------------------------------------------------------

    def handle_message(self, topic: str, payload: bytes) -> None:
        """Every message from the broker. Never raises: bad input is counted, logged and dropped."""
        try:
            parsed = topics.parse(topic)
        except topics.TopicError as err:
            self._reject("topic", f"{topic}: {err}")
            return
        self._channel_counters[parsed.channel].inc()
        if parsed.hall != self.hall_id or parsed.device == topics.CONTROLLER_ID:
            return
        if not payload:
            return  # a cleared retained message: nothing to apply
        try:
            self._apply(parsed, payload)
        except PayloadError as err:
            self._reject(parsed.channel.value, f"{topic}: {err}")

    def _apply(self, parsed: topics.ParsedTopic, payload: bytes) -> None:
        now = self._clock()
        device = parsed.device
        channel = parsed.channel
        if channel is topics.Channel.STATUS:
            self._observed(self.registry.on_status(device, decode(Status, payload), now))
        elif channel is topics.Channel.DESC:
            self._observed(self.registry.on_description(device, decode(Description, payload), now))
        elif channel is topics.Channel.STATE:
            observation = self.registry.on_state(device, decode(State, payload), now)
            if not observation.stale:
                self._apply_issues(observation.record, now)
            self._observed(observation)
        elif channel is topics.Channel.EVT and parsed.name == HEARTBEAT_EVENT:
            beat = decode(Heartbeat, payload)
            self._observed(self.registry.on_sequenced(device, beat.instance, beat.seq, now))
        elif channel is topics.Channel.EVT:
            event = decode(Event, payload)
            observation = self.registry.on_sequenced(device, event.instance, event.seq, now)
            self._observed(observation)
            if observation.stale:
                return
            if not self.registry.first_sighting(device, event.instance, event.seq):
                log.info("%s resent event %d (seen already); not handled again", device, event.seq)
                return
            name = parsed.name or ""
            self._unknown_event(observation.record, name)
            self.dispatcher.put(DeviceEvent(device, observation.record.kind, name, event.data, event.ts))
        elif channel is topics.Channel.RESP:
            outcome = self.tracker.on_response(device, decode(Response, payload))
            if outcome is not None:
                self._completed(outcome)
        elif channel is topics.Channel.CMD:
            self._command_seen(device, parsed.name or "", payload, now)

    def _unknown_event(self, record: DeviceRecord, name: str) -> None:
        """A documented kind sending an event it does not have (say `evt/rating` for `evt/rated`): nothing
        will act on it, so the device maker is told once in the log."""
        known = KIND_EVENTS.get(record.kind)
        if known is None or name in known:
            return
        own = record.description.events if record.description is not None else []
        key = (record.device_id, name)
        if name in own or key in self._unknown_events or len(self._unknown_events) >= UNKNOWN_EVENTS_WARNED:
            return
        self._unknown_events.add(key)
        log.warning(
            "%s sent evt/%s, which no %s has: nothing acts on it (that kind sends: %s; docs/asyncapi.yaml)",
            record.device_id,
            name,
            record.kind,
            ", ".join(sorted(known)) or "heartbeats only",
        )

    def _command_seen(self, device: str, name: str, payload: bytes, now: float) -> None:
        """A command on the broker for one of the hall's devices: ours, or someone else's (an alarm)."""
        try:
            request_id = decode(Command, payload).request_id
        except PayloadError:
            request_id = ""
        if request_id and self.link.hears_own_commands and self.tracker.sent_by_us(device, name, request_id):
            return
        self.metrics.rejected.labels("foreign_command").inc()
        log.error("hall %s: cmd/%s to %s was not sent by this controller", self.hall_id, name, device)
        message = f"cmd/{name} not sent by the controller (whoever published it)"
        if self.alarms.raise_alarm(
            device, FOREIGN_COMMAND, Severity.CRITICAL, message, source=Source.CONTROLLER, now=now
        ):
            self.changes.bump()

    def _observed(self, observation: Observation) -> None:
        record = observation.record
        now = self._clock()
        if observation.new_duplicate:
            self.metrics.duplicates.inc()
            log.error("two devices use the id %s in hall %s", record.device_id, self.hall_id)
            self._raise_controller_alarm(record.device_id, HealthCode.DUPLICATE_ID, now)
        if observation.gap:
            self.metrics.sequence_gaps.inc()
            log.info("sequence gap from %s; asking it to re-announce", record.device_id)
            self.send_command(record.device_id, ANNOUNCE_COMMAND, timeout=5.0)
        if observation.changed:
            if record.availability is Availability.ONLINE:
                self.alarms.clear(record.device_id, HealthCode.OFFLINE.value, now)
            elif record.availability is Availability.OFFLINE:
                self._raise_controller_alarm(record.device_id, HealthCode.OFFLINE, now, record.offline_reason)
            self.dispatcher.put(record)
            self.changes.bump()

    def _apply_issues(self, record: DeviceRecord, now: float) -> None:
        if self.alarms.reconcile_issues(record.device_id, record.issues, now):
            self.changes.bump()

    def _completed(self, outcome: CommandOutcome) -> None:
        self.metrics.commands.labels(outcome.code.value).inc()
        self.metrics.command_seconds.observe(outcome.seconds)
        self.dispatcher.put(outcome)

    def _reject(self, reason: str, detail: str) -> None:
        self.metrics.rejected.labels(reason).inc()
        log.warning("refused a message: %s", detail[:300])

    # Alarms -----------------------------------------------------------------------------------------

    def _raise_controller_alarm(
        self, device_id: str, code: HealthCode, now: float, message: str = ""
    ) -> None:
        info = CODES[code]
        text = f"{info.label}: {message}" if message else info.label
        if self.alarms.raise_alarm(
            device_id, code.value, info.severity, text, source=Source.CONTROLLER, now=now
        ):
            self.changes.bump()

    def _raise_extension_alarm(
        self, device_id: str, code: str, severity: Severity, message: str
    ) -> Alarm | None:
        alarm = self.alarms.raise_alarm(
            device_id, code, severity, message, source=Source.EXTENSION, now=self._clock()
        )
        self.changes.bump()
        return alarm

    def _clear_alarm(self, device_id: str, code: str) -> Alarm | None:
        alarm = self.alarms.clear(device_id, code, self._clock())
        self.changes.bump()
        return alarm

    def acknowledge_alarm(self, alarm_id: str, by: str) -> Alarm:
        alarm = self.alarms.acknowledge(alarm_id, by, self._clock())
        self.changes.bump()
        return alarm

    # Time -------------------------------------------------------------------------------------------

    def _tick_loop(self) -> None:
        ticks = 0
        while not self._stop.wait(TICK_SECONDS):
            ticks += 1
            # Late commands are checked often; the whole registry (heartbeat loss) once a second.
            self.expire_commands()
            if ticks % SWEEP_EVERY_TICKS == 0:
                self.tick()

    def expire_commands(self) -> None:
        for outcome in self.tracker.expire():
            self._completed(outcome)

    def tick(self) -> None:
        """Heartbeat loss, late commands, gauges."""
        now = self._clock()
        for record in self.registry.expire(now):
            log.warning("%s went silent: %s", record.device_id, record.offline_reason)
            self._observed(Observation(record, changed=True))
        self.expire_commands()
        self._update_gauges()
        self.heap.observe(len(self.registry), now)

    def _update_gauges(self) -> None:
        for availability, count in self.registry.counts().items():
            self.metrics.devices.labels(availability.value).set(count)
        for severity, count in self.alarms.active_count().items():
            self.metrics.alarms.labels(severity.value).set(count)
        for severity, count in self.alarms.unacknowledged_count().items():
            self.metrics.unacknowledged.labels(severity.value).set(count)

    def _extension_failed(self, name: str) -> None:
        self.metrics.extension_errors.labels(name).inc()

    # Reading ----------------------------------------------------------------------------------------

    def devices(self) -> list[DeviceRecord]:
        return self.registry.snapshot()

    def rejected_total(self) -> int:
        total = 0.0
        for metric in self.metrics.rejected.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    total += sample.value
        return int(total)
