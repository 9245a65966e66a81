"""Applicant sign-in without the ID card: e-ID QR codes and phone + SMS code, in the real case service."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from case_service.api.routes.applicant_signin import (
    dev_eid_issuer,
    dev_sms_messages,
    dev_sms_path,
    issue_eid,
)
from case_service.db import make_engine, make_session_factory
from case_service.domain.errors import UnauthorizedError
from case_service.domain.signin import CODE_ATTEMPTS, CODE_TTL, PHONE_PER_HOUR, TooManyError
from case_service.storage.migrate import upgrade
from case_service.storage.signin import SignInStore
from hall.privacy import PiiCipher, mask_id_number
from tests.case_service.conftest import ID_A, ID_B, CaseApi

pytestmark = pytest.mark.integration

PHONE = "13812345678"  # the phone of CaseApi.file_case's applicant


def _issuer(api: CaseApi) -> Ed25519PrivateKey:
    return dev_eid_issuer(api.settings.secret_key.get_secret_value())


def _eid(api: CaseApi, qr: str, device: dict[str, str] | None = None) -> Any:
    return api.client.post(
        "/api/v1/auth/applicant-token/eid", json={"qr": qr}, headers=device or api.device()
    )


def _last_code(api: CaseApi, phone: str) -> str:
    cipher = PiiCipher.from_config(api.settings.pii_key.get_secret_value())
    messages = dev_sms_messages(dev_sms_path(api.settings.data_dir), cipher)
    message = next(message for message in reversed(messages) if message["phone"] == phone)
    return "".join(ch for ch in message["text"] if ch.isdigit())[:6]


def test_eid_qr_gives_an_applicant_token_that_sees_the_persons_cases(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(name="张三", id_number=ID_A)
    answer = _eid(api, issue_eid(_issuer(api), "张三", ID_A))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == "applicant" and body["applicant"] == {
        "name": "张三",
        "id_number": mask_id_number(ID_A),
    }
    assert body["expires_at"] - time.time() <= 600 + 5  # as short-lived as the card path's token
    mine = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert [c["number"] for c in mine.json()["items"]] == [case["number"]]


def test_eid_forged_expired_replayed_or_malformed_is_refused(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    issuer = _issuer(api)
    forged = _eid(api, issue_eid(Ed25519PrivateKey.generate(), "张三", ID_A))
    assert forged.status_code == 401 and "signature" in forged.json()["error"]["message"]

    # Someone else's number put into a genuine code: the signature no longer covers the payload.
    genuine = issue_eid(issuer, "张三", ID_A)
    prefix, body, signature = genuine.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["id"] = ID_B
    swapped = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert _eid(api, f"{prefix}.{swapped}.{signature}").status_code == 401

    expired = _eid(api, issue_eid(issuer, "张三", ID_A, now=time.time() - 300))
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    too_long = _eid(api, issue_eid(issuer, "张三", ID_A, ttl=86400))
    assert too_long.status_code == 422
    for junk in ("hello", "EID1.!!!.???", "EID1.e30.AAAA"):
        assert _eid(api, junk).status_code in (401, 422), junk

    once = issue_eid(issuer, "张三", ID_A)
    assert _eid(api, once).status_code == 200
    replayed = _eid(api, once)
    assert replayed.status_code == 401 and "used already" in replayed.json()["error"]["message"]


def test_only_a_kiosk_signs_applicants_in(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    qr = issue_eid(_issuer(api), "张三", ID_A)
    assert _eid(api, qr, device=api.device("ctl-01", kind="controller")).status_code == 403
    assert _eid(api, qr, device=api.staff("clerk1")).status_code == 403
    assert api.client.post("/api/v1/auth/applicant-token/eid", json={"qr": qr}).status_code == 401
    asked = api.client.post("/api/v1/auth/sms-code", json={"phone": PHONE}, headers=api.staff("clerk1"))
    assert asked.status_code == 403


def test_phone_and_sms_code_sign_in(sqlite_api: CaseApi, caplog: pytest.LogCaptureFixture) -> None:
    api = sqlite_api
    case = api.file_case(name="张三", id_number=ID_A)
    kiosk = api.device()
    with caplog.at_level(logging.INFO):
        sent = api.client.post("/api/v1/auth/sms-code", json={"phone": PHONE}, headers=kiosk)
        assert sent.status_code == 202, sent.text
        assert sent.json() == {"sent_to": "138****5678", "expires_in": CODE_TTL}
        code = _last_code(api, PHONE)
        assert len(code) == 6
        wrong = "000000" if code != "000000" else "111111"
        refused = api.client.post(
            "/api/v1/auth/applicant-token/phone", json={"phone": PHONE, "code": wrong}, headers=kiosk
        )
        assert refused.status_code == 401 and refused.json()["error"]["details"]["attempts_left"] == 4
        answer = api.client.post(
            "/api/v1/auth/applicant-token/phone", json={"phone": PHONE, "code": code}, headers=kiosk
        )
        assert answer.status_code == 200, answer.text
        again = api.client.post(
            "/api/v1/auth/applicant-token/phone", json={"phone": PHONE, "code": code}, headers=kiosk
        )
        assert again.status_code == 401  # a code signs in once
    body = answer.json()
    assert body["applicant"] == {"name": "张三", "id_number": mask_id_number(ID_A)}
    mine = api.client.get("/api/v1/cases", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert [c["number"] for c in mine.json()["items"]] == [case["number"]]
    assert caplog.records and all(PHONE not in record.getMessage() for record in caplog.records)
    assert any("138****5678" in record.getMessage() for record in caplog.records)


def test_phone_rate_limit_and_unknown_number(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    kiosk = api.device()
    unknown = "13900001111"
    assert api.client.post("/api/v1/auth/sms-code", json={"phone": unknown}, headers=kiosk).status_code == 202
    too_soon = api.client.post("/api/v1/auth/sms-code", json={"phone": unknown}, headers=kiosk)
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) > 0
    code = _last_code(api, unknown)
    nobody = api.client.post(
        "/api/v1/auth/applicant-token/phone", json={"phone": unknown, "code": code}, headers=kiosk
    )
    assert nobody.status_code == 404 and "ID card" in nobody.json()["error"]["message"]
    bad = api.client.post("/api/v1/auth/sms-code", json={"phone": "12345"}, headers=kiosk)
    assert bad.status_code == 422


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SignInStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'signin.db'}")
    upgrade(engine)
    yield SignInStore(b"k" * 32, make_session_factory(engine), clock=FakeClock())
    engine.dispose()


def _stored_rows(codes: SignInStore) -> str:
    with codes.sessions() as session:
        rows = session.execute(text("SELECT * FROM signin_throttles")).all()
        rows += session.execute(text("SELECT * FROM signin_used_eids")).all()
    return repr(rows)


def test_codes_are_hashed_expire_and_allow_limited_attempts(store: SignInStore) -> None:
    codes = store
    clock = codes.clock
    assert isinstance(clock, FakeClock)
    code = codes.new_code(PHONE, "kiosk-01")
    rows = _stored_rows(codes)
    assert "kiosk-01" not in rows and PHONE not in rows and code not in rows  # only keyed hashes stored
    clock.now += CODE_TTL + 1
    with pytest.raises(UnauthorizedError, match="no valid code"):
        codes.check(PHONE, code)

    clock.now += 61
    code = codes.new_code(PHONE, "kiosk-01")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(CODE_ATTEMPTS - 1):
        with pytest.raises(UnauthorizedError, match="wrong code"):
            codes.check(PHONE, wrong)
    with pytest.raises(TooManyError):
        codes.check(PHONE, wrong)
    with pytest.raises(UnauthorizedError, match="no valid code"):
        codes.check(PHONE, code)  # used up: the right code no longer works either

    for _ in range(PHONE_PER_HOUR - 2):
        clock.now += 61
        codes.new_code(PHONE, "kiosk-01")
    clock.now += 61
    with pytest.raises(TooManyError) as limited:
        codes.new_code(PHONE, "kiosk-01")
    assert limited.value.retry_after > 60  # an hour's window, not the minute
    clock.now += 3600
    assert len(codes.new_code(PHONE, "kiosk-01")) == 6


def test_kiosk_limit_purge_and_eid_once(store: SignInStore) -> None:
    codes = store
    clock = codes.clock
    assert isinstance(clock, FakeClock)
    for index in range(60):  # sixty numbers an hour from one kiosk, then no more
        codes.new_code(f"139{index:08d}", "kiosk-02")
    with pytest.raises(TooManyError):
        codes.new_code("13700000000", "kiosk-02")
    assert len(codes.new_code("13700000000", "kiosk-03")) == 6  # the limit is per kiosk
    clock.now += 3601
    codes.new_code("13700000001", "kiosk-02")  # the hour passed; the stale rows are purged on the way
    with codes.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM signin_throttles")).scalar_one() == 2

    assert codes.first_use_of_eid("nonce-1", clock.now + 60)
    assert not codes.first_use_of_eid("nonce-1", clock.now + 60)
    assert "nonce-1" not in _stored_rows(codes)
    clock.now += 61
    assert codes.first_use_of_eid("nonce-2", clock.now + 60)  # expired nonces are forgotten
    with codes.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM signin_used_eids")).scalar_one() == 1
