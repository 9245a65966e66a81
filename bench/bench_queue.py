"""Queue: tickets issued and calls per second, call → main display latency, wait-estimate error.

A private Mosquitto on a free port (TCP_NODELAY on its client sockets, as deployed); one hall controller
with the queue extension (HTTP through FastAPI's test client, journal in the controller's SQLite store);
the simulated main display and window 1's keypad in a child process of their own (as devices are: the
latency is timed there, press → show), and a swarm of simulated devices of the same hall in another
(default 2,000, each its own MQTT connection; ``HALL_BENCH_DEVICES`` changes the count), all online at the
controller while calls are made. Anchors from the same run: a bare journal write (one
SQLite put, committed and fsynced) for throughput, a bare MQTT round trip for the display latency, and a
naive estimate (no live service rates) for the estimate's error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench.core import Figure, percentile
from hall.net import free_port, wait_for_tcp

TICKETS = 600
CALLS = 250
LATENCY_SAMPLES = 1000  # p99 is the tenth worst, not one unlucky sample
BLOCK = 100  # latency samples between two blocks of bare round trips
DEVICES = int(os.environ.get("HALL_BENCH_DEVICES", "2000"))


def _start_mosquitto(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\npersistence false\n"
        # As deployed (deploy/mosquitto/hall-broker.conf): without it Nagle held a show behind the
        # display's unacknowledged packets for a delayed ACK, ~35 ms a call.
        "set_tcp_nodelay true\n"
    )
    process = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if not wait_for_tcp("127.0.0.1", port, 10):
        process.terminate()
        raise RuntimeError("mosquitto did not start")
    return process, f"mqtt://127.0.0.1:{port}"


def _store_writes_per_second(folder: Path, *, append: bool) -> float:
    """Bare journal writes a second: `put` (committed and fsynced each) or `append` (the queue's)."""
    from hall_controller.store import Store

    store = Store(folder / f"anchor-{append}.db")
    store.open()
    try:
        collection = store.collection("anchor")
        write = collection.append if append else collection.put
        started = time.perf_counter()
        for index in range(TICKETS):
            write(f"{index:09d}", {"type": "issued", "number": f"A{index:03d}", "at": time.time()})
        return TICKETS / (time.perf_counter() - started)
    finally:
        store.close()


def _start_swarm(url: str, hall: str) -> subprocess.Popen[str]:
    """`DEVICES` simulated devices of `hall` in a child process (bench_controller's swarm)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_controller", "swarm", url, str(DEVICES), hall],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "READY":
        child.terminate()
        raise RuntimeError("the device swarm did not start")
    return child


def _mqtt_round_trips(url: str, count: int) -> list[float]:
    """`count` bare QoS 1 publish → receive round trips through the broker, in ms."""
    from devices.protocol.mqtt import no_delay

    port = int(url.rsplit(":", 1)[1])
    arrived: dict[int, float] = {}
    got = threading.Event()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        arrived[int(message.payload)] = time.perf_counter()
        got.set()

    receiver = paho.Client(CallbackAPIVersion.VERSION2)
    receiver.on_socket_open = no_delay
    receiver.on_message = on_message
    receiver.connect("127.0.0.1", port)
    receiver.subscribe("bench/rt", qos=1)
    receiver.loop_start()
    sender = paho.Client(CallbackAPIVersion.VERSION2)
    sender.on_socket_open = no_delay
    sender.connect("127.0.0.1", port)
    sender.loop_start()
    time.sleep(0.3)
    samples = []
    try:
        for index in range(count):
            got.clear()
            sent = time.perf_counter()
            sender.publish("bench/rt", str(index).encode(), qos=1)
            if got.wait(5) and index in arrived:
                samples.append((arrived[index] - sent) * 1000)
    finally:
        sender.loop_stop()
        receiver.loop_stop()
        sender.disconnect()
        receiver.disconnect()
    return samples


def run_devices(url: str, hall: str) -> None:
    """Child process: the main display and window 1's keypad, as devices of their own outside the
    controller's process. On "block N" it presses "next" N times, each time timing press → the display
    showing the new call, then "finish"; it prints the N latencies (ms) as one JSON line."""
    from devices.protocol.queue import DisplayShow, LedShow
    from firmware_sim.queue.devices import CallerKeypad, QueueDisplay
    from firmware_sim.queue.speech import SilentSpeaker

    display = QueueDisplay(hall, "main-display", SilentSpeaker())
    keypad = CallerKeypad(hall, "window-01-keypad", 1)
    changed = threading.Condition()
    latest = [0, 0.0]  # call_seq of the latest call shown, when it was shown (perf_counter)
    at_window: list[str | None] = [None]  # the ticket window 1's keypad shows

    def seen(show: DisplayShow) -> None:
        if show.latest is not None and show.latest.call_seq > latest[0]:
            with changed:
                latest[:] = [show.latest.call_seq, time.perf_counter()]
                changed.notify_all()

    def seen_at_window(show: LedShow) -> None:
        with changed:
            at_window[0] = show.number
            changed.notify_all()

    display.on_shown = seen
    keypad.on_shown = seen_at_window
    for device in (display, keypad):
        device.start(url)
    for device in (display, keypad):
        device.connected.wait(30)
    print("READY", flush=True)
    for line in sys.stdin:
        if not line.startswith("block "):
            break
        latencies = []
        for _ in range(int(line.split()[1])):
            before = latest[0]
            pressed = time.perf_counter()
            keypad.press("next")
            with changed:
                if changed.wait_for(lambda before=before: latest[0] > before, 5):  # type: ignore[misc]
                    latencies.append((latest[1] - pressed) * 1000)
                # As a clerk: the ticket is on the keypad's screen before "finish", and the window is free
                # again (no ticket shown) before the next "next", so each key finds the last one handled.
                changed.wait_for(lambda: at_window[0] is not None, 5)
            keypad.press("finish", outcome="ok")
            with changed:
                changed.wait_for(lambda: at_window[0] is None, 5)
        print(json.dumps(latencies), flush=True)
    for device in (display, keypad):
        device.stop()


def _start_child(*arguments: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_queue", *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "READY":
        child.terminate()
        raise RuntimeError(f"bench child {arguments[0]} did not start")
    return child


def _controller_figures(url: str, folder: Path) -> tuple[float, float, float, list[float], list[float]]:
    """(tickets/s, calls/s over HTTP, calls/s on the queue's path, call → display latencies in ms, bare
    MQTT round trips in ms measured in blocks between the latency samples, under the same load)."""
    from fastapi.testclient import TestClient

    from bench.bench_controller import _raise_file_limit, _wait_all_online
    from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
    from case_service.domain.states import Role
    from devices.protocol.queue import KeyName, KeyPress
    from hall.settings import Settings
    from hall_controller.app import create_app
    from hall_controller.heap import SETTLE_SECONDS, freeze_heap
    from hall_controller.queue.config import demo_config
    from hall_controller.queue.extension import QueueExtension

    hall = f"bench-{free_port()}"
    settings = Settings(hall_id=hall, mqtt_url=url, data_dir=folder / "controller")
    # One clerk takes every ticket here, far faster than a hall: the per-source limit and the daily caps
    # are not measured.
    config = demo_config()
    services = [
        service.model_copy(update={"daily_cap": 9999, "last_number": 9999}) for service in config.services
    ]
    config = config.model_copy(
        update={"tickets_per_device": 10 * (TICKETS + LATENCY_SAMPLES), "services": services}
    )
    _raise_file_limit()
    app = create_app(settings, [QueueExtension.factory(config=config, deliver_ratings=False)])
    freeze_heap()  # as `hall controller` does before it serves
    # Clerk actions need a staff token of the case service (signed with the same development key); each
    # window's clerk has their own.
    signer = TokenSigner(settings.secret_key.get_secret_value())
    clerks = {
        window: {
            "Authorization": "Bearer "
            + signer.issue(Principal(PrincipalKind.STAFF, f"c{window}", frozenset({Role.CLERK})), 3600)[0]
        }
        for window in range(1, 7)
    }
    swarm: subprocess.Popen[str] | None = None
    devices: subprocess.Popen[str] | None = None
    with TestClient(app) as client:
        controller = app.state.controller
        try:
            devices = _start_child("devices", url, hall)
            swarm = _start_swarm(url, hall)
            _wait_all_online(controller, DEVICES + 2, 300)
            # A hall's day runs with its devices announced and the heap settled (hall_controller.heap).
            if not controller.heap.settled.wait(SETTLE_SECONDS + 30):
                raise RuntimeError("the controller's heap did not settle after the devices announced")
            extension = next(e for e in controller.extensions if isinstance(e, QueueExtension))
            base = "/api/v1/ext/queue"
            started = time.perf_counter()
            for index in range(TICKETS):
                answer = client.post(
                    f"{base}/tickets",
                    json={
                        "service": ("business", "social", "permits")[index % 3],
                        "source": "window",
                        "print_slip": False,
                    },
                    headers=clerks[1],  # a window ticket is a clerk's to take
                )
                answer.raise_for_status()
            tickets_per_second = TICKETS / (time.perf_counter() - started)

            for window in range(1, 7):
                client.post(
                    f"{base}/windows/{window}/actions",
                    json={"key": "sign-in", "clerk": f"c{window}"},
                    headers=clerks[window],
                ).raise_for_status()
            calls = 0
            started = time.perf_counter()
            while calls < CALLS:  # over HTTP, as the web desk calls
                for window in range(2, 7):
                    answer = client.post(
                        f"{base}/windows/{window}/actions", json={"key": "next"}, headers=clerks[window]
                    )
                    answer.raise_for_status()
                    if answer.json()["ticket"] is None:
                        continue
                    calls += 1
                    client.post(
                        f"{base}/windows/{window}/actions",
                        json={"key": "finish", "outcome": "ok"},
                        headers=clerks[window],
                    ).raise_for_status()
            calls_per_second = calls / (time.perf_counter() - started)

            # The queue's own path, as a keypad's key reaches it (and the HTTP route too): book, journal,
            # display marks; the pump pushes to the devices on its thread meanwhile.
            calls = 0
            started = time.perf_counter()
            while calls < CALLS:
                for window in range(2, 7):
                    if extension.press(window, KeyPress(key=KeyName.NEXT)) is None:
                        continue
                    calls += 1
                    extension.press(window, KeyPress(key=KeyName.FINISH, outcome="ok"))
            path_calls_per_second = calls / (time.perf_counter() - started)

            # call → display: the clerk presses "next" on the keypad (MQTT), the main display shows the call
            for _ in range(LATENCY_SAMPLES):
                client.post(
                    f"{base}/tickets",
                    json={"service": "business", "source": "window", "print_slip": False},
                    headers=clerks[1],
                ).raise_for_status()
            latencies: list[float] = []
            round_trips: list[float] = []
            assert devices.stdin is not None and devices.stdout is not None
            for _ in range(LATENCY_SAMPLES // BLOCK):  # the anchor interleaved: same moments, same swarm
                round_trips += _mqtt_round_trips(url, BLOCK)
                devices.stdin.write(f"block {BLOCK}\n")
                devices.stdin.flush()
                latencies += json.loads(devices.stdout.readline())
            if len(latencies) < LATENCY_SAMPLES:
                raise RuntimeError(f"only {len(latencies)} of {LATENCY_SAMPLES} calls reached the display")
            return (
                tickets_per_second,
                calls_per_second,
                path_calls_per_second,
                latencies,
                round_trips,
            )
        finally:
            for child in (swarm, devices):
                if child is not None:
                    child.terminate()
                    child.wait(30)


def run() -> list[Figure]:
    from hall_controller.queue.simulation import simulate_day

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        broker, url = _start_mosquitto(folder)
        try:
            puts = _store_writes_per_second(folder, append=False)
            appends = _store_writes_per_second(folder, append=True)
            tickets, calls, path_calls, latencies, round_trips = _controller_figures(url, folder)
        finally:
            broker.terminate()
            broker.wait(10)
    day = simulate_day()
    anchor = "bare journal write (SQLite put, fsynced)"
    return [
        Figure("journal append (the queue's write)", appends, "/s", anchor, puts),
        Figure("tickets issued (HTTP, journaled)", tickets, "/s", anchor, puts),
        Figure("calls (HTTP next + finish, journaled)", calls, "/s", anchor, puts),
        Figure("calls (queue path: next + finish, journaled)", path_calls, "/s", anchor, puts, "≥ 0.5"),
        Figure(
            f"keypad next → main display p99 ({DEVICES} devices)",
            percentile(latencies, 0.99),
            "ms",
            "bare MQTT round trip p99 (same moments)",
            percentile(round_trips, 0.99),
            f"≤ 5 ms; p50 {percentile(latencies, 0.5):.1f} ms vs {percentile(round_trips, 0.5):.2f} ms",
            better="lower",
        ),
        Figure(
            f"wait estimate MAE, simulated day ({len(day.estimate_pairs)} tickets)",
            day.mae_minutes,
            "min",
            "naive estimate MAE (no live rates)",
            day.naive_mae_minutes,
            better="lower",
        ),
    ]


if __name__ == "__main__":
    if sys.argv[1] == "devices":
        run_devices(sys.argv[2], sys.argv[3])
