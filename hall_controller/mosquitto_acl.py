"""Mosquitto's password and ACL files for a hall's enrolled devices: each device may only speak on its own
topics (devices.protocol.acl), with its own random password.

- The password file lists every enrolled, unrevoked device of the hall (the controller as
  ``<hall>/$controller``) with the `$7$` hash the case service keeps from its enrolment
  (devices.protocol.credentials): no password is derived or known here.
- The logins come from the case service (``GET /api/v1/devices/broker-logins``, with an admin's or the
  hall controller's token) or from a file saved from that answer (``--logins FILE``, JSON).
- Rewrite the files after each enrolment, rotation or revocation, then reload Mosquitto (SIGHUP):
  a revoked device can no longer connect.

Run ``python -m hall_controller.mosquitto_acl --hall hall-01 --out DIR`` with ``--credential FILE`` (the
controller's own credential file, e.g. from a timer on the broker's host), ``BROKER_LOGINS_TOKEN`` (an
admin's token) or ``--logins FILE``; then in mosquitto.conf: ``password_file DIR/passwords``,
``acl_file DIR/acl``, ``allow_anonymous false``, ``use_username_as_clientid true``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx

from devices.protocol.acl import mosquitto_acl
from devices.protocol.credentials import CredentialError, DeviceCredential, load_credential

__all__ = ["BrokerLogin", "fetch_logins", "write_broker_files"]


@dataclass(frozen=True)
class BrokerLogin:
    username: str
    password_hash: str


def password_file(logins: Iterable[BrokerLogin]) -> str:
    return "".join(f"{login.username}:{login.password_hash}\n" for login in logins)


def fetch_logins(
    case_service_url: str, token: str, hall: str, client: httpx.Client | None = None
) -> list[BrokerLogin]:
    """The hall's enrolled devices' logins from the case service (an admin's or the controller's token)."""
    http = client or httpx.Client(base_url=case_service_url, timeout=10.0)
    try:
        answer = http.get(
            "/api/v1/devices/broker-logins",
            params={"hall_id": hall},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        if client is None:
            http.close()
    answer.raise_for_status()
    return [BrokerLogin(row["username"], row["password_hash"]) for row in answer.json()]


def controller_token(case_service_url: str, credential: DeviceCredential) -> str:
    """A device token for the controller's own enrolled credential."""
    body = {"device_id": credential.device_id, "secret": credential.secret}
    answer = httpx.post(f"{case_service_url}/api/v1/auth/device-token", json=body, timeout=10.0)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def write_broker_files(
    directory: Path, halls: Iterable[str], logins: Iterable[BrokerLogin]
) -> tuple[Path, Path]:
    """Writes `passwords` (0600, replaced whole) and `acl` into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    passwords = directory / "passwords"
    acl = directory / "acl"
    temporary = directory / "passwords.tmp"
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password_file(logins))
    temporary.replace(passwords)
    acl.write_text(mosquitto_acl(list(halls)))
    return passwords, acl


def _fail(message: str) -> NoReturn:
    """One line on stderr, no traceback, exit 2 (as argparse's own errors)."""
    print(f"mosquitto_acl: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hall", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--case-service", default="http://127.0.0.1:8000")
    parser.add_argument("--logins", type=Path, help="a saved GET /devices/broker-logins answer (JSON)")
    parser.add_argument("--credential", type=Path, help="sign in as the controller with its credential file")
    args = parser.parse_args(argv)
    try:
        if args.logins:
            rows = json.loads(args.logins.read_text(encoding="utf-8"))
            logins = [BrokerLogin(row["username"], row["password_hash"]) for row in rows]
        else:
            token = os.environ.get("BROKER_LOGINS_TOKEN")
            if args.credential:
                token = controller_token(args.case_service, load_credential(args.credential))
            if not token:
                parser.error("pass --credential FILE (the controller's), --logins FILE or a token")
            logins = fetch_logins(args.case_service, token, args.hall)
    except (OSError, ValueError, KeyError, TypeError, CredentialError) as err:
        _fail(f"cannot read the enrolled devices' logins: {err}")
    except httpx.HTTPError as err:
        _fail(f"cannot get the enrolled devices' logins from {args.case_service}: {err}")
    try:
        passwords, acl = write_broker_files(args.out, [args.hall], logins)
    except OSError as err:
        _fail(f"cannot write to --out {args.out}: {err.strerror or err}")
    print(f"password_file {passwords}\nacl_file {acl}")


if __name__ == "__main__":
    main()
