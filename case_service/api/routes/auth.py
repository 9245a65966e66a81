"""Sign-in: staff passwords, device credentials, applicant tokens a kiosk gets after reading an ID card."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep
from case_service.api.errors import ErrorBody, too_many
from case_service.auth import enrolment
from case_service.auth.passwords import hash_secret, verify_secret
from case_service.auth.tokens import (
    DEVICE_TTL,
    STAFF_TTL,
    Principal,
    PrincipalKind,
)
from case_service.domain.errors import ForbiddenError, UnauthorizedError
from case_service.domain.signin import TooManyError
from case_service.domain.states import Role
from case_service.runtime import Services, blind_indexes
from case_service.storage import audit
from case_service.storage.models import Device, User
from case_service.storage.signin import SignInStore
from devices.idcard.attestation import attestation_key
from devices.protocol.credentials import mqtt_username, new_secret, password_hash, verify_password
from hall import case_api

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])
ATTESTATION_CONTEXT = "token.attest"


def _token_out(services: ServicesDep, principal: Principal, ttl: int) -> case_api.TokenOut:
    token, expires = services.signer.issue(principal, ttl)
    return case_api.TokenOut(
        access_token=token,
        expires_at=expires,
        kind=principal.kind.value,
        roles=sorted(role.value for role in principal.roles),
    )


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both answers take one argon2 verification."""
    return hash_secret(secrets.token_urlsafe(16))


def get_login_throttle(request: Request, services: ServicesDep) -> SignInStore:
    """Failed staff sign-ins per user and per address, in the database every process shares."""
    state = request.app.state
    store: SignInStore | None = getattr(state, "login_throttle", None)
    if store is None:
        secret = services.settings.secret_key.get_secret_value()
        store = SignInStore(hashlib.sha256(b"staff-login:" + secret.encode()).digest(), services.sessions)
        state.login_throttle = store
    return store


LoginThrottleDep = Annotated[SignInStore, Depends(get_login_throttle)]


def staff_sign_in(
    session: Session, throttle: SignInStore, username: str, password: str, address: str
) -> User:
    """The user, if the password is right. TooManyError while the user or the address has too many
    recent failures; a failure is counted, logged and audited (never the password); an unknown username
    costs the same argon2 verification as a wrong password. API and staff pages sign in through this."""
    try:
        throttle.check_login(username, address)
    except TooManyError:
        log.warning("a staff sign-in from %s refused: too many failures", address)
        raise
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    right = verify_secret(user.password_hash if user else _dummy_hash(), password)
    if user is not None and right:
        return user
    throttle.login_failed(username, address)
    # An unknown username is not repeated anywhere: it may be a password typed in the wrong field.
    who = username if user is not None else "(unknown user)"
    log.warning("failed staff sign-in as %r from %s", who, address)
    audit.append(
        session,
        actor=f"address:{address}",
        action="staff.login_failed",
        subject_type="user",
        subject_id=who,
        after={"address": address},
    )
    session.commit()
    raise UnauthorizedError("wrong username or password")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=case_api.TokenOut, responses={429: {"model": ErrorBody}})
def login(
    body: schemas.LoginIn,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    throttle: LoginThrottleDep,
) -> case_api.TokenOut | JSONResponse:
    try:
        user = staff_sign_in(session, throttle, body.username, body.password, client_address(request))
    except TooManyError as err:
        return too_many(err)
    principal = Principal(
        PrincipalKind.STAFF, user.username, frozenset(Role(role) for role in user.roles), user.department
    )
    return _token_out(services, principal, STAFF_TTL)


@router.post("/device-token", response_model=case_api.TokenOut)
def device_token(
    body: schemas.DeviceTokenIn, session: SessionDep, services: ServicesDep
) -> case_api.TokenOut:
    """An enrolled kiosk or controller proves itself with its own secret; its kind is its registration's."""
    device = session.scalar(select(Device).where(Device.device_id == body.device_id))
    if device is None or not device.active or not verify_password(device.secret_hash, body.secret):
        raise UnauthorizedError("unknown device or wrong secret")
    role = enrolment.TOKEN_ROLES.get(device.kind)
    if role is None:
        raise ForbiddenError(f"a {device.kind} speaks only MQTT and gets no case-service token")
    # The key a kiosk MACs its card reads with (devices/idcard/attestation.py), sealed inside the token.
    attest_key = services.cipher.encrypt(
        attestation_key(body.secret, device.device_id).hex(), context=ATTESTATION_CONTEXT
    )
    principal = Principal(
        PrincipalKind.DEVICE, device.device_id, frozenset({role}), sealed_attestation_key=attest_key
    )
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


@router.post("/logout", status_code=204)
def logout(principal: PrincipalDep, session: SessionDep, services: ServicesDep) -> Response:
    """Signs this token out: from now on every request with it answers 401."""
    services.revocations.revoke(session, principal)
    session.commit()
    return Response(status_code=204)


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
