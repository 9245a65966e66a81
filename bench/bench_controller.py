"""Hall controller under a hall of simulated devices, through a real Mosquitto.

A swarm of simulated devices (default 2,000, each its own MQTT connection with its own last will,
heartbeat every 10 s; ``HALL_BENCH_DEVICES`` changes the count) runs in a child process on one
selector thread. With all of them online at the controller, the benchmark measures, each beside an
anchor from the same run and the same broker:

- command → device → completion round trip (QoS 1, ack + completion) against a raw paho
  request → echo → reply round trip (QoS 1);
- messages per second the controller ingests (validated, applied to the registry) from a burst of
  device events, against a raw paho subscriber that only counts the same burst;
- offline detection: a device's connection drops → the controller shows it offline, against a raw
  paho subscriber receiving the same last will; and heartbeat loss against its configured bound.
"""

from __future__ import annotations

import os
import resource
import selectors
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bench.core import Figure, percentile
from devices.protocol import topics
from devices.protocol.device import CommandResult, ProtocolDevice
from devices.protocol.mqtt import no_delay
from devices.protocol.payloads import Event
from hall.settings import Settings
from hall_controller.controller import HallController
from hall_controller.registry import Availability

HALL = "bench-hall"
RAW_HALL = "bench-raw"
ROUND_TRIPS = int(os.environ.get("HALL_BENCH_ROUND_TRIPS", "1000"))
BURST = int(os.environ.get("HALL_BENCH_BURST", "20000"))
SWARM_HEARTBEAT = 10.0


# The swarm (child process) ------------------------------------------------------------------------


def run_swarm(url: str, count: int, hall: str = HALL) -> None:
    """Child process: `count` devices of `hall` on one selector thread (bench_queue's hall uses it too)."""
    devices = []
    for index in range(count):
        device = ProtocolDevice(
            hall, f"sim-{index:05d}", kind="window_led", heartbeat_seconds=SWARM_HEARTBEAT
        )
        device.start(url, heartbeat_thread=False, external_loop=True)
        devices.append(device)
    selector = selectors.DefaultSelector()
    clients = []
    for device in devices:
        client = device.client
        assert client is not None
        socket = client.socket()
        assert socket is not None
        selector.register(socket, selectors.EVENT_READ, client)
        clients.append(client)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    # The swarm stands in for 2,000 separate devices: its own bookkeeping must not take the cores the
    # controller is measured on. Each turn touches only the clients that read or beat, and keeps a
    # slice of them alive, so no turn walks all 2,000 (which took ~1 ms a turn, 200 turns a second, and
    # ~10 ms at once for the keepalives).
    beats = deque(
        (time.monotonic() + SWARM_HEARTBEAT * index / max(1, count), index) for index in range(count)
    )  # due times stay in order: each beat goes to the back, one interval later
    misc_at, misc_next = time.monotonic(), 0  # every client's keepalive looked at about once a second
    while True:
        touched = []
        for key, _mask in selector.select(timeout=0.05):
            key.data.loop_read()
            touched.append(key.data)
        now = time.monotonic()
        while beats[0][0] <= now:
            due, index = beats.popleft()
            devices[index].beat()
            touched.append(clients[index])
            beats.append((due + SWARM_HEARTBEAT, index))
        for client in touched:
            if client.want_write():
                client.loop_write()
        share = min(count, int((now - misc_at) * count))
        for offset in range(share):
            clients[(misc_next + offset) % count].loop_misc()
        misc_next, misc_at = (misc_next + share) % count, misc_at + share / count


def run_target(url: str) -> None:
    """Child process: the round-trip target device and the raw echo client, like a real device, alone."""
    target = ProtocolDevice(HALL, "bench-target", kind="evaluator", heartbeat_seconds=SWARM_HEARTBEAT)
    target.register_command("ping", lambda _command: CommandResult())
    target.start(url)
    host, port = url.removeprefix("mqtt://").split(":")
    echo = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-echo")
    echo.on_socket_open = no_delay
    echo.on_connect = lambda client, *_: client.subscribe(f"bench/{RAW_HALL}/ping", qos=1)

    def answer(client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        client.publish(f"bench/{RAW_HALL}/pong", message.payload, qos=1)

    subscribed = threading.Event()
    echo.on_message = answer
    echo.on_subscribe = lambda *_: subscribed.set()
    echo.connect(host, int(port))
    echo.loop_start()
    subscribed.wait(30)
    target.connected.wait(30)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    threading.Event().wait()


def run_burst(url: str, hall: str, count: int) -> None:
    """Child process: publishes `count` device events (QoS 1) as fast as one paho client can."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-burst-{hall}")
    client.on_socket_open = no_delay
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, int(port))
    client.loop_start()
    devices = 100
    payloads = [
        (
            topics.topic(hall, f"burst-{index % devices:03d}", topics.Channel.EVT, "key"),
            Event(instance="burst", seq=index // devices + 1, ts=0, data={"key": "next"}).encode(),
        )
        for index in range(count)
    ]
    infos = [client.publish(topic, payload, qos=1) for topic, payload in payloads]
    for info in infos:
        info.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()


# Measurements (parent process) --------------------------------------------------------------------


def _raw_round_trips(url: str, count: int) -> list[float]:
    host, port = url.removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-requester")
    client.on_socket_open = no_delay
    answered = threading.Event()
    subscribed = threading.Event()
    client.on_message = lambda *_: answered.set()
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(host, int(port))
    client.loop_start()
    client.subscribe(f"bench/{RAW_HALL}/pong", qos=1)
    subscribed.wait(10)
    samples = []
    for index in range(count):
        answered.clear()
        started = time.perf_counter()
        client.publish(f"bench/{RAW_HALL}/ping", str(index).encode(), qos=1)
        if not answered.wait(5):
            raise RuntimeError("raw echo did not answer")
        samples.append(time.perf_counter() - started)
    client.loop_stop()
    client.disconnect()
    return samples


def _controller_round_trips(controller: HallController, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        outcome = controller.send_command("bench-target", "ping").result(10)
        samples.append(time.perf_counter() - started)
        if not outcome.ok:
            raise RuntimeError(f"ping failed: {outcome}")
    return samples


def _burst_seconds(url: str, hall: str, count: int, received: _Counter) -> float:
    received.reset(count)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench.bench_controller", "burst", url, hall, str(count)], check=True
    )
    if not received.done.wait(120):
        raise RuntimeError(f"only {received.value} of {count} burst messages arrived")
    return received.finished - started


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self.target = 0
        self.finished = 0.0
        self.done = threading.Event()
        self._lock = threading.Lock()

    def reset(self, target: int) -> None:
        with self._lock:
            self.value, self.target, self.finished = 0, target, 0.0
            self.done.clear()

    def add(self) -> None:
        with self._lock:
            self.value += 1
            if self.value == self.target:
                self.finished = time.perf_counter()
                self.done.set()


def _raw_subscriber(url: str, counter: _Counter, protocol: MQTTProtocolVersion) -> paho.Client:
    host, port = url.removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-subscriber", protocol=protocol)
    client.on_socket_open = no_delay
    subscribed = threading.Event()
    client.on_message = lambda *_: counter.add()
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(host, int(port))
    client.loop_start()
    client.subscribe(topics.hall_filter(RAW_HALL, topics.Channel.EVT), qos=1)
    subscribed.wait(10)
    return client


def _offline_detection(url: str, controller: HallController) -> tuple[float, float]:
    """Median seconds from a dropped connection to: controller offline, raw will received."""
    samples = [_one_offline(url, controller, attempt) for attempt in range(5)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _one_offline(url: str, controller: HallController, attempt: int) -> tuple[float, float]:
    host, port = url.removeprefix("mqtt://").split(":")
    device = ProtocolDevice(HALL, f"victim-{attempt}", kind="kiosk", heartbeat_seconds=SWARM_HEARTBEAT)
    will_seen = threading.Event()
    subscribed = threading.Event()

    def on_message(_client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        if b"offline" in message.payload:
            will_seen.set()

    watcher = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-will-{attempt}")
    watcher.on_socket_open = no_delay
    watcher.on_message = on_message
    watcher.on_subscribe = lambda *_: subscribed.set()
    watcher.connect(host, int(port))
    watcher.loop_start()
    device.start(url)
    device.connected.wait(10)
    _wait(lambda: _online(controller, device.device_id), 10)
    watcher.subscribe(device.topic(topics.Channel.STATUS), qos=1)
    subscribed.wait(10)
    time.sleep(0.2)  # the retained "online" arrives first
    started = time.perf_counter()
    device.stop(clean=False)
    will_seen.wait(10)
    raw = time.perf_counter() - started
    _wait(lambda: not _online(controller, device.device_id), 10)
    ours = time.perf_counter() - started
    watcher.loop_stop()
    watcher.disconnect()
    return ours, raw


def _heartbeat_loss(url: str, controller: HallController) -> float:
    heartbeat = controller.settings.controller.heartbeat_seconds
    device = ProtocolDevice(HALL, "victim-silent", kind="kiosk", heartbeat_seconds=heartbeat)
    device.start(url, heartbeat_thread=False)
    _wait(lambda: _online(controller, "victim-silent"), 10)
    device.beat()
    time.sleep(0.1)
    started = time.perf_counter()
    _wait(lambda: not _online(controller, "victim-silent"), 60)
    elapsed = time.perf_counter() - started
    device.stop()
    return elapsed


def _wait_all_online(controller: HallController, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + 10
    while (counts := controller.registry.counts())[Availability.ONLINE] < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {counts} of {expected} devices online at the controller")
        if time.monotonic() > next_report:
            sys.stderr.write(f"waiting: {dict(counts)}\n")
            next_report += 10
        time.sleep(0.05)


def _online(controller: HallController, device_id: str) -> bool:
    record = controller.registry.get(device_id)
    return record is not None and record.availability is Availability.ONLINE


def _wait(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.001)
    raise RuntimeError("timed out waiting")


class CountingController(HallController):
    """Counts burst messages after the controller has handled them."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.ingested = _Counter()
        self.counting = False

    def handle_message(self, topic: str, payload: bytes) -> None:
        super().handle_message(topic, payload)
        if self.counting and "/burst-" in topic:
            self.ingested.add()


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def run() -> list[Figure]:
    from tests.fixtures.mqtt import start_mosquitto  # the same Mosquitto set-up as the tests

    count = int(os.environ.get("HALL_BENCH_DEVICES", "2000"))
    _raise_file_limit()
    with tempfile.TemporaryDirectory() as folder:
        broker = start_mosquitto(Path(folder) / "mosquitto", extra="set_tcp_nodelay true\n")
        settings = Settings(
            hall_id=HALL,
            mqtt_url=broker.url,
            data_dir=Path(folder) / "var",
            controller={"heartbeat_seconds": 1.0, "offline_after_missed": 3},
        )
        controller = CountingController(settings)
        controller.start()
        started = time.perf_counter()
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.bench_controller", *arguments],
                stdout=subprocess.PIPE,
                text=True,
            )
            for arguments in (["swarm", broker.url, str(count)], ["target", broker.url])
        ]
        try:
            for child in children:
                assert child.stdout is not None
                if child.stdout.readline().strip() != "READY":
                    raise RuntimeError("a benchmark child process did not start")
            _wait_all_online(controller, count + 1, 300)
            all_online = time.perf_counter() - started
            sys.stderr.write(f"{count} devices online at the controller after {all_online:.1f} s\n")

            raw, ours = [], []
            for _ in range(5):  # interleaved blocks, so drift hits both alike
                raw += _raw_round_trips(broker.url, ROUND_TRIPS // 5)
                ours += _controller_round_trips(controller, ROUND_TRIPS // 5)

            counter = _Counter()
            # The same MQTT version as the controller's link, so the anchor does the same parsing work.
            protocol = MQTTProtocolVersion.MQTTv5 if controller.link.v5 else MQTTProtocolVersion.MQTTv311
            subscriber = _raw_subscriber(broker.url, counter, protocol)
            raw_seconds = _burst_seconds(broker.url, RAW_HALL, BURST, counter)
            subscriber.loop_stop()
            subscriber.disconnect()
            subscriber = _raw_subscriber(broker.url, counter, MQTTProtocolVersion.MQTTv311)
            raw311_seconds = _burst_seconds(broker.url, RAW_HALL, BURST, counter)
            subscriber.loop_stop()
            subscriber.disconnect()
            controller.counting = True
            ours_seconds = _burst_seconds(broker.url, HALL, BURST, controller.ingested)
            controller.counting = False
            rejected = controller.rejected_total()

            offline, will = _offline_detection(broker.url, controller)
            silent = _heartbeat_loss(broker.url, controller)
            bound = settings.controller.heartbeat_seconds * settings.controller.offline_after_missed
        finally:
            for child in children:
                child.terminate()
                child.wait(30)
            controller.stop()
            broker.stop()
    if rejected:
        raise RuntimeError(f"the controller refused {rejected} benchmark messages")
    devices = f"{count} devices"
    return [
        Figure(
            f"command round trip p50 ({devices})",
            percentile(ours, 0.5) * 1000,
            "ms",
            "raw paho round trip p50",
            percentile(raw, 0.5) * 1000,
            better="lower",
        ),
        Figure(
            f"command round trip p99 ({devices})",
            percentile(ours, 0.99) * 1000,
            "ms",
            "raw paho round trip p99",
            percentile(raw, 0.99) * 1000,
            "p99 ≤ 5 ms",
            better="lower",
        ),
        Figure(
            f"controller ingest ({BURST} events)",
            BURST / ours_seconds,
            "msg/s",
            f"raw paho subscriber (MQTT {'5' if protocol is MQTTProtocolVersion.MQTTv5 else '3.1.1'})",
            BURST / raw_seconds,
            "≥ 80 % of raw",
        ),
        Figure(
            f"controller ingest ({BURST} events)",
            BURST / ours_seconds,
            "msg/s",
            "raw paho subscriber (MQTT 3.1.1)",
            BURST / raw311_seconds,
        ),
        Figure(
            "offline detection, connection lost",
            offline * 1000,
            "ms",
            "raw paho receives the last will",
            will * 1000,
            better="lower",
        ),
        Figure(
            "offline detection, heartbeats stop",
            silent,
            "s",
            "configured bound (interval × missed)",
            bound,
            better="lower",
        ),
    ]


if __name__ == "__main__":
    if sys.argv[1] == "swarm":
        _raise_file_limit()
        run_swarm(sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
    elif sys.argv[1] == "target":
        run_target(sys.argv[2])
    elif sys.argv[1] == "burst":
        run_burst(sys.argv[2], sys.argv[3], int(sys.argv[4]))
