"""Mosquitto credentials and ACL for a hall's devices: each device may only speak on its own topics.

- A device's user name is ``<hall>/<device>``; its password is derived from the hall's device secret
  (HMAC-SHA256), so provisioning and this generator agree without storing passwords anywhere.
- The ACL uses ``pattern`` rules with ``%u``: one set of lines covers every device of every hall.
- Each hall's controller is ``<hall>/$controller`` and may read and write its own hall's tree.
- The password file holds PBKDF2-SHA512 hashes in Mosquitto 2's ``$7$`` format.

Run ``python -m hall_controller.mosquitto_acl --hall hall-01 --device printer-1 --device ... --out DIR``
with ``HALL_DEVICE_SECRET`` set; then in mosquitto.conf: ``password_file DIR/passwords``,
``acl_file DIR/acl``, ``allow_anonymous false``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NoReturn

from devices.protocol import topics
from devices.protocol.credentials import (
    Credential,
    controller_credential,
    controller_username,
    derive_password,
    device_credential,
    device_username,
)

__all__ = [
    "controller_credential",
    "controller_username",
    "derive_password",
    "device_credential",
    "device_username",
    "write_broker_files",
]

PBKDF2_ITERATIONS = 101  # what mosquitto_passwd writes
SALT_BYTES = 12


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS, 64)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_file(credentials: Iterable[Credential]) -> str:
    return "".join(f"{c.username}:{password_hash(c.password)}\n" for c in credentials)


def acl_file(halls: Iterable[str]) -> str:
    device_lines = [
        "# Devices: user name <hall>/<device>; each writes only its own topics and reads its own commands.",
        *(
            f"pattern write {topics.ROOT}/{topics.VERSION}/%u/{channel}"
            for channel in ("status", "desc", "state")
        ),
        f"pattern write {topics.ROOT}/{topics.VERSION}/%u/evt/+",
        f"pattern write {topics.ROOT}/{topics.VERSION}/%u/resp",
        f"pattern read {topics.ROOT}/{topics.VERSION}/%u/cmd/+",
        "# Every device hears its controller's birth and death (to re-announce).",
        f"pattern read {topics.ROOT}/{topics.VERSION}/+/{topics.CONTROLLER_ID}/status",
        "",
    ]
    controller_lines = []
    for hall in sorted(set(halls)):
        controller_lines += [
            f"user {controller_username(hall)}",
            f"topic readwrite {topics.ROOT}/{topics.VERSION}/{hall}/#",
            "topic write homeassistant/#",
            "",
        ]
    return "\n".join(device_lines + controller_lines)


def write_broker_files(
    directory: Path, devices: Mapping[str, Iterable[str]], device_secret: str
) -> tuple[Path, Path]:
    """`devices` maps hall id → device ids. Returns (password file, ACL file)."""
    credentials = []
    for hall, device_ids in devices.items():
        credentials.append(controller_credential(device_secret, hall))
        credentials += [device_credential(device_secret, hall, device_id) for device_id in device_ids]
    directory.mkdir(parents=True, exist_ok=True)
    passwords = directory / "passwords"
    acl = directory / "acl"
    passwords.write_text(password_file(credentials))
    passwords.chmod(0o600)
    acl.write_text(acl_file(devices))
    return passwords, acl


def _fail(message: str) -> NoReturn:
    """One line on stderr, no traceback, exit 2 (as argparse's own errors)."""
    print(f"mosquitto_acl: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hall", required=True)
    parser.add_argument("--device", action="append", default=[], help="a device id (repeat)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    secret = os.environ.get("HALL_DEVICE_SECRET")
    if not secret:
        parser.error("set HALL_DEVICE_SECRET: the device passwords are derived from it")
    try:
        passwords, acl = write_broker_files(args.out, {args.hall: args.device}, secret)
    except topics.TopicError as err:
        _fail(str(err))
    except OSError as err:
        _fail(f"cannot write to --out {args.out}: {err.strerror or err}")
    print(f"password_file {passwords}\nacl_file {acl}")


if __name__ == "__main__":
    main()
