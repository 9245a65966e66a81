"""Registering, rotating and revoking devices: the admin API and the admin's staff page share these.

Each act is audited and committed by the caller. A one-time code is returned to be shown once, never
stored (only its digest), never put in a URL.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.auth import enrolment
from case_service.domain.errors import ConflictError, NotFoundError
from case_service.storage import audit
from case_service.storage.models import Device


def now_ms() -> int:
    return int(time.time() * 1000)


def state_of(device: Device) -> str:
    return enrolment.state(
        active=device.active, secret_hash=device.secret_hash, digest=device.enrolment_digest
    )


def listed(session: Session) -> list[Device]:
    return list(session.scalars(select(Device).order_by(Device.hall_id, Device.device_id)))


def registered(session: Session, device_id: str) -> Device:
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if device is None:
        raise NotFoundError(f"no device {device_id!r} is registered")
    return device


def _issue_code(device: Device) -> tuple[str, dt.datetime]:
    """A fresh one-time code; the device's current secret stops working at once."""
    code = enrolment.new_code(now_ms())
    device.active = True
    device.secret_hash = ""
    device.enrolment_digest = code.digest
    device.enrolment_expires_ms = code.expires_ms
    return code.code, dt.datetime.fromtimestamp(code.expires_ms / 1000, tz=dt.UTC)


def register(
    session: Session, actor: str, device_id: str, kind: str, hall_id: str
) -> tuple[Device, str, dt.datetime]:
    if kind not in enrolment.KINDS:
        raise ConflictError(f"unknown device kind {kind!r}")
    if session.scalar(select(Device.id).where(Device.device_id == device_id)) is not None:
        raise ConflictError(f"device {device_id!r} is registered")
    device = Device(device_id=device_id, kind=kind, secret_hash="", hall_id=hall_id)
    session.add(device)
    code, expires = _issue_code(device)
    audit.append(
        session,
        actor=actor,
        action="device.register",
        subject_type="device",
        subject_id=device_id,
        after={"kind": kind, "hall_id": hall_id},
    )
    return device, code, expires


def rotate(session: Session, actor: str, device_id: str) -> tuple[Device, str, dt.datetime]:
    device = registered(session, device_id)
    code, expires = _issue_code(device)
    audit.append(session, actor=actor, action="device.rotate", subject_type="device", subject_id=device_id)
    return device, code, expires


def revoke(session: Session, actor: str, device_id: str) -> Device:
    device = registered(session, device_id)
    device.active = False
    device.secret_hash = ""
    device.enrolment_digest = None
    audit.append(session, actor=actor, action="device.revoke", subject_type="device", subject_id=device_id)
    return device
