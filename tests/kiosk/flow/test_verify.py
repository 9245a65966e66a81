"""The certificate check (证照核验): no sign-in, scan, online or offline verdict, timeouts, faults."""

from __future__ import annotations

import pytest

from kiosk.flow import FlowConfig
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.machine import VERIFY_ALTERNATIVES, menu_services
from kiosk.flow.model import Device, Language, Service, Verification, VerifyReason
from kiosk.flow.state import Screen
from tests.kiosk.flow.conftest import Driver, of_type

QR = "C1.eyJib2R5Ijp0cnVlfQ.c2lnbmF0dXJl"
VALID = Verification(
    VerifyReason.VALID,
    holder_masked="张*丰",
    certificate_name="食品经营许可证",
    number="JY2026000123",
    valid_from="2026-11-20",
    valid_until="2031-11-19",
    authority="市场监督管理局",
)


def at_verify_unsigned(driver: Driver) -> Driver:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    driver.send(ev.ServiceChosen(Service.VERIFY))
    return driver


def scanned(driver: Driver, text: str = QR) -> fx.VerifyCertificate:
    (effect,) = of_type(driver.send(ev.QrScanned(text)), fx.VerifyCertificate)
    assert isinstance(effect, fx.VerifyCertificate)
    return effect


def test_no_sign_in_needed_from_the_identify_screen(driver: Driver) -> None:
    effects = at_verify_unsigned(driver).effects
    assert driver.screen() is Screen.VERIFY and driver.session().applicant is None
    assert driver.spoken()[-1] == "verify_prompt"
    assert not of_type(effects, fx.Identify)


def test_menu_offers_it_to_the_signed_in_too_even_offline(driver: Driver) -> None:
    driver.identified()
    assert Service.VERIFY in menu_services(driver.config, driver.state)
    driver.send(ev.ServiceUnreachable())
    assert Service.VERIFY in menu_services(driver.config, driver.state)
    driver.send(ev.ServiceChosen(Service.VERIFY))
    assert driver.screen() is Screen.VERIFY


def test_a_scan_asks_the_port_and_a_valid_verdict_is_shown_and_spoken(driver: Driver) -> None:
    at_verify_unsigned(driver)
    effect = scanned(driver, f"  {QR}\n")
    assert effect.text == QR and effect.serial == driver.serial
    assert driver.session().busy == "verifying"
    assert QR not in repr(effect)
    driver.send(ev.CertificateVerified(driver.serial, VALID))
    assert driver.session().verification == VALID and driver.session().busy == ""
    assert driver.notice_key() == "" and driver.spoken()[-1] == "verify_valid"


@pytest.mark.parametrize("reason", [r for r in VerifyReason if r is not VerifyReason.VALID])
def test_each_rejection_is_spoken_in_plain_words(driver: Driver, reason: VerifyReason) -> None:
    at_verify_unsigned(driver)
    scanned(driver)
    driver.send(ev.CertificateVerified(driver.serial, Verification(reason)))
    verdict = driver.session().verification
    assert verdict is not None and not verdict.valid
    assert driver.spoken()[-1] == f"verify_{reason.value}"


def test_offline_verdict_says_revocation_was_not_checked(driver: Driver) -> None:
    at_verify_unsigned(driver)
    scanned(driver)
    offline = Verification(VerifyReason.VALID, holder_masked="张*丰", number="JY1", offline=True)
    driver.send(ev.ServiceUnreachable(), ev.CertificateVerified(driver.serial, offline))
    assert driver.session().verification == offline
    assert driver.notice_key() == "verify_offline" and driver.session().notice is not None
    assert driver.spoken()[-1] == "verify_valid_offline"  # not "valid": revocation is unknown
    assert driver.session().notice.error  # type: ignore[union-attr]


def test_offline_with_no_cached_keys_explains(driver: Driver) -> None:
    at_verify_unsigned(driver)
    scanned(driver)
    driver.send(ev.ServiceUnreachable(), ev.OperationFailed(driver.serial, "verify_unavailable"))
    assert driver.screen() is Screen.VERIFY and driver.notice_key() == "verify_unavailable"
    assert driver.session().busy == "" and driver.session().verification is None


def test_scans_while_checking_are_ignored_and_a_new_scan_replaces_the_verdict(driver: Driver) -> None:
    at_verify_unsigned(driver)
    scanned(driver)
    assert not of_type(driver.send(ev.QrScanned("another")), fx.VerifyCertificate)
    driver.send(ev.CertificateVerified(driver.serial, VALID))
    again = scanned(driver, "another")
    assert again.text == "another" and driver.session().verification is None


def test_timeout_goes_back_and_drops_the_verdict(driver: Driver) -> None:
    config = FlowConfig(verify_timeout=30.0)
    driver = Driver(config=config)
    driver.identified()
    driver.send(ev.ServiceChosen(Service.VERIFY))
    driver.send(ev.Tick(20.0))
    scanned(driver)
    driver.send(ev.Tick(20.0))  # the check itself does not count against the verdict's time
    driver.send(ev.CertificateVerified(driver.serial, VALID), ev.Tick(29.0))
    assert driver.screen() is Screen.VERIFY and driver.session().verification == VALID
    driver.send(ev.Tick(1.5))
    assert driver.screen() is Screen.MENU
    assert driver.session().verification is None and driver.notice_key() == "verify_timed_out"
    assert "张*丰" not in repr(driver.state)


def test_waiting_for_a_scan_times_out_to_identify_when_not_signed_in(driver: Driver) -> None:
    at_verify_unsigned(driver)
    driver.send(ev.Tick(driver.config.verify_timeout - 1))
    assert driver.screen() is Screen.VERIFY
    driver.send(ev.Touched(), ev.Tick(driver.config.verify_timeout - 1))  # a touch restarts the wait
    assert driver.screen() is Screen.VERIFY
    driver.send(ev.Tick(1.0))
    assert driver.screen() is Screen.IDENTIFY and driver.has_session()


def test_a_verdict_arriving_after_the_screen_closed_is_dropped(driver: Driver) -> None:
    at_verify_unsigned(driver)
    serial = scanned(driver).serial
    driver.send(ev.Back())
    assert driver.screen() is Screen.IDENTIFY
    driver.send(ev.CertificateVerified(serial, VALID))
    assert driver.screen() is Screen.IDENTIFY and driver.session().verification is None


def test_leaving_by_back_home_or_finish_forgets_the_verdict(driver: Driver) -> None:
    driver.identified()
    for leave in (ev.Back(), ev.Home()):
        driver.send(ev.ServiceChosen(Service.VERIFY))
        scanned(driver)
        driver.send(ev.CertificateVerified(driver.serial, VALID))
        driver.send(leave)
        assert driver.screen() is Screen.MENU and driver.session().verification is None
    driver.send(ev.ServiceChosen(Service.VERIFY))
    scanned(driver)
    driver.send(ev.CertificateVerified(driver.serial, VALID))
    effects = driver.send(ev.Finish())
    assert not driver.has_session() and of_type(effects, fx.Wipe)


def test_scanner_fault_on_the_screen_offers_other_ways_and_back_leaves(driver: Driver) -> None:
    at_verify_unsigned(driver)
    effects = driver.send(ev.DeviceFault(Device.SCANNER, "no scanner"))
    assert driver.screen() is Screen.FAULT and of_type(effects, fx.ReportFault)
    assert driver.state.fault is not None and driver.state.fault.alternatives == VERIFY_ALTERNATIVES
    assert driver.spoken()[-1] == "fault_scanner"
    driver.send(ev.Back())
    assert driver.screen() is Screen.IDENTIFY


def test_known_broken_scanner_explains_before_the_screen(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.DeviceFault(Device.SCANNER, "no scanner"))
    assert driver.screen() is Screen.MENU  # not needed on the menu: only reported
    driver.send(ev.ServiceChosen(Service.VERIFY))
    assert driver.screen() is Screen.FAULT
    assert driver.state.fault is not None and driver.state.fault.return_to is Screen.MENU
    assert driver.state.fault.alternatives == VERIFY_ALTERNATIVES
    driver.send(ev.DeviceRecovered(Device.SCANNER), ev.Back(), ev.ServiceChosen(Service.VERIFY))
    assert driver.screen() is Screen.VERIFY


def test_a_qr_on_the_identify_screen_still_signs_in(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    effects = driver.send(ev.QrScanned("eid-qr"))
    assert of_type(effects, fx.Identify) and not of_type(effects, fx.VerifyCertificate)
