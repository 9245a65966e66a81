"""Prometheus metrics of one controller, in a registry of its own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class ControllerMetrics:
    def __init__(self, hall: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"hall": hall}
        self.messages = Counter(
            "hall_mqtt_messages", "MQTT messages received, by channel", ["channel"], registry=self.registry
        )
        self.rejected = Counter(
            "hall_mqtt_rejected",
            "Messages refused as outside the contract, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.sequence_gaps = Counter("hall_sequence_gaps", "Sequence gaps noticed", registry=self.registry)
        self.duplicates = Counter(
            "hall_duplicate_device_ids", "Duplicate device ids found", registry=self.registry
        )
        self.extension_errors = Counter(
            "hall_extension_errors", "Exceptions raised by extensions", ["extension"], registry=self.registry
        )
        self.commands = Counter(
            "hall_commands", "Commands ended, by completion code", ["code"], registry=self.registry
        )
        self.command_seconds = Histogram(
            "hall_command_seconds",
            "Command round trip, send to completion",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.devices = Gauge(
            "hall_devices", "Devices by availability", ["availability"], registry=self.registry
        )
        self.alarms = Gauge(
            "hall_alarms_active", "Active alarms by severity", ["severity"], registry=self.registry
        )
        self.unacknowledged = Gauge(
            "hall_alarms_unacknowledged",
            "Alarms no manager has acknowledged yet (events included), by severity",
            ["severity"],
            registry=self.registry,
        )
        self.info = Gauge("hall_controller_info", "This controller", list(labels), registry=self.registry)
        self.info.labels(**labels).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
