"""Applicant sign-in at a kiosk: the ID card's attested read, the e-ID QR code, or phone number + SMS code.

All need the kiosk's device token and give the same short-lived applicant token, plus the applicant's
name and masked ID number. Each is proof of the person; an ID number typed or replayed is not.

- Card: `POST /auth/card-challenge` gives the kiosk a nonce (valid 2 minutes, accepted once); the kiosk
  sends the reader's record of the card (the GA/T 490 text block and the photo's digest) bound to that
  nonce and MACed with its attestation key, derived from its own device credential
  (devices/idcard/attestation.py). The service reads the person from the text block and checks the
  card's validity itself. A bare device token without the credential cannot make a MAC.
- Every sign-in counts against the kiosk (`rules.record_signin`): a burst is refused with 429 and
  raises an alarm (a warning in the log and an audit entry).

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
import os
import re
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

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep
from case_service.api.errors import too_many
from case_service.api.routes.auth import ATTESTATION_CONTEXT, applicant_principal
from case_service.auth.tokens import APPLICANT_TTL, Principal, PrincipalKind
from case_service.cases.service import ID_CONTEXT, PHONE_CONTEXT
from case_service.domain import signin as rules
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
from case_service.storage import audit
from case_service.storage.models import Case
from case_service.storage.signin import SignInStore
from devices.idcard.attestation import mac_matches
from devices.idcard.errors import IdCardError
from devices.idcard.gat490 import decode_text_block
from devices.idcard.identity import verify
from hall import case_api
from hall.privacy import DecryptionError, PiiCipher, mask_id_number, mask_phone
from hall.settings import Mode

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])

EID_PREFIX = "EID1"
EID_MAX_LIFETIME = 600  # an e-ID code lives minutes, not hours
CLOCK_SKEW = 60
PHONE_PATTERN = r"^1[3-9]\d{9}$"
SMS_CONTEXT = "dev-sms"


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
    """Development: every message appended to a JSON-lines file (0600) the tests and the demo read. The
    number and the code appear masked; the whole message only sealed with the PII key
    (`dev_sms_messages` opens it)."""

    def __init__(self, path: Path, cipher: PiiCipher) -> None:
        self.path = path
        self.cipher = cipher
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        sealed = self.cipher.encrypt(json.dumps({"phone": phone, "text": text}), context=SMS_CONTEXT)
        masked = re.sub(r"\d{4,}", lambda found: "*" * len(found.group(0)), text)
        entry = {"at": time.time(), "phone": mask_phone(phone), "text": masked, "sealed": sealed}
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as sink:
                sink.write(line + "\n")
        log.info("development SMS to %s recorded in %s", mask_phone(phone), self.path)


def dev_sms_messages(path: Path, cipher: PiiCipher) -> list[dict[str, str]]:
    """The development sink's messages in full ({"phone", "text"}), for whoever holds the PII key."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(cipher.decrypt(json.loads(line)["sealed"], context=SMS_CONTEXT)) for line in lines]


def dev_sms_path(data_dir: Path) -> Path:
    return data_dir / "sms" / "dev-sink.jsonl"


@dataclass
class SignIn:
    codes: SignInStore
    sms: SmsSender | None
    issuers: tuple[Ed25519PublicKey, ...]
    challenge_key: bytes = b""


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
                DevSmsSink(dev_sms_path(settings.data_dir), services.cipher) if development else None,
                (dev_eid_issuer(secret).public_key(),) if development else (),
                hashlib.sha256(b"card-challenge:" + secret.encode()).digest(),
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
    id_number: str = Field(description="masked", examples=["110105********002X"])


class ApplicantSignInOut(case_api.TokenOut):
    applicant: SignedInApplicant


class SmsCodeOut(BaseModel):
    sent_to: str = Field(description="masked", examples=["138****5678"])
    expires_in: int


def _kiosk(principal: Principal) -> Principal:
    if principal.kind is not PrincipalKind.DEVICE or Role.KIOSK not in principal.roles:
        raise ForbiddenError("only a kiosk's device token can sign an applicant in")
    return principal


def _applicant_token(
    services: Services, signin: SignIn, device: Principal, name: str, id_number: str
) -> ApplicantSignInOut:
    """The applicant token, after counting the sign-in against the kiosk (TooManyError on a burst)."""
    try:
        signin.codes.record_signin(device.subject)
    except TooManyError:
        _alarm(services, device)
        raise
    principal = applicant_principal(services, device, name, id_number)
    token, expires = services.signer.issue(principal, APPLICANT_TTL)
    return ApplicantSignInOut(
        access_token=token,
        expires_at=expires,
        kind=principal.kind.value,
        roles=[Role.APPLICANT.value],
        applicant=SignedInApplicant(name=name, id_number=mask_id_number(id_number)),
    )


def _alarm(services: Services, device: Principal) -> None:
    log.warning("ALARM: a burst of applicant sign-ins at kiosk %s was refused", device.subject)
    with services.sessions() as session:
        audit.append(
            session,
            actor=device.actor,
            action="applicant_signin_burst",
            subject_type="device",
            subject_id=device.subject,
            after={"per_minute": rules.SIGNINS_PER_MINUTE, "per_hour": rules.SIGNINS_PER_HOUR},
        )
        session.commit()


class CardChallengeOut(BaseModel):
    nonce: str
    expires_in: int


@router.post("/card-challenge", response_model=CardChallengeOut)
def card_challenge(principal: PrincipalDep, signin: SignInDep) -> CardChallengeOut:
    """A fresh nonce for the kiosk's next attested card read."""
    device = _kiosk(principal)
    nonce = rules.new_challenge(signin.challenge_key, device.subject, time.time())
    return CardChallengeOut(nonce=nonce, expires_in=rules.CHALLENGE_TTL)


def _attestation_key(services: Services, device: Principal) -> bytes:
    """The kiosk's attestation key, sealed in its device token when it signed in with its credential."""
    try:
        sealed = device.sealed_attestation_key or ""
        return bytes.fromhex(services.cipher.decrypt(sealed, context=ATTESTATION_CONTEXT))
    except (DecryptionError, ValueError) as err:
        raise UnauthorizedError(
            "this device token cannot attest card reads: sign the device in again"
        ) from err


@router.post("/applicant-token", response_model=ApplicantSignInOut)
def sign_in_by_card(
    body: schemas.ApplicantTokenIn, principal: PrincipalDep, services: ServicesDep, signin: SignInDep
) -> ApplicantSignInOut | JSONResponse:
    """The card on the kiosk's reader, as the kiosk attests it. The token sees this person's cases and no
    one else's, for 10 minutes."""
    device = _kiosk(principal)
    expires = rules.challenge_expiry(signin.challenge_key, device.subject, body.nonce, time.time())
    key = _attestation_key(services, device)
    if not mac_matches(key, device.subject, body.model_dump()):
        log.warning("a card read from %s whose attestation does not verify was refused", device.subject)
        raise UnauthorizedError("the card read's attestation does not verify")
    if not signin.codes.first_use("card", body.nonce, expires):
        log.warning("a replayed card read from %s was refused", device.subject)
        raise UnauthorizedError("this card read was used already: read the card again")
    try:
        card = verify(decode_text_block(base64.b64decode(body.text_block, validate=True)), services.today())
    except (binascii.Error, ValueError) as err:
        raise InvalidInputError("the card's text block is not base64") from err
    except IdCardError as err:
        raise InvalidInputError(f"the ID card cannot sign in: {err}") from err
    try:
        answer = _applicant_token(services, signin, device, card.name, card.id_number)
    except TooManyError as err:
        return too_many(err)
    log.info("applicant signed in by ID card at %s", device.subject)
    return answer


@router.post("/applicant-token/eid", response_model=ApplicantSignInOut)
def sign_in_by_eid(
    body: EidIn, principal: PrincipalDep, services: ServicesDep, signin: SignInDep
) -> ApplicantSignInOut | JSONResponse:
    device = _kiosk(principal)
    if not signin.issuers:
        raise HTTPException(503, "e-ID sign-in is not configured on this server")
    now = time.time()
    identity = read_eid(body.qr, signin.issuers, now)
    if not signin.codes.first_use_of_eid(identity.nonce, identity.expires):
        raise UnauthorizedError("this e-ID code was used already: refresh it in the app")
    try:
        answer = _applicant_token(services, signin, device, identity.name, identity.id_number)
    except TooManyError as err:
        return too_many(err)
    log.info("applicant signed in by e-ID at %s", device.subject)
    return answer


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
        return too_many(err)
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
        return too_many(err)
    found = _person_with_phone(services, session, body.phone)
    if found is None:
        log.info("code right but no case filed with %s", mask_phone(body.phone))
        raise NotFoundError("no application was made with this phone number: sign in with the ID card")
    try:
        answer = _applicant_token(services, signin, device, *found)
    except TooManyError as err:
        return too_many(err)
    log.info("applicant signed in by phone %s at %s", mask_phone(body.phone), device.subject)
    return answer


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
