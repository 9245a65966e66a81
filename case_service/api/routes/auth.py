"""Sign-in: staff passwords, device credentials, applicant tokens a kiosk gets after reading an ID card."""

from __future__ import annotations

import hmac

from fastapi import APIRouter
from sqlalchemy import select

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep
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
from case_service.storage.models import Device, User
from hall import case_api

router = APIRouter(prefix="/auth", tags=["auth"])
DEVICE_ROLES = {"kiosk": Role.KIOSK, "controller": Role.CONTROLLER}


def _token_out(services: ServicesDep, principal: Principal, ttl: int) -> case_api.TokenOut:
    token, expires = services.signer.issue(principal, ttl)
    return case_api.TokenOut(
        access_token=token,
        expires_at=expires,
        kind=principal.kind.value,
        roles=sorted(role.value for role in principal.roles),
    )


@router.post("/login", response_model=case_api.TokenOut)
def login(body: schemas.LoginIn, session: SessionDep, services: ServicesDep) -> case_api.TokenOut:
    user = session.scalar(select(User).where(User.username == body.username, User.active.is_(True)))
    if user is None or not verify_secret(user.password_hash, body.password):
        raise UnauthorizedError("wrong username or password")
    principal = Principal(
        PrincipalKind.STAFF, user.username, frozenset(Role(role) for role in user.roles), user.department
    )
    return _token_out(services, principal, STAFF_TTL)


@router.post("/device-token", response_model=case_api.TokenOut)
def device_token(
    body: schemas.DeviceTokenIn, session: SessionDep, services: ServicesDep
) -> case_api.TokenOut:
    """A registered device proves itself with its own secret; otherwise the hall's shared device secret."""
    device = session.scalar(select(Device).where(Device.device_id == body.device_id))
    if device is not None:
        if not device.active or not verify_secret(device.secret_hash, body.secret):
            raise UnauthorizedError("unknown device or wrong secret")
        kind = device.kind
    else:
        shared = services.settings.device_secret.get_secret_value()
        if not hmac.compare_digest(shared.encode(), body.secret.encode()):
            raise UnauthorizedError("unknown device or wrong secret")
        kind = body.kind
    principal = Principal(PrincipalKind.DEVICE, body.device_id, frozenset({DEVICE_ROLES[kind]}))
    return _token_out(services, principal, DEVICE_TTL)


@router.post("/applicant-token", response_model=case_api.TokenOut)
def applicant_token(
    body: schemas.ApplicantTokenIn, device: PrincipalDep, services: ServicesDep
) -> case_api.TokenOut:
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
