"""Stamps for tools/call_hops (see its __init__): active only when HOPS_DIR is set."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from typing import Any

_DIRECTORY = os.environ.get("HOPS_DIR")


def _install(directory: str) -> None:
    import paho.mqtt.client as paho

    descriptor = os.open(f"{directory}/stamps.{os.getpid()}", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    clock = time.perf_counter

    def stamp(label: str, moment: float | None = None) -> None:
        at = clock() if moment is None else moment
        line = f"{at:.7f} {os.getpid()} {threading.get_native_id()} {label}\n"
        os.write(descriptor, line.encode())

    send = paho.Client._sock_send

    def sock_send(self: paho.Client, buffer: bytes | bytearray) -> int:
        head = bytes(buffer[:200])
        if b"/evt/key" in head and b'"next"' in bytes(buffer):
            stamp("key_sent")
        elif b"main-display/cmd/show-calls" in head:
            stamp("show_sent")
        return send(self, buffer)

    handle = paho.Client._handle_on_message

    def handle_on_message(self: paho.Client, message: paho.MQTTMessage) -> None:
        arrived = clock()
        topic = message.topic
        if topic.endswith("/evt/key") and b'"next"' in message.payload:
            stamp("key_arrived", arrived)
        elif topic.endswith("main-display/cmd/show-calls"):
            stamp("show_arrived", arrived)
        handle(self, message)
        if not topic.startswith("bench/"):
            stamp(f"msg {topic.split('/', 2)[-1]} {(clock() - arrived) * 1000:.3f}", arrived)

    read = paho.Client.loop_read

    def loop_read(self: paho.Client, max_packets: int = 1) -> Any:
        stamp(f"wake {self._client_id.decode()[:24]}")
        return read(self, max_packets)

    def collected(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] >= 1:
            stamp(f"gc{info['generation']} {phase}")

    paho.Client._sock_send = sock_send  # type: ignore[method-assign,assignment]
    paho.Client._handle_on_message = handle_on_message  # type: ignore[method-assign]
    paho.Client.loop_read = loop_read  # type: ignore[method-assign]
    gc.callbacks.append(collected)
    if "devices" in sys.argv:  # bench_queue's devices' process: the keypad and the main display
        from firmware_sim.queue import devices

        press = devices.CallerKeypad.press

        def pressed(self: devices.CallerKeypad, key: Any, **fields: Any) -> None:
            if str(key) == "next":
                stamp("press")
            press(self, key, **fields)

        show = devices.QueueDisplay._show

        def shown(self: devices.QueueDisplay, command: Any) -> Any:
            result = show(self, command)
            stamp("shown")
            return result

        devices.CallerKeypad.press = pressed  # type: ignore[method-assign]
        devices.QueueDisplay._show = shown  # type: ignore[method-assign]
    else:  # the bench, hosting the controller
        from hall_controller import link

        publish = link.ControllerLink.publish_command

        def publish_command(self: link.ControllerLink, device_id: str, name: str, *rest: Any) -> bool:
            if device_id == "main-display" and name == "show-calls":
                stamp("show_handed")
            return publish(self, device_id, name, *rest)

        link.ControllerLink.publish_command = publish_command  # type: ignore[method-assign,assignment]


if _DIRECTORY and "swarm" not in sys.argv:
    _install(_DIRECTORY)
