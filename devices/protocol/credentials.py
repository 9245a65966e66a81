"""Broker credentials of the contract: user names and passwords derived from the hall's device secret.

A device's user name is ``<hall>/<device>``, the controller's ``<hall>/$controller``; the password is
HMAC-SHA256 of the user name under ``HALL_DEVICE_SECRET``, so provisioning, the devices and the
broker's password file (hall_controller.mosquitto_acl) agree without storing passwords anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from devices.protocol import topics


@dataclass(frozen=True)
class Credential:
    username: str
    password: str


def device_username(hall: str, device_id: str) -> str:
    return f"{topics.check_segment(hall, 'hall id')}/{topics.check_segment(device_id, 'device id')}"


def controller_username(hall: str) -> str:
    return device_username(hall, topics.CONTROLLER_ID)


def derive_password(device_secret: str, username: str) -> str:
    digest = hmac.new(device_secret.encode(), f"mqtt:{username}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def device_credential(device_secret: str, hall: str, device_id: str) -> Credential:
    username = device_username(hall, device_id)
    return Credential(username, derive_password(device_secret, username))


def controller_credential(device_secret: str, hall: str) -> Credential:
    username = controller_username(hall)
    return Credential(username, derive_password(device_secret, username))
