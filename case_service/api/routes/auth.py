"""Sign-in: staff passwords, device credentials, applicant tokens a kiosk gets after reading an ID card."""

from __future__ import annotations

import time

from fastapi import APIRouter
from sqlalchemy import select

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep
from case_service.auth import enrolment
from case_service.auth.passwords import verify_secret
from case_service.auth.tokens import (
    APPLICANT_TTL,
    DEVICE_TTL,
    STAFF_TTL,
    Principal,
    PrincipalKind,
)
from case_service.domain.errors import ForbiddenError, InvalidInputError, UnauthorizedError
from case_service.domain.identity import normalise_id_number
from case_service.domain.states import Role
from case_service.runtime import Services, blind_indexes
from case_service.storage import audit
from case_service.storage.models import Device, User
from devices.protocol.credentials import mqtt_username, new_secret, password_hash, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])


def _token_out(services: ServicesDep, principal: Principal, ttl: int) -> schemas.TokenOut:
    token, expires = services.signer.issue(principal, ttl)
    return schemas.TokenOut(
        access_token=token,
        expires_at=expires,
        kind=principal.kind.value,
        roles=sorted(role.value for role in principal.roles),
    )


@router.post("/login", response_model=schemas.TokenOut)
def login(body: schemas.LoginIn, session: SessionDep, services: ServicesDep) -> schemas.TokenOut:
    user = session.scalar(select(User).where(User.username == body.username, User.active.is_(True)))
    if user is None or not verify_secret(user.password_hash, body.password):
        raise UnauthorizedError("wrong username or password")
    principal = Principal(
        PrincipalKind.STAFF, user.username, frozenset(Role(role) for role in user.roles), user.department
    )
    return _token_out(services, principal, STAFF_TTL)


@router.post("/device-token", response_model=schemas.TokenOut)
def device_token(body: schemas.DeviceTokenIn, session: SessionDep, services: ServicesDep) -> schemas.TokenOut:
    """An enrolled kiosk or controller proves itself with its own secret; its kind is its registration's."""
    device = session.scalar(select(Device).where(Device.device_id == body.device_id))
    if device is None or not device.active or not verify_password(device.secret_hash, body.secret):
        raise UnauthorizedError("unknown device or wrong secret")
    role = enrolment.TOKEN_ROLES.get(device.kind)
    if role is None:
        raise ForbiddenError(f"a {device.kind} speaks only MQTT and gets no case-service token")
    principal = Principal(PrincipalKind.DEVICE, device.device_id, frozenset({role}))
    return _token_out(services, principal, DEVICE_TTL)


@router.post("/device-enrolment", response_model=schemas.EnrolmentOut)
def enrol_device(body: schemas.EnrolmentIn, session: SessionDep) -> schemas.EnrolmentOut:
    """Exchanges a registered device's one-time enrolment code for its own secret, once.

    The answer is the only copy of the secret: the device keeps it in a 0600 file
    (devices.protocol.credentials); the case service keeps only its hash.
    """
    device = session.scalar(select(Device).where(Device.device_id == body.device_id))
    now_ms = int(time.time() * 1000)
    if (
        device is None
        or not device.active
        or not enrolment.code_matches(device.enrolment_digest, device.enrolment_expires_ms, body.code, now_ms)
    ):
        raise UnauthorizedError("unknown device, or a wrong, used or expired enrolment code")
    secret = new_secret()
    device.secret_hash = password_hash(secret)
    device.enrolment_digest = None
    audit.append(
        session,
        actor=f"device:{device.device_id}",
        action="device.enrol",
        subject_type="device",
        subject_id=device.device_id,
    )
    session.commit()
    return schemas.EnrolmentOut(
        device_id=device.device_id,
        kind=device.kind,
        hall_id=device.hall_id,
        secret=secret,
        mqtt_username=mqtt_username(device.kind, device.hall_id, device.device_id),
    )


@router.post("/applicant-token", response_model=schemas.TokenOut)
def applicant_token(
    body: schemas.ApplicantTokenIn, device: PrincipalDep, services: ServicesDep
) -> schemas.TokenOut:
    """Needs a kiosk's device token. The token sees this person's cases and no one else's, for 10 minutes."""
    if device.kind is not PrincipalKind.DEVICE or Role.KIOSK not in device.roles:
        raise ForbiddenError("only a kiosk's device token can ask for an applicant token")
    id_number = normalise_id_number(body.id_number)
    today = services.today()
    if body.valid_until is not None and body.valid_until < today:
        raise InvalidInputError(f"the ID card expired on {body.valid_until.isoformat()}")
    if body.valid_from is not None and body.valid_from > today:
        raise InvalidInputError("the ID card is not yet valid")
    principal = applicant_principal(services, device, body.name.strip(), id_number)
    return _token_out(services, principal, APPLICANT_TTL)


def applicant_principal(services: Services, device: Principal, name: str, id_number: str) -> Principal:
    """The applicant a kiosk identified (card, e-ID or phone): their blind index under every PII key, so
    cases filed before a key rotation stay theirs, and their name and number only sealed."""
    cipher = services.cipher
    current, *older = blind_indexes(services.index_keys, id_number) or (cipher.blind_index(id_number),)
    return Principal(
        PrincipalKind.APPLICANT,
        current,
        frozenset({Role.APPLICANT}),
        device_id=device.subject,
        sealed_name=cipher.encrypt(name, context="token.name"),
        sealed_id_number=cipher.encrypt(id_number, context="token.id"),
        aliases=tuple(older),
    )


@router.get("/me", response_model=schemas.MeOut)
def me(principal: PrincipalDep) -> schemas.MeOut:
    subject = principal.subject if principal.kind is not PrincipalKind.APPLICANT else principal.subject[:12]
    return schemas.MeOut(
        kind=principal.kind.value,
        subject=subject,
        roles=sorted(role.value for role in principal.roles),
        department=principal.department,
        expires_at=principal.expires_at,
    )
