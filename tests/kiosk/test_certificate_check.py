"""证照核验 against a real case service (`hall case-service`): a certificate made and sealed by staff,
checked by the kiosk's adapter online (valid, forged, damaged, unknown key, superseded, revoked), and by
the kiosk offline with the public keys it cached while the service was up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from case_service.domain.identity import make_id_number
from firmware_sim.idcard.cards import card_read_of
from hall.calendar import china_today
from hall.signing import (
    CertificateClaims,
    Ed25519Signer,
    sign_claims,
    token_from_scan,
    verifiers_from_published,
    verify_token,
)
from kiosk.adapters.http_case import HttpCaseService
from kiosk.certificate_check import check_offline, trusted_keys
from kiosk.flow import events as ev
from kiosk.flow.model import IdCard, Language, Service, VerifyReason
from kiosk.flow.state import Screen
from tests.hall_controller.harness import wait_until
from tests.kiosk.conftest import kiosk_secret
from tests.kiosk.harness import Harness
from tests.kiosk.staff import Staff, sealed_certificate
from tests.kiosk.test_http_case import Switch

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def made(case_url: str) -> Iterator[tuple[HttpCaseService, Staff, dict[str, Any]]]:
    service = HttpCaseService(
        case_url, device_id="kiosk-verify", secret=kiosk_secret(case_url, "kiosk-verify")
    )
    staff = Staff(case_url)
    card = IdCard(
        name="周晓明",
        id_number=make_id_number("11010519880808001"),
        read=card_read_of("周晓明", make_id_number("11010519880808001")),
    )
    try:
        yield service, staff, sealed_certificate(service, staff, card)
    finally:
        service.close()
        staff.close()


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_online_valid_with_the_name_masked_and_the_record_details(
    made: tuple[HttpCaseService, Staff, dict[str, Any]],
) -> None:
    service, _staff, certificate = made
    verdict = service.verify_certificate(certificate["qr_text"])
    assert verdict.reason is VerifyReason.VALID and not verdict.offline
    assert verdict.holder_masked == "周*明" and "晓" not in repr(verdict)
    assert verdict.number == certificate["number"]
    assert verdict.certificate_name == certificate["certificate_name"]
    assert verdict.authority == certificate["authority"] and verdict.authority
    assert verdict.valid_until == "2031-12-31" and verdict.valid_from
    bare = token_from_scan(certificate["qr_text"])  # the bare token verifies as the URL does
    assert service.verify_certificate(bare).reason is VerifyReason.VALID


def test_online_rejections_in_the_kiosks_words(made: tuple[HttpCaseService, Staff, dict[str, Any]]) -> None:
    service, _staff, certificate = made
    token = token_from_scan(certificate["qr_text"])
    version, body, signature = token.split(".")
    forged = f"{version}.{body}.{_flip(signature, len(signature) // 2)}"
    assert service.verify_certificate(forged).reason is VerifyReason.FORGED
    for junk in ("hello", "C1.!!!.x", "https://example.com/verify?x=1", ""):
        assert service.verify_certificate(junk).reason is VerifyReason.DAMAGED, junk
    claims = verify_token(token, trusted_keys(service.certificate_keys()))
    stranger = Ed25519Signer.generate()
    foreign = sign_claims(
        CertificateClaims(
            stranger.key_id, claims.number, claims.holder, claims.item, claims.issued_on, claims.valid_until
        ),
        stranger,
    )
    assert service.verify_certificate(foreign).reason is VerifyReason.UNKNOWN_KEY


def test_superseded_then_revoked(case_url: str) -> None:
    service = HttpCaseService(
        case_url, device_id="kiosk-verify-2", secret=kiosk_secret(case_url, "kiosk-verify-2")
    )
    staff = Staff(case_url)
    try:
        card = IdCard(
            name="吴桂芳",
            id_number=make_id_number("11010519700303002"),
            read=card_read_of("吴桂芳", make_id_number("11010519700303002")),
        )
        old = sealed_certificate(service, staff, card)
        reissue = {"scope": "核验测试范围（更正）", "valid_until": "2031-12-31", "reason": "范围更正"}
        new = staff.call("POST", f"/certificates/{old['number']}/reissue", "approver1", json=reissue)
        superseded = service.verify_certificate(old["qr_text"])
        assert superseded.reason is VerifyReason.SUPERSEDED
        assert superseded.superseded_by == new["number"] and superseded.holder_masked == "吴*芳"
        assert service.verify_certificate(new["qr_text"]).reason is VerifyReason.VALID
        staff.call("POST", f"/certificates/{new['number']}/revoke", "approver1", json={"reason": "测试吊销"})
        revoked = service.verify_certificate(new["qr_text"])
        assert revoked.reason is VerifyReason.REVOKED and revoked.number == new["number"]
    finally:
        service.close()
        staff.close()


def test_offline_check_with_published_keys(made: tuple[HttpCaseService, Staff, dict[str, Any]]) -> None:
    service, _staff, certificate = made
    keys = trusted_keys(service.certificate_keys())
    today = china_today()  # certificates are dated in China
    verdict = check_offline(certificate["qr_text"], keys, today)
    assert verdict.reason is VerifyReason.VALID and verdict.offline
    assert verdict.holder_masked == "周*明" and verdict.number == certificate["number"]
    assert verdict.authority == ""  # not in the QR: only the service knows
    later = check_offline(certificate["qr_text"], keys, date(2032, 1, 1))
    assert later.reason is VerifyReason.EXPIRED
    token = token_from_scan(certificate["qr_text"])
    forged = _flip(token, len(token) - 20)
    assert check_offline(forged, keys, today).reason is VerifyReason.FORGED
    assert check_offline("hello", keys, today).reason is VerifyReason.DAMAGED
    assert check_offline(token, {}, today).reason is VerifyReason.UNKNOWN_KEY
    assert today - timedelta(days=1) <= date.fromisoformat(verdict.valid_from) <= today


def test_the_kiosk_falls_back_offline_with_the_keys_it_cached(
    made: tuple[HttpCaseService, Staff, dict[str, Any]], tmp_path: Path
) -> None:
    service, _staff, certificate = made
    switch = Switch(service)
    kiosk = Harness(tmp_path, case_service=switch)  # caches the keys at start, while the service is up
    try:
        kiosk.settle()
        kiosk.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.ServiceChosen(Service.VERIFY))
        assert kiosk.state.screen is Screen.VERIFY
        kiosk.sims.scanner.show(certificate["qr_text"])
        session = kiosk.poll().session
        assert session is not None and session.verification is not None
        assert session.verification.reason is VerifyReason.VALID and not session.verification.offline
        assert session.verification.authority == certificate["authority"]

        switch.on = False
        kiosk.sims.scanner.show(certificate["qr_text"])
        state = kiosk.poll()
        assert state.session is not None and state.session.verification is not None
        assert state.session.verification.offline and state.session.verification.reason is VerifyReason.VALID
        assert state.session.notice is not None and state.session.notice.key == "verify_offline"
        assert not state.service_online

        left = kiosk.send(ev.Back())
        assert left.screen is Screen.IDENTIFY and left.session is not None
        assert left.session.verification is None
    finally:
        kiosk.close()


def test_offline_with_no_keys_cached_says_it_cannot_check(case_url: str, tmp_path: Path) -> None:
    service = HttpCaseService(
        case_url, device_id="kiosk-verify-3", secret=kiosk_secret(case_url, "kiosk-verify-3")
    )
    switch = Switch(service)
    switch.on = False  # away from the start: nothing cached
    kiosk = Harness(tmp_path, case_service=switch)
    try:
        kiosk.settle()
        kiosk.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.ServiceChosen(Service.VERIFY))
        kiosk.sims.scanner.show("C1.anything.x")
        state = kiosk.poll()
        assert state.session is not None and state.session.verification is None
        assert state.session.notice is not None and state.session.notice.key == "verify_unavailable"
    finally:
        kiosk.close()
        service.close()


def test_keys_kept_on_disk_serve_a_kiosk_restarted_during_an_outage(
    made: tuple[HttpCaseService, Staff, dict[str, Any]], tmp_path: Path
) -> None:
    service, _staff, certificate = made
    keys_file = tmp_path / "certificate-keys.json"
    switch = Switch(service)
    first = Harness(tmp_path / "first", case_service=switch, keys_file=keys_file)
    try:
        first.settle()
        # The keys are fetched in the background as the kiosk starts (warm_catalogue), not as an effect.
        assert wait_until(keys_file.exists, 20)
    finally:
        first.close()
    switch.on = False  # the service goes away, the kiosk restarts
    again = Harness(tmp_path / "again", case_service=switch, keys_file=keys_file)
    try:
        again.settle()
        again.send(ev.Touched(), ev.LanguageChosen(Language.EN), ev.ServiceChosen(Service.VERIFY))
        again.sims.scanner.show(certificate["qr_text"])
        state = again.poll()
        verdict = state.session.verification if state.session else None
        assert verdict is not None and verdict.offline and verdict.reason is VerifyReason.VALID
        assert verdict.number == certificate["number"]
    finally:
        again.close()
    # The file is sealed: a key list written into it by anyone but the kiosk is refused, not trusted —
    # here an attacker's own valid key, with a certificate signed by it.
    sealed = keys_file.read_text(encoding="ascii")
    assert "PUBLIC KEY" not in sealed and "Ed25519" not in sealed
    attacker = Ed25519Signer.generate()
    forged_keys = {
        "keys": [{"key_id": attacker.key_id, "algorithm": "Ed25519", "pem": attacker.public.pem().decode()}]
    }
    assert verifiers_from_published(forged_keys)  # a key list the kiosk would have taken, unsealed
    forged = sign_claims(
        CertificateClaims(attacker.key_id, "FORGED-1", "李四", "食品经营许可证", date(2026, 1, 5), None),
        attacker,
    )
    for damage in ("not json", json.dumps(forged_keys), sealed[:-4] + "AAAA"):
        keys_file.write_text(damage, encoding="utf-8")
        damaged = Harness(tmp_path / "damaged", case_service=switch, keys_file=keys_file)
        try:
            damaged.settle()
            damaged.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.ServiceChosen(Service.VERIFY))
            damaged.sims.scanner.show(forged)
            state = damaged.poll()
            assert state.session is not None and state.session.verification is None
            assert state.session.notice is not None and state.session.notice.key == "verify_unavailable"
        finally:
            damaged.close()
