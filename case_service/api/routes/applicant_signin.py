"""Applicant sign-in at a kiosk without the ID card: the e-ID QR code, or phone number + SMS code.

Both need the kiosk's device token and give the same short-lived applicant token as the card path
(`/auth/applicant-token`), plus the identity the kiosk needs for tickets and lockers.

- e-ID: the QR carries `EID1.<payload>.<signature>` (base64url), the payload JSON
  `{"nm", "id", "iat", "exp", "jti", "iss"}` signed with Ed25519 by the e-ID issuer. Forged, expired,
  replayed or malformed codes are refused with a clear 4xx. The issuer's public key: in development a key
  derived from `HALL_SECRET_KEY` (`dev_eid_issuer`, used by the simulators and the tests); production has
  no e-ID issuer configured yet and answers 503.
- Phone: `POST /auth/sms-code` sends a 6-digit code through an `SmsSender` (development: a sink that
  records every message under `HALL_DATA_DIR/sms/`; production has no SMS gateway yet and answers 503).
  Rate-limited per number and per kiosk; only keyed hashes of the number and the code are kept, codes
  expire after 5 minutes and allow 5 attempts. The person is the applicant of the newest case filed with
  that number. Phone numbers appear masked in every log line.

The codes, the send limits and the used e-ID codes live in the database (case_service/storage/signin.py,
rules in case_service/domain/signin.py), so any of several case-service processes serves any step.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep
from case_service.api.routes.auth import applicant_principal
from case_service.auth.tokens import APPLICANT_TTL, Principal, PrincipalKind
from case_service.cases.service import ID_CONTEXT, PHONE_CONTEXT
from case_service.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
)
from case_service.domain.identity import normalise_id_number
from case_service.domain.signin import CODE_TTL, TooManyError
from case_service.domain.states import Role
from case_service.runtime import Services
from case_service.storage.models import Case
from case_service.storage.signin import SignInStore
from hall import case_api
from hall.http_errors import error_response
from hall.privacy import DecryptionError, mask_phone
from hall.settings import Mode

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])

EID_PREFIX = "EID1"
EID_MAX_LIFETIME = 600  # an e-ID code lives minutes, not hours
CLOCK_SKEW = 60
PHONE_PATTERN = r"^1[3-9]\d{9}$"


# e-ID QR codes -----------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def dev_eid_issuer(secret_key: str) -> Ed25519PrivateKey:
    """The development e-ID issuer: a key derived from the hall's secret key (never used in production)."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"dev-eid-issuer:" + secret_key.encode()).digest()
    )


def issue_eid(
    key: Ed25519PrivateKey, name: str, id_number: str, *, ttl: int = 120, now: float | None = None
) -> str:
    """An e-ID QR text as the issuer's app shows it (for simulators and tests)."""
    issued = int(time.time() if now is None else now)
    payload = {"nm": name, "id": id_number, "iat": issued, "exp": issued + ttl}
    payload |= {"jti": secrets.token_hex(8), "iss": "dev-eid"}
    body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    signed = f"{EID_PREFIX}.{body}"
    return f"{signed}.{_b64(key.sign(signed.encode()))}"


@dataclass(frozen=True)
class EidIdentity:
    name: str
    id_number: str = field(repr=False)
    expires: int
    nonce: str


def read_eid(text: str, issuers: tuple[Ed25519PublicKey, ...], now: float) -> EidIdentity:
    """Pure: the identity in a QR text, or UnauthorizedError (forged, expired) / InvalidInputError."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != EID_PREFIX:
        raise InvalidInputError("this QR code is not an e-ID code")
    try:
        signature = _unb64(parts[2])
    except (ValueError, binascii.Error) as err:
        raise InvalidInputError("the e-ID code is damaged") from err
    signed = f"{parts[0]}.{parts[1]}".encode()
    if not any(_verifies(key, signature, signed) for key in issuers):
        raise UnauthorizedError("the e-ID code's signature does not verify")
    try:  # only what the issuer signed is parsed
        payload = json.loads(_unb64(parts[1]))
        name, id_number = str(payload["nm"]).strip(), normalise_id_number(str(payload["id"]))
        issued, expires, nonce = int(payload["iat"]), int(payload["exp"]), str(payload["jti"])
    except (KeyError, TypeError, ValueError, binascii.Error, RecursionError) as err:
        raise InvalidInputError("the e-ID code lacks the holder's name, number or validity") from err
    if not name or not nonce or expires - issued > EID_MAX_LIFETIME or issued > now + CLOCK_SKEW:
        raise InvalidInputError("the e-ID code's validity is not plausible")
    if expires < now:
        raise UnauthorizedError("the e-ID code has expired: refresh it in the app and show it again")
    return EidIdentity(name, id_number, expires, nonce)


def _verifies(key: Ed25519PublicKey, signature: bytes, signed: bytes) -> bool:
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        return False
    return True


# The SMS port ------------------------------------------------------------------------------------------


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class DevSmsSink:
    """Development: every message appended to a JSON-lines file the tests and the demo read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        line = json.dumps({"at": time.time(), "phone": phone, "text": text}, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as sink:
                sink.write(line + "\n")
        log.info("development SMS to %s recorded in %s", mask_phone(phone), self.path)


def dev_sms_path(data_dir: Path) -> Path:
    return data_dir / "sms" / "dev-sink.jsonl"


@dataclass
class SignIn:
    codes: SignInStore
    sms: SmsSender | None
    issuers: tuple[Ed25519PublicKey, ...]


_SETUP_LOCK = threading.Lock()


def get_signin(request: Request, services: ServicesDep) -> SignIn:
    """Built once per app; an app (or a test) may put its own `SignIn` on `app.state.applicant_signin`."""
    state = request.app.state
    with _SETUP_LOCK:
        existing: SignIn | None = getattr(state, "applicant_signin", None)
        if existing is None:
            settings = services.settings
            secret = settings.secret_key.get_secret_value()
            key = hashlib.sha256(b"applicant-signin:" + secret.encode()).digest()
            development = settings.mode is not Mode.PRODUCTION
            existing = SignIn(
                SignInStore(key, services.sessions),
                DevSmsSink(dev_sms_path(settings.data_dir)) if development else None,
                (dev_eid_issuer(secret).public_key(),) if development else (),
            )
            state.applicant_signin = existing
    return existing


SignInDep = Annotated[SignIn, Depends(get_signin)]


# Routes -----------------------------------------------------------------------------------------------


class EidIn(BaseModel):
    qr: str = Field(min_length=1, max_length=2000, description="the text of the e-ID QR code")


class SmsCodeIn(BaseModel):
    phone: str = Field(pattern=PHONE_PATTERN, examples=["13812345678"])


class PhoneSignInIn(SmsCodeIn):
    code: str = Field(pattern=r"^\d{6}$")


class SignedInApplicant(BaseModel):
    name: str
    id_number: str = Field(description="for the kiosk's queue tickets and lockers; never shown in full")


class ApplicantSignInOut(case_api.TokenOut):
    applicant: SignedInApplicant


class SmsCodeOut(BaseModel):
    sent_to: str = Field(description="masked", examples=["138****5678"])
    expires_in: int


def _kiosk(principal: Principal) -> Principal:
    if principal.kind is not PrincipalKind.DEVICE or Role.KIOSK not in principal.roles:
        raise ForbiddenError("only a kiosk's device token can sign an applicant in")
    return principal


def _too_many(err: TooManyError) -> JSONResponse:
    """429 in the API's one error shape, with Retry-After (the app's HTTPException handler drops headers)."""
    answer = error_response(429, "too_many_requests", str(err), {"retry_after": err.retry_after})
    answer.headers["Retry-After"] = str(err.retry_after)
    return answer


def _applicant_token(services: Services, device: Principal, name: str, id_number: str) -> ApplicantSignInOut:
    """The same token as the card path (`/auth/applicant-token`)."""
    principal = applicant_principal(services, device, name, id_number)
    token, expires = services.signer.issue(principal, APPLICANT_TTL)
    return ApplicantSignInOut(
        access_token=token,
        expires_at=expires,
        kind=principal.kind.value,
        roles=[Role.APPLICANT.value],
        applicant=SignedInApplicant(name=name, id_number=id_number),
    )


@router.post("/applicant-token/eid", response_model=ApplicantSignInOut)
def sign_in_by_eid(
    body: EidIn, principal: PrincipalDep, services: ServicesDep, signin: SignInDep
) -> ApplicantSignInOut:
    device = _kiosk(principal)
    if not signin.issuers:
        raise HTTPException(503, "e-ID sign-in is not configured on this server")
    now = time.time()
    identity = read_eid(body.qr, signin.issuers, now)
    if not signin.codes.first_use_of_eid(identity.nonce, identity.expires):
        raise UnauthorizedError("this e-ID code was used already: refresh it in the app")
    log.info("applicant signed in by e-ID at %s", device.subject)
    return _applicant_token(services, device, identity.name, identity.id_number)


@router.post("/sms-code", status_code=202, response_model=SmsCodeOut)
async def send_sms_code(
    body: SmsCodeIn, principal: PrincipalDep, signin: SignInDep
) -> SmsCodeOut | JSONResponse:
    device = _kiosk(principal)
    if signin.sms is None:
        raise HTTPException(503, "sign-in by phone is not configured on this server (no SMS gateway)")
    try:
        code = await run_in_threadpool(signin.codes.new_code, body.phone, device.subject)
    except TooManyError as err:
        log.info("code for %s refused at %s: %s", mask_phone(body.phone), device.subject, err)
        return _too_many(err)
    text = f"【政务服务大厅】您的登录验证码为 {code}，5 分钟内有效。如非本人操作，请忽略。"
    await run_in_threadpool(signin.sms.send, body.phone, text)
    log.info("sign-in code sent to %s for %s", mask_phone(body.phone), device.subject)
    return SmsCodeOut(sent_to=mask_phone(body.phone), expires_in=CODE_TTL)


@router.post("/applicant-token/phone", response_model=ApplicantSignInOut)
def sign_in_by_phone(
    body: PhoneSignInIn,
    principal: PrincipalDep,
    services: ServicesDep,
    session: SessionDep,
    signin: SignInDep,
) -> ApplicantSignInOut | JSONResponse:
    device = _kiosk(principal)
    try:
        signin.codes.check(body.phone, body.code)
    except TooManyError as err:
        return _too_many(err)
    found = _person_with_phone(services, session, body.phone)
    if found is None:
        log.info("code right but no case filed with %s", mask_phone(body.phone))
        raise NotFoundError("no application was made with this phone number: sign in with the ID card")
    log.info("applicant signed in by phone %s at %s", mask_phone(body.phone), device.subject)
    return _applicant_token(services, device, *found)


def _person_with_phone(services: Services, session: Session, phone: str) -> tuple[str, str] | None:
    """The applicant of the newest case filed with this number (numbers are stored only encrypted)."""
    rows = session.execute(
        select(Case.applicant_phone_enc, Case.applicant_name, Case.applicant_id_enc)
        .where(Case.applicant_phone_enc.is_not(None))
        .order_by(Case.submitted_at.desc())
        .execution_options(yield_per=500)
    )
    cipher = services.cipher
    for phone_enc, name, id_enc in rows:
        try:
            if phone_enc and cipher.decrypt(phone_enc, context=PHONE_CONTEXT) == phone:
                return str(name), cipher.decrypt(id_enc, context=ID_CONTEXT)
        except DecryptionError:
            continue
    return None
