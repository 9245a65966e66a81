"""Administration: staff accounts, device registration and enrolment codes, the holiday table."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlalchemy import select

from case_service.api import idempotency, schemas
from case_service.api.deps import IdempotencyKey, PrincipalDep, ServicesDep, SessionDep, require_roles
from case_service.auth import device_registry as registry
from case_service.auth.passwords import hash_secret
from case_service.domain.errors import ConflictError
from case_service.domain.states import Role
from case_service.storage import audit
from case_service.storage.models import Device, HolidayOverride, User

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])


@router.post("/users", status_code=201, response_model=schemas.UserOut)
def create_user(
    body: schemas.UserIn, session: SessionDep, principal: PrincipalDep, idempotency_key: IdempotencyKey = None
) -> Response:
    def produce() -> schemas.UserOut:
        if session.scalar(select(User.id).where(User.username == body.username)) is not None:
            raise ConflictError(f"user {body.username!r} exists")
        user = User(
            username=body.username,
            display_name=body.display_name,
            password_hash=hash_secret(body.password),
            roles=list(body.roles),
            department=body.department,
        )
        session.add(user)
        session.flush()
        audit.append(
            session,
            actor=principal.actor,
            action="user.create",
            subject_type="user",
            subject_id=user.username,
            after={"roles": user.roles, "department": user.department},
        )
        return schemas.UserOut(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=user.roles,
            department=user.department,
        )

    request = body.model_dump(mode="json", exclude={"password"})
    return idempotency.run(
        session,
        scope=principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST user", request),
        produce=produce,
    )


def _device_out(device: Device) -> schemas.DeviceOut:
    return schemas.DeviceOut(
        device_id=device.device_id, kind=device.kind, hall_id=device.hall_id, state=registry.state_of(device)
    )


def _code_out(device: Device, code: str, expires: dt.datetime) -> schemas.DeviceCodeOut:
    return schemas.DeviceCodeOut(
        **_device_out(device).model_dump(), enrolment_code=code, code_expires_at=expires
    )


DeviceIdPath = Annotated[str, Path(pattern=schemas.DEVICE_ID, examples=["kiosk-01"])]


@router.post("/devices", status_code=201, response_model=schemas.DeviceCodeOut)
def register_device(
    body: schemas.DeviceIn, session: SessionDep, principal: PrincipalDep
) -> schemas.DeviceCodeOut:
    """Registers a device and answers its one-time enrolment code (shown this once, good for a day).

    The device exchanges the code at `POST /auth/device-enrolment` for its own secret. Not idempotent
    by key on purpose: a replayed answer would keep the code; a lost answer is a rotation.
    """
    device, code, expires = registry.register(
        session, principal.actor, body.device_id, body.kind, body.hall_id
    )
    session.commit()
    return _code_out(device, code, expires)


@router.get("/devices", response_model=list[schemas.DeviceOut])
def list_devices(session: SessionDep) -> list[schemas.DeviceOut]:
    return [_device_out(device) for device in registry.listed(session)]


@router.post("/devices/{device_id}/rotate", response_model=schemas.DeviceCodeOut)
def rotate_device(
    device_id: DeviceIdPath, session: SessionDep, principal: PrincipalDep
) -> schemas.DeviceCodeOut:
    """A new one-time enrolment code; the device's current secret (and MQTT password) stops working now."""
    device, code, expires = registry.rotate(session, principal.actor, device_id)
    session.commit()
    return _code_out(device, code, expires)


@router.post("/devices/{device_id}/revoke", response_model=schemas.DeviceOut)
def revoke_device(device_id: DeviceIdPath, session: SessionDep, principal: PrincipalDep) -> schemas.DeviceOut:
    """The device gets no more tokens, and drops out of the broker's password file at its next rewrite."""
    device = registry.revoke(session, principal.actor, device_id)
    session.commit()
    return _device_out(device)


@router.get("/holidays", response_model=list[schemas.HolidayOut])
def list_holidays(session: SessionDep) -> list[schemas.HolidayOut]:
    rows = session.scalars(select(HolidayOverride).order_by(HolidayOverride.day))
    return [schemas.HolidayOut(day=row.day, is_working_day=row.is_working_day, note=row.note) for row in rows]


@router.put("/holidays/{day}", response_model=schemas.HolidayOut)
def put_holiday(
    day: Annotated[dt.date, Path(examples=["2027-01-01"])],
    body: schemas.HolidayIn,
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
) -> schemas.HolidayOut:
    """Adds a day from the State Council's announcement (a holiday, or a swapped working weekend day)."""
    row = session.get(HolidayOverride, day)
    before = {"is_working_day": row.is_working_day, "note": row.note} if row else None
    if row is None:
        row = HolidayOverride(day=day, is_working_day=body.is_working_day, note=body.note)
        session.add(row)
    else:
        row.is_working_day, row.note = body.is_working_day, body.note
    audit.append(
        session,
        actor=principal.actor,
        action="calendar.set",
        subject_type="day",
        subject_id=day.isoformat(),
        before=before,
        after={"is_working_day": body.is_working_day, "note": body.note},
    )
    session.commit()
    services.calendars.invalidate()
    return schemas.HolidayOut(day=row.day, is_working_day=row.is_working_day, note=row.note)
