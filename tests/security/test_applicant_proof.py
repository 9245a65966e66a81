"""Issue 15: a kiosk token minted an applicant token from an ID number alone (the name not even checked).

An applicant token now needs proof of the person: the kiosk's attested read of the card on its reader
(bound to a fresh nonce of the service and MACed with the kiosk's own credential), the e-ID QR, or the
SMS code. Sign-ins are counted per kiosk; a burst is refused and raises an alarm (log + audit).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from case_service.auth.tokens import Principal, PrincipalKind
from case_service.domain.signin import SIGNINS_PER_MINUTE
from case_service.domain.states import Role
from case_service.storage.models import AuditEntry
from devices.idcard.attestation import attest
from firmware_sim.idcard.cards import card_read_of
from tests.case_service.conftest import ID_A, ID_B, CaseApi, sqlite_api  # noqa: F401
from tests.fixtures.applicant import attested_read, device_headers

SIGN_IN = "/api/v1/auth/applicant-token"


def _secret(api: CaseApi, device_id: str = "kiosk-01") -> str:
    """The kiosk's own secret from its enrolment."""
    return api.device_secret(device_id)


def test_an_id_number_typed_is_not_proof(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    api.file_case(name="张三", id_number=ID_A)
    kiosk = api.device()
    for body in (
        {"name": "张三", "id_number": ID_A, "valid_until": "2035-01-01"},
        {"name": "随便", "id_number": ID_A},  # the name was never checked
    ):
        answer = api.client.post(SIGN_IN, json=body, headers=kiosk)
        assert answer.status_code == 422, answer.text
        assert "access_token" not in answer.text


def test_an_attested_read_signs_in_once_and_a_replay_is_refused(sqlite_api: CaseApi) -> None:  # noqa: F811
    api = sqlite_api
    case = api.file_case(name="张三", id_number=ID_A)
    kiosk = api.device()
    read = attested_read(
        api.client, kiosk, device_id="kiosk-01", secret=_secret(api), name="张三", id_number=ID_A
    )
    first = api.client.post(SIGN_IN, json=read, headers=kiosk)
    assert first.status_code == 200, first.text
    assert first.json()["applicant"]["id_number"] == f"{ID_A[:3]}{'*' * 11}{ID_A[-4:]}"
    token = {"Authorization": f"Bearer {first.json()['access_token']}"}
    mine = api.client.get("/api/v1/cases", headers=token).json()
    assert [row["number"] for row in mine["items"]] == [case["number"]]
    replay = api.client.post(SIGN_IN, json=read, headers=api.device())
    assert replay.status_code == 401, replay.text


def test_a_read_without_the_kiosks_credential_or_nonce_is_refused(sqlite_api: CaseApi) -> None:  # noqa: F811
    api, client = sqlite_api, sqlite_api.client
    kiosk = api.device()
    nonce = client.post("/api/v1/auth/card-challenge", headers=kiosk).json()["nonce"]
    read = card_read_of("李四", ID_B)
    # A stolen device token alone: the MAC needs the kiosk's credential.
    forged = attest(read, device_id="kiosk-01", device_secret="guessed", nonce=nonce)
    assert client.post(SIGN_IN, json=forged, headers=kiosk).status_code == 401
    # A nonce the service never gave, or gave another kiosk.
    other = device_headers(client, "kiosk-02", _secret(api, "kiosk-02"))
    foreign = client.post("/api/v1/auth/card-challenge", headers=other).json()["nonce"]
    for bad in (foreign, nonce[:-4] + "AAAA", "made.up.nonce"):
        body = attest(read, device_id="kiosk-01", device_secret=_secret(api), nonce=bad)
        assert client.post(SIGN_IN, json=body, headers=kiosk).status_code == 401, bad
    # The read is bound: changing the chip's text after the MAC breaks it.
    body = attest(read, device_id="kiosk-01", device_secret=_secret(api), nonce=nonce)
    tampered = attest(
        card_read_of("张三", ID_A), device_id="kiosk-01", device_secret=_secret(api), nonce=nonce
    )
    body["text_block"] = tampered["text_block"]
    assert client.post(SIGN_IN, json=body, headers=kiosk).status_code == 401
    # A kiosk token without the sealed attestation key (one issued before attestation) cannot attest.
    services = client.app.state.services  # type: ignore[attr-defined]
    bare, _ = services.signer.issue(Principal(PrincipalKind.DEVICE, "kiosk-01", frozenset({Role.KIOSK})), 600)
    body = attest(read, device_id="kiosk-01", device_secret=_secret(api), nonce=nonce)
    assert client.post(SIGN_IN, json=body, headers={"Authorization": f"Bearer {bare}"}).status_code == 401
    # Only a kiosk asks for challenges.
    assert client.post("/api/v1/auth/card-challenge", headers=api.staff("clerk1")).status_code == 403
    assert client.post("/api/v1/auth/card-challenge").status_code == 401


def test_a_burst_at_one_kiosk_is_refused_and_alarmed(
    sqlite_api: CaseApi,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, client = sqlite_api, sqlite_api.client
    kiosk = api.device("kiosk-07")
    answers = []
    for _ in range(SIGNINS_PER_MINUTE + 1):
        body = attested_read(
            client, kiosk, device_id="kiosk-07", secret=_secret(api, "kiosk-07"), name="张三", id_number=ID_A
        )
        with caplog.at_level(logging.WARNING):
            answers.append(client.post(SIGN_IN, json=body, headers=kiosk))
    assert [a.status_code for a in answers] == [200] * SIGNINS_PER_MINUTE + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert any(
        "ALARM" in record.getMessage() and "kiosk-07" in record.getMessage() for record in caplog.records
    )
    with api.client.app.state.services.sessions() as session:  # type: ignore[attr-defined]
        alarms = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "applicant_signin_burst")
        ).all()
    assert [entry.subject_id for entry in alarms] == ["kiosk-07"]
    # Another kiosk is not held up by this one's burst.
    other = device_headers(client, "kiosk-08", _secret(api, "kiosk-08"))
    body = attested_read(
        client, other, device_id="kiosk-08", secret=_secret(api, "kiosk-08"), name="张三", id_number=ID_A
    )
    assert client.post(SIGN_IN, json=body, headers=other).status_code == 200
