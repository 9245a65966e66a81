"""Home Assistant discovery payloads for one hall device: pure, no I/O.

Each device becomes a Home Assistant device with two binary sensors that read the contract's own
retained topics directly: connectivity (from ``status``) and problem (from ``state.issues``).
Availability follows the hall controller's birth/death.
"""

from __future__ import annotations

import json

from devices.protocol import topics
from devices.protocol.payloads import Description

ISSUE_CODES_TEMPLATE = (
    "{{ {'issues': value_json.issues | default([]) | map(attribute='code') | list} | tojson }}"
)


def discovery_messages(prefix: str, hall: str, device_id: str, description: Description) -> dict[str, bytes]:
    """Discovery topic → retained config payload."""
    object_id = f"{hall}_{device_id}".replace("-", "_")
    device = {
        "identifiers": [object_id],
        "name": f"{device_id} ({hall})",
        "model": description.model,
        "sw_version": description.firmware,
        "manufacturer": "Service hall",
        "suggested_area": hall,
    }
    availability = {
        "availability_topic": topics.controller_status(hall),
        "availability_template": "{{ value_json.status }}",
    }
    connectivity = {
        "name": "在线 online",
        "unique_id": f"{object_id}_online",
        "device_class": "connectivity",
        "state_topic": topics.topic(hall, device_id, topics.Channel.STATUS),
        "value_template": "{{ value_json.status }}",
        "payload_on": "online",
        "payload_off": "offline",
        "device": device,
        **availability,
    }
    problem = {
        "name": "故障 problem",
        "unique_id": f"{object_id}_problem",
        "device_class": "problem",
        "state_topic": topics.topic(hall, device_id, topics.Channel.STATE),
        "value_template": "{{ 'ON' if value_json.issues | default([]) | length > 0 else 'OFF' }}",
        "json_attributes_topic": topics.topic(hall, device_id, topics.Channel.STATE),
        "json_attributes_template": ISSUE_CODES_TEMPLATE,
        "device": device,
        **availability,
    }
    return {
        f"{prefix}/binary_sensor/{object_id}/online/config": json.dumps(
            connectivity, ensure_ascii=False
        ).encode(),
        f"{prefix}/binary_sensor/{object_id}/problem/config": json.dumps(
            problem, ensure_ascii=False
        ).encode(),
    }
