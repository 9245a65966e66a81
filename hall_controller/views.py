"""What the dashboard and the API show: plain JSON-ready dicts built from the controller's records."""

from __future__ import annotations

import time
from typing import Any

from devices.protocol.health import label
from hall_controller.alarm_guide import instruction
from hall_controller.alarms import Alarm
from hall_controller.registry import DeviceRecord


def device_view(record: DeviceRecord, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    description = record.description
    return {
        "device_id": record.device_id,
        "kind": record.kind,
        "availability": record.availability.value,
        "status": record.availability.value,
        "offline_reason": record.offline_reason,
        "model": description.model if description else "",
        "firmware": description.firmware if description else "",
        "capabilities": list(description.capabilities) if description else [],
        "commands": list(description.commands) if description else [],
        "issues": [
            {"code": issue.code, "severity": issue.severity.value, "label": label(issue.code)}
            for issue in record.issues
        ],
        "health": _health(record),
        "data": dict(record.state.data) if record.state else {},
        "seconds_since_seen": round(now - record.last_seen, 1) if record.last_seen else None,
        "last_seen": record.last_seen or None,
        "sequence_gaps": record.gaps,
        "duplicate": record.duplicate,
    }


def _health(record: DeviceRecord) -> str:
    severities = {issue.severity.value for issue in record.issues}
    if record.duplicate or "critical" in severities:
        return "critical"
    if severities:
        return "warning"
    return "ok"


def alarm_view(alarm: Alarm) -> dict[str, Any]:
    return {
        "alarm_id": alarm.alarm_id,
        "device_id": alarm.device_id,
        "code": alarm.code,
        "label": label(alarm.code),
        "instruction": instruction(alarm.code).as_dict(),
        "severity": alarm.severity.value,
        "message": alarm.message,
        "source": alarm.source.value,
        "raised_at": alarm.raised_at,
        "cleared_at": alarm.cleared_at,
        "active": alarm.active,
        "event": alarm.event,
        "acknowledged_by": alarm.acknowledged_by,
        "acknowledged_at": alarm.acknowledged_at,
    }
