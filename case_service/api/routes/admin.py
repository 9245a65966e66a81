"""Administration: staff accounts, device registration and enrolment codes, the holiday table and the years'
announcements, token revocation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from case_service.api import idempotency, schemas
from case_service.api.deps import IdempotencyKey, PrincipalDep, ServicesDep, SessionDep, require_roles
from case_service.api.openapi import REQUIRES_KEY
from case_service.auth import device_registry as registry
from case_service.auth.passwords import hash_secret
from case_service.cases.recompute import recompute_open_cases
from case_service.domain.announcement import parse_announcement
from case_service.domain.errors import ConflictError
from case_service.domain.states import Role
from case_service.runtime import Services
from case_service.storage import audit
from case_service.storage.models import CalendarYear, Device, HolidayOverride, User

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])


@router.post("/users", status_code=201, response_model=schemas.UserOut, openapi_extra=REQUIRES_KEY)
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
    session.flush()
    _recompute(session, services, actor=principal.actor, reason=f"calendar.set {day.isoformat()}")
    session.commit()
    services.calendars.invalidate()
    return schemas.HolidayOut(day=row.day, is_working_day=row.is_working_day, note=row.note)


def _recompute(session: Session, services: Services, *, actor: str, reason: str) -> int:
    """Open cases' due dates on the calendar as the session now has it (flushed, not yet committed)."""
    return recompute_open_cases(session, services.calendars.load(session), actor=actor, reason=reason)


@router.get("/calendar/years", response_model=list[schemas.CalendarYearOut])
def calendar_years(session: SessionDep, services: ServicesDep) -> list[schemas.CalendarYearOut]:
    """The years whose holidays are known: shipped with the calendar package, or entered announcements."""
    entered = {row.year: row for row in session.scalars(select(CalendarYear))}
    years = [
        schemas.CalendarYearOut(year=year, source="package")
        for year in sorted(services.calendars.get(session).known_years - set(entered))
    ]
    years += [
        schemas.CalendarYearOut(
            year=row.year, source="announcement", entered_by=row.entered_by, entered_at=row.entered_at
        )
        for row in sorted(entered.values(), key=lambda row: row.year)
    ]
    return sorted(years, key=lambda entry: entry.year)


@router.post("/calendar/announcements", response_model=schemas.AnnouncementOut)
def enter_announcement(
    body: schemas.AnnouncementIn, session: SessionDep, services: ServicesDep, principal: PrincipalDep
) -> schemas.AnnouncementOut:
    """Enters one year's whole announcement (国务院办公厅关于某年部分节假日安排的通知): its days replace the
    year's entries in the holiday table and the year counts as known. Every open case's due dates are
    counted again and audited. `confirm: false` (the default) shows the parsed days and how many open cases
    would change, and changes nothing."""
    announcement = parse_announcement(body.text, body.year)
    year = announcement.year
    previous = session.get(CalendarYear, year)
    session.execute(
        delete(HolidayOverride).where(
            HolidayOverride.day >= dt.date(year, 1, 1), HolidayOverride.day <= dt.date(year, 12, 31)
        )
    )
    for day in announcement.days:
        session.merge(HolidayOverride(day=day.day, is_working_day=day.is_working_day, note=day.name[:200]))
    if previous is None:
        session.add(CalendarYear(year=year, announcement=body.text, entered_by=principal.actor))
    else:
        previous.announcement, previous.entered_by = body.text, principal.actor
        previous.entered_at = dt.datetime.now(dt.UTC)
    session.flush()
    changed = _recompute(session, services, actor=principal.actor, reason=f"calendar.announce {year}")
    result = schemas.AnnouncementOut(
        year=year,
        holidays=[schemas.AnnouncedDayOut(day=day.day, name=day.name) for day in announcement.holidays],
        workdays=[schemas.AnnouncedDayOut(day=day.day, name=day.name) for day in announcement.workdays],
        replaces_entered_year=previous is not None,
        cases_changed=changed,
        entered=body.confirm,
    )
    if not body.confirm:
        session.rollback()
        services.calendars.invalidate()
        return result
    audit.append(
        session,
        actor=principal.actor,
        action="calendar.announce",
        subject_type="calendar_year",
        subject_id=str(year),
        after={
            "holidays": [day.day.isoformat() for day in announcement.holidays],
            "workdays": [day.day.isoformat() for day in announcement.workdays],
            "cases_changed": changed,
        },
    )
    session.commit()
    services.calendars.invalidate()
    return result


@router.post("/tokens/revoke", response_model=schemas.RevokedOut)
def revoke_tokens(
    body: schemas.RevokeTokensIn, session: SessionDep, principal: PrincipalDep, services: ServicesDep
) -> schemas.RevokedOut:
    """Voids every token a staff member or device holds now (a stolen badge or device): each must sign
    in again. Audited."""
    at_ms = services.revocations.cut_off(session, body.kind, body.subject)
    audit.append(
        session,
        actor=principal.actor,
        action="token.revoke_all",
        subject_type=body.kind,
        subject_id=body.subject,
        after={"reason": body.reason},
    )
    session.commit()
    return schemas.RevokedOut(kind=body.kind, subject=body.subject, revoked_before_ms=at_ms)
