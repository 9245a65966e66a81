"""Every path of the kiosk flow, without Kivy: identification, the services, timeouts, faults."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kiosk.flow import FlowConfig
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.machine import ALL_SERVICES, ELDER_TIME_FACTOR, menu_services
from kiosk.flow.model import (
    CardRefusal,
    Device,
    IdentifyMethod,
    Language,
    LockerPickup,
    Service,
    SubmitOutcome,
    Ticket,
)
from kiosk.flow.state import Screen
from tests.kiosk.flow.conftest import APPLICANT, CARD, CASES, CERTS, ITEM, Driver, of_type


def test_touch_starts_a_session_and_language_leads_to_identify(driver: Driver) -> None:
    driver.send(ev.Touched())
    assert driver.screen() is Screen.LANGUAGE and driver.has_session()
    assert driver.serial == 1
    driver.send(ev.LanguageChosen(Language.EN))
    assert driver.screen() is Screen.IDENTIFY
    assert driver.session().language is Language.EN
    assert driver.spoken() == ["welcome", "identify_prompt"]


def test_card_tap_identifies_and_greets_with_masked_name(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    effects = driver.send(ev.CardInserted(CARD))
    (identify,) = of_type(effects, fx.Identify)
    assert isinstance(identify, fx.Identify) and identify.method is IdentifyMethod.CARD
    assert identify.card == CARD
    assert driver.session().busy == "identifying"
    effects = driver.send(ev.Identified(driver.serial, APPLICANT, "tok"))
    assert driver.screen() is Screen.MENU
    (greeting,) = of_type(effects, fx.Speak)
    assert isinstance(greeting, fx.Speak) and dict(greeting.params) == {"name": "张*丰"}
    assert "110101199003071234" not in repr(driver.state)


def test_card_on_attract_screen_starts_session_directly(driver: Driver) -> None:
    effects = driver.send(ev.CardInserted(CARD))
    assert driver.screen() is Screen.IDENTIFY and driver.serial == 1
    assert of_type(effects, fx.Identify)


def test_card_ignored_on_other_screens(driver: Driver) -> None:
    driver.identified()
    effects = driver.send(ev.CardRemoved(), ev.CardInserted(CARD))
    assert driver.screen() is Screen.MENU and not of_type(effects, fx.Identify)


@pytest.mark.parametrize("reason", list(CardRefusal))
def test_a_refused_card_says_why_and_starts_nothing(driver: Driver, reason: CardRefusal) -> None:
    effects = driver.send(ev.CardRefused(reason))  # placed on the attract screen
    session = driver.state.session
    assert driver.screen() is Screen.IDENTIFY and session is not None and session.applicant is None
    assert (
        session.notice is not None and session.notice.key == f"card_{reason.value}" and session.notice.error
    )
    assert not of_type(effects, fx.Identify)
    (spoken,) = of_type(effects, fx.Speak)
    assert isinstance(spoken, fx.Speak) and spoken.key == f"card_{reason.value}"
    # Placed again, whole: it identifies as any card does, and the notice goes.
    effects = driver.send(ev.CardInserted(CARD))
    assert of_type(effects, fx.Identify) and driver.session().notice is None


def test_a_refused_card_changes_nothing_once_signed_in(driver: Driver) -> None:
    driver.identified()
    before = driver.state
    driver.send(ev.CardRefused(CardRefusal.REMOVED))
    assert driver.screen() is Screen.MENU and driver.session().notice is None
    assert before.session is not None and driver.session().applicant == before.session.applicant


def test_identify_failure_explains_and_stays(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
    driver.send(ev.IdentifyFailed(driver.serial, "card_unreadable"))
    session = driver.state.session
    assert driver.screen() is Screen.IDENTIFY and session is not None
    assert session.notice is not None and session.notice.key == "card_unreadable" and session.notice.error
    assert session.busy == ""


def test_qr_identification(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    effects = driver.send(ev.QrScanned("  eid:abc  "))
    (identify,) = of_type(effects, fx.Identify)
    assert isinstance(identify, fx.Identify) and identify.method is IdentifyMethod.QR
    assert identify.credential == "eid:abc"
    # a second scan while the first is being checked is ignored
    assert not of_type(driver.send(ev.QrScanned("eid:other")), fx.Identify)


def test_phone_and_code_identification_validates_input(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    assert not driver.send(ev.PhoneEntered("13812345678"))  # the phone method was not chosen yet
    driver.send(ev.IdentifyMethodChosen(IdentifyMethod.PHONE))
    driver.send(ev.PhoneEntered("12345"))
    assert driver.notice_key() == "phone_invalid"
    assert not driver.send(ev.CodeEntered("123456"))  # no code sent yet
    (_send_code,) = of_type(driver.send(ev.PhoneEntered("13812345678")), fx.SendCode)
    driver.send(ev.CodeSent(driver.serial))
    assert driver.notice_key() == "code_sent"
    driver.send(ev.CodeEntered("12ab"))
    assert driver.notice_key() == "code_invalid"
    (identify,) = of_type(driver.send(ev.CodeEntered("654321")), fx.Identify)
    assert isinstance(identify, fx.Identify) and identify.credential == "13812345678:654321"


def test_phone_login_can_be_disabled() -> None:
    driver = Driver(config=FlowConfig(allow_phone_login=False))
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.IdentifyMethodChosen(IdentifyMethod.PHONE))
    assert driver.session().identify_method is None
    assert driver.notice_key() == "phone_not_allowed"


def test_guide_search_item_and_print(driver: Driver) -> None:
    driver.identified()
    (search,) = of_type(driver.send(ev.ServiceChosen(Service.GUIDE)), fx.SearchItems)
    assert driver.screen() is Screen.GUIDE
    driver.send(ev.ItemsFound(driver.serial, ()))
    assert driver.notice_key() == "nothing_found"
    (search,) = of_type(driver.send(ev.SearchSubmitted("  食品  ")), fx.SearchItems)
    assert isinstance(search, fx.SearchItems) and search.query == "食品"
    driver.send(ev.ItemsFound(driver.serial, (ITEM.summary(),)))
    (_load,) = of_type(driver.send(ev.ItemChosen("food-shop")), fx.LoadItem)
    driver.send(ev.ItemLoaded(driver.serial, ITEM))
    assert driver.screen() is Screen.ITEM
    (printing,) = of_type(driver.send(ev.PrintGuideRequested()), fx.PrintGuide)
    assert isinstance(printing, fx.PrintGuide) and printing.item == ITEM
    driver.send(ev.Printed(driver.serial, "guide"))
    assert driver.notice_key() == "printed_guide"
    driver.send(ev.Back())
    assert driver.screen() is Screen.GUIDE
    driver.send(ev.Back())
    assert driver.screen() is Screen.MENU


def _to_capture(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceChosen(Service.APPLY), ev.ItemsFound(driver.serial, (ITEM.summary(),)))
    driver.send(ev.ItemChosen(ITEM.item_id), ev.ItemLoaded(driver.serial, ITEM), ev.ApplyChosen())
    assert driver.screen() is Screen.APPLY_FORM
    driver.send(ev.FieldChanged("phone", "13812345678"), ev.FormConfirmed())
    assert driver.screen() is Screen.APPLY_CAPTURE


def test_apply_form_is_prefilled_from_the_card_and_identity_fields_are_locked(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceChosen(Service.APPLY))
    driver.send(ev.ItemChosen(ITEM.item_id))
    driver.send(ev.ItemLoaded(driver.serial, ITEM))
    driver.send(ev.ApplyChosen())
    session = driver.state.session
    assert session is not None
    assert session.form_value("name") == "张三丰" and session.form_value("address") == "北京市东城区"
    driver.send(ev.FieldChanged("name", "李四"), ev.FieldChanged("unknown", "x"))
    assert driver.session().form_value("name") == "张三丰"
    driver.send(ev.FieldChanged("phone", "999"), ev.FormConfirmed())
    assert driver.screen() is Screen.APPLY_FORM
    assert driver.notice_key() == "phone_invalid"


def test_apply_missing_material_prints_the_one_time_notice(driver: Driver) -> None:
    _to_capture(driver)
    session = driver.state.session
    assert session is not None and session.missing_materials() == ("application", "premises")
    (_capture,) = of_type(driver.send(ev.CaptureRequested("application")), fx.Capture)
    assert not driver.send(ev.CaptureRequested("premises"))  # one capture at a time
    driver.send(ev.MaterialCaptured(driver.serial, "application", "/tmp/x.png"))
    assert driver.session().missing_materials() == ("premises",)
    (submit,) = of_type(driver.send(ev.SubmitRequested()), fx.Submit)
    assert not driver.send(ev.SubmitRequested())  # pressed twice: still one submission
    assert isinstance(submit, fx.Submit) and submit.token == "token-1"
    assert [m.material_code for m in submit.submission.materials] == ["application"]
    outcome = SubmitOutcome(case_id="c-9", accepted=False, missing=("premises",))
    effects = driver.send(ev.Submitted(driver.serial, outcome))
    (printing,) = of_type(effects, fx.PrintOutcome)
    assert isinstance(printing, fx.PrintOutcome) and printing.outcome.missing == ("premises",)
    assert driver.screen() is Screen.APPLY_DONE
    assert "submission_incomplete" in driver.spoken()


def test_apply_complete_with_library_document_prints_receipt(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.LibraryDocumentUsed("premises", "doc-unknown"))
    assert driver.session().captured == ()
    driver.send(ev.LibraryDocumentUsed("premises", "doc-1"))
    driver.send(ev.CaptureRequested("application"))
    driver.send(ev.MaterialCaptured(driver.serial, "application", "/tmp/a"))
    assert driver.session().missing_materials() == ()
    driver.send(ev.SubmitRequested())
    effects = driver.send(ev.Submitted(driver.serial, SubmitOutcome(case_id="c-1", accepted=True)))
    assert of_type(effects, fx.PrintOutcome)
    driver.send(ev.Printed(driver.serial, "receipt"))
    assert driver.notice_key() == "printed_receipt"


def test_capture_retake_replaces_and_remove_drops(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.CaptureRequested("application"), ev.MaterialCaptured(driver.serial, "application", "/a1"))
    driver.send(ev.CaptureRequested("application"), ev.MaterialCaptured(driver.serial, "application", "/a2"))
    assert driver.has_session()
    assert [m.image_path for m in driver.session().captured] == ["/a2"]
    driver.send(ev.MaterialRemoved("application"))
    assert driver.session().captured == ()
    assert not driver.send(ev.CaptureRequested("not-a-material"))


def test_capture_failure_asks_to_retry(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.CaptureRequested("application"))
    driver.send(ev.CaptureFailed(driver.serial, "application", "capture_unclear"))
    assert driver.session().busy == ""
    assert driver.notice_key() == "capture_unclear"


def test_submission_queued_while_service_unreachable(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.ServiceUnreachable())
    assert driver.notice_key() == "service_offline"
    driver.send(ev.SubmitRequested())
    effects = driver.send(ev.Submitted(driver.serial, SubmitOutcome(queued=True)))
    assert not of_type(effects, fx.PrintOutcome)
    assert driver.spoken()[-1] == "submission_queued"
    assert of_type(driver.send(ev.ServiceBack()), fx.FlushOutbox)
    assert not driver.send(ev.ServiceBack())  # already online: nothing to flush twice
    driver.send(ev.OutboxChanged(0))
    assert driver.state.outbox_pending == 0


def test_offline_menu_keeps_what_still_works(driver: Driver) -> None:
    driver.send(ev.ServiceUnreachable(), ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
    driver.send(ev.Identified(driver.serial, APPLICANT, "", offline=True))
    assert set(menu_services(driver.config, driver.state)) == {
        Service.GUIDE,
        Service.APPLY,
        Service.TICKET,
        Service.PICKUP,
        Service.VERIFY,  # offline with the cached public keys
    }
    assert not driver.send(ev.ServiceChosen(Service.PROGRESS))
    assert driver.screen() is Screen.MENU


def test_progress_certificates_and_copies(driver: Driver) -> None:
    driver.identified()
    (_load,) = of_type(driver.send(ev.ServiceChosen(Service.PROGRESS)), fx.LoadCases)
    driver.send(ev.CasesLoaded(driver.serial, CASES))
    assert driver.screen() is Screen.PROGRESS and driver.has_session()
    assert driver.session().cases == CASES
    driver.send(ev.Home())
    driver.send(ev.ServiceChosen(Service.CERTIFICATES))
    driver.send(ev.CertificatesLoaded(driver.serial, CERTS))
    assert driver.screen() is Screen.CERTIFICATES
    assert not driver.send(ev.CertificatePrintRequested("cert-unknown"))
    (_printing,) = of_type(driver.send(ev.CertificatePrintRequested("cert-1")), fx.PrintCertificate)
    driver.send(ev.Printed(driver.serial, "certificate"))
    driver.send(ev.Home(), ev.ServiceChosen(Service.CERTIFICATES), ev.CertificatesLoaded(driver.serial, ()))
    assert driver.notice_key() == "no_certificates"


def test_ticket_is_taken_and_printed(driver: Driver) -> None:
    driver.identified()
    (take,) = of_type(driver.send(ev.ServiceChosen(Service.TICKET)), fx.TakeTicket)
    assert isinstance(take, fx.TakeTicket) and take.id_number == APPLICANT.id_number
    effects = driver.send(ev.TicketTaken(driver.serial, Ticket("A012", 3, 12)))
    assert of_type(effects, fx.PrintTicket)
    assert driver.session().ticket == Ticket("A012", 3, 12)


def test_ticket_with_broken_printer_is_still_given(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.DeviceFault(Device.PRINTER, "media-empty"))
    assert driver.screen() is Screen.MENU  # the menu does not need the printer
    driver.send(ev.ServiceChosen(Service.TICKET))
    effects = driver.send(ev.TicketTaken(driver.serial, Ticket("A013", 0, 0)))
    assert not of_type(effects, fx.PrintTicket)
    assert driver.notice_key() == "ticket_not_printed"


def test_pickup_and_nothing_to_pick_up(driver: Driver) -> None:
    driver.identified()
    (open_locker,) = of_type(driver.send(ev.ServiceChosen(Service.PICKUP)), fx.OpenLocker)
    assert isinstance(open_locker, fx.OpenLocker) and open_locker.method == "id_card"
    driver.send(ev.LockerOpened(driver.serial, LockerPickup("locker-bank-03", "07")))
    assert driver.session().pickup == LockerPickup("locker-bank-03", "07")
    assert driver.spoken()[-2:] == ["locker_where", "locker_opened"]
    driver.send(ev.Home())
    driver.send(ev.ServiceChosen(Service.PICKUP))
    driver.send(ev.OperationFailed(driver.serial, "nothing_to_pick_up"))
    assert driver.notice_key() == "nothing_to_pick_up"


def test_pickup_hidden_when_not_by_the_lockers() -> None:
    driver = Driver(config=FlowConfig(by_lockers=False)).identified()
    assert Service.PICKUP not in menu_services(driver.config, driver.state)
    assert not driver.send(ev.ServiceChosen(Service.PICKUP))


def test_rating_only_finished_unrated_cases_and_valid_scores(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceChosen(Service.RATING), ev.CasesLoaded(driver.serial, CASES))
    assert not driver.send(ev.RatingGiven("c-1", 5))  # not finished
    assert not driver.send(ev.RatingGiven("c-2", 6))  # no such score
    (_rate,) = of_type(driver.send(ev.RatingGiven("c-2", 5)), fx.Rate)
    driver.send(ev.Rated(driver.serial, "c-2"))
    assert driver.session().cases[1].rated
    assert not driver.send(ev.RatingGiven("c-2", 4))  # rated once


def test_a_complaint_about_ones_own_case_for_a_reason_touched(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceChosen(Service.COMPLAINT), ev.CasesLoaded(driver.serial, CASES))
    assert driver.screen() is Screen.COMPLAINT
    assert not driver.send(ev.ComplaintGiven("c-9", "overdue"))  # not theirs
    assert not driver.send(ev.ComplaintGiven("c-1", "anything"))  # not a reason the kiosk offers
    (filing,) = of_type(driver.send(ev.ComplaintGiven("c-1", "overdue")), fx.FileComplaint)
    assert isinstance(filing, fx.FileComplaint) and (filing.case_id, filing.reason) == ("c-1", "overdue")
    driver.send(ev.ComplaintFiled(driver.serial, "c-1", "2026-01-09"))
    assert driver.notice_key() == "complaint_filed" and driver.session().busy == ""
    driver.send(ev.Back())
    assert driver.screen() is Screen.MENU


def test_a_complaint_about_the_hall_signed_in_or_not(driver: Driver) -> None:
    """From the card prompt (nobody signed in: the kiosk's own name, back to the prompt) and from the
    signed-in person's 投诉 screen (their token, back to it); a topic is needed, a phone only if valid."""
    from case_service.domain.complaints import HallTopic
    from kiosk.flow.machine import HALL_TOPICS

    assert tuple(topic.value for topic in HallTopic) == HALL_TOPICS  # the case service's topics
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    assert driver.screen() is Screen.IDENTIFY
    driver.send(ev.HallComplaintOpened())
    assert driver.screen() is Screen.HALL_COMPLAINT
    assert (
        not driver.send(ev.HallComplaintGiven("", ""))
        and driver.notice_key() == "hall_complaint_choose_topic"
    )
    assert (
        not driver.send(ev.HallComplaintGiven("waiting", "1381234"))
        and driver.notice_key() == "phone_invalid"
    )
    (filing,) = of_type(driver.send(ev.HallComplaintGiven("waiting", "")), fx.FileHallComplaint)
    assert isinstance(filing, fx.FileHallComplaint)
    assert (filing.token, filing.topic, filing.phone) == ("", "waiting", "")
    driver.send(ev.HallComplaintFiled(driver.serial, "2026-01-09", reachable=False))
    assert driver.notice_key() == "hall_complaint_filed_anonymous"
    driver.send(ev.Back())
    assert driver.screen() is Screen.IDENTIFY

    driver.identified()
    driver.send(ev.ServiceChosen(Service.COMPLAINT), ev.CasesLoaded(driver.serial, CASES))
    driver.send(ev.HallComplaintOpened())
    assert driver.screen() is Screen.HALL_COMPLAINT
    driver.send(ev.HallComplaintGiven("other", ""), ev.HallComplaintFiled(driver.serial, "2026-01-09", False))
    assert driver.notice_key() == "hall_complaint_filed_no_phone"  # in their name, but nobody to tell
    (filing,) = of_type(driver.send(ev.HallComplaintGiven("rude_clerk", "13812345678")), fx.FileHallComplaint)
    assert isinstance(filing, fx.FileHallComplaint)
    assert filing.token == driver.session().token and filing.phone == "13812345678"
    assert "13812345678" not in repr(filing)
    driver.send(ev.HallComplaintFiled(driver.serial, "2026-01-09", reachable=True))
    assert driver.notice_key() == "hall_complaint_filed"
    driver.send(ev.Back())
    assert driver.screen() is Screen.COMPLAINT


def test_elder_mode_every_choice_larger_text_more_time(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ElderModeToggled())
    assert driver.session().elder
    assert driver.session().text_scale == 1.4
    assert menu_services(driver.config, driver.state) == ALL_SERVICES  # nothing hidden
    countdowns = []
    for ticks in ((driver.config.idle_timeout + 1,), (driver.config.idle_timeout,)):
        driver.send(*(ev.Tick(seconds) for seconds in ticks))
        countdowns.append(driver.state.countdown)
    # twice the time before the countdown, and a countdown twice as long
    assert countdowns == [None, driver.config.countdown * ELDER_TIME_FACTOR]
    driver.send(ev.Touched())
    driver.send(ev.ElderModeToggled())
    assert driver.session().text_scale == 1.0
    driver.send(ev.Tick(driver.config.idle_timeout + 1))
    assert driver.state.countdown == driver.config.countdown


def test_text_size_steps_within_bounds(driver: Driver) -> None:
    driver.send(ev.Touched())
    for _ in range(10):
        driver.send(ev.TextSizeChanged(+1))
    assert driver.session().text_scale == 1.6
    for _ in range(10):
        driver.send(ev.TextSizeChanged(-1))
    assert driver.session().text_scale == 1.0


def test_inactivity_countdown_then_wipe(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.CardRemoved())
    driver.send(ev.Tick(89.0))
    assert driver.countdown() is None
    driver.send(ev.Tick(1.0))
    assert driver.countdown() == 20.0 and driver.spoken()[-1] == "countdown"
    driver.send(ev.Tick(10.0))
    assert driver.countdown() == 10.0 and driver.has_session()
    effects = driver.send(ev.Tick(10.0))
    assert driver.screen() is Screen.ATTRACT and not driver.has_session()
    (wipe,) = of_type(effects, fx.Wipe)
    assert isinstance(wipe, fx.Wipe) and wipe.serial == 1
    assert "110101199003071234" not in repr(driver.state) and "张三丰" not in repr(driver.state)


def test_touch_during_countdown_keeps_the_session(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.Tick(95.0))
    assert driver.countdown() is not None
    driver.send(ev.Touched())
    assert driver.countdown() is None and driver.state.idle_seconds == 0.0
    driver.send(ev.Tick(50.0))
    assert driver.has_session()


def test_late_result_after_wipe_is_dropped(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
    old_serial = driver.serial
    driver.send(ev.Tick(90.0), ev.Tick(20.0))
    assert not driver.has_session()
    assert not driver.send(ev.Identified(old_serial, APPLICANT, "tok"))
    assert not driver.has_session()
    driver.send(ev.Touched())
    driver.send(ev.LanguageChosen(Language.ZH))
    driver.send(ev.Identified(old_serial, APPLICANT, "tok"))  # the old session's answer, in the new session
    assert driver.screen() is Screen.IDENTIFY


def test_card_left_in_reader_reminds(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.Tick(29.0))
    assert "take_card" not in driver.spoken()
    driver.send(ev.Tick(1.0))
    assert driver.spoken().count("take_card") == 1
    driver.send(ev.Tick(5.0))
    assert driver.spoken().count("take_card") == 1  # once
    driver.send(ev.Finish())
    assert driver.spoken()[-2:] == ["take_card", "goodbye"]
    assert driver.flags()[1] and driver.flags()[0]
    driver.send(ev.CardRemoved())
    assert not driver.flags()[0] and not driver.flags()[1]


def test_finish_wipes(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.CardRemoved())
    effects = driver.send(ev.Finish())
    assert of_type(effects, fx.Wipe) and not driver.has_session()
    assert driver.spoken()[-1] == "goodbye"
    assert not driver.send(ev.Finish())


def test_finish_with_an_application_half_made_asks_first(driver: Driver) -> None:
    _to_capture(driver)
    effects = driver.send(ev.Finish())
    assert not of_type(effects, fx.Wipe) and driver.session().confirm_finish
    assert driver.notice_key() == "finish_confirm" and driver.spoken()[-1] == "finish_confirm"
    driver.send(ev.FinishCancelled())
    assert driver.screen() is Screen.APPLY_CAPTURE and not driver.session().confirm_finish
    assert driver.session().form_value("phone") == "13812345678"  # nothing lost
    driver.send(ev.Finish(), ev.Back())
    assert driver.screen() is Screen.APPLY_FORM and not driver.session().confirm_finish  # moved on
    driver.send(ev.Finish())
    effects = driver.send(ev.Finish(confirmed=True))
    assert of_type(effects, fx.Wipe) and not driver.has_session()


def test_a_person_of_65_or_more_is_offered_elder_mode(driver: Driver) -> None:
    from kiosk.flow.model import age_on

    assert age_on("110101195912310038", dt.date(2026, 12, 30)) == 66
    assert age_on("110101196112310038", dt.date(2026, 12, 30)) == 64
    assert age_on("110101196112310038", dt.date(2026, 12, 31)) == 65
    assert age_on("11010119611231003", dt.date(2026, 12, 31)) is None
    assert age_on("110101196113310038", dt.date(2026, 12, 31)) is None
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
    driver.send(ev.Identified(driver.serial, APPLICANT, "token-1", age=81))
    assert driver.notice_key() == "elder_offer" and "elder_offer" in driver.spoken()
    assert not driver.session().elder  # offered, not imposed
    driver.send(ev.ElderModeToggled())
    assert driver.session().elder and driver.notice_key() == ""  # taken: the offer is not said again


def test_a_seniors_ticket_is_a_priority_ticket_and_a_younger_persons_is_not(driver: Driver) -> None:
    """优先号: from 65 (by the card) the ticket asked of the controller is of its elderly class."""
    for age, priority in ((81, "elderly"), (40, "ordinary"), (None, "ordinary")):
        driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
        driver.send(ev.Identified(driver.serial, APPLICANT, "token-1", age=age))
        (take,) = of_type(driver.send(ev.ServiceChosen(Service.TICKET)), fx.TakeTicket)
        assert isinstance(take, fx.TakeTicket) and take.priority == priority, age
        driver.send(ev.Finish(confirmed=True), ev.CardRemoved())
        assert not driver.has_session()


def test_card_reader_fault_on_identify_offers_other_ways(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.EN))
    effects = driver.send(ev.DeviceFault(Device.CARD_READER, "reader missing"))
    assert of_type(effects, fx.ReportFault)
    assert driver.screen() is Screen.FAULT and driver.state.fault is not None
    assert driver.state.fault.alternatives == ("alt_qr", "alt_phone", "alt_window")
    assert driver.spoken()[-1] == "fault_card_reader"
    assert not driver.send(ev.DeviceFault(Device.CARD_READER, "still missing"))  # reported once
    driver.send(ev.Back())
    assert driver.screen() is Screen.IDENTIFY
    assert of_type(driver.send(ev.DeviceRecovered(Device.CARD_READER)), fx.ReportRecovered)
    assert driver.state.broken == frozenset()
    assert not driver.send(ev.DeviceRecovered(Device.CARD_READER))


def test_camera_fault_when_capturing(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.DeviceFault(Device.CAMERA, "camera gone"))
    assert driver.screen() is Screen.FAULT and driver.state.fault is not None
    assert "alt_library" in driver.state.fault.alternatives
    driver.send(ev.Back())
    assert driver.screen() is Screen.APPLY_CAPTURE
    effects = driver.send(ev.CaptureRequested("application"))  # still broken: explained again, no capture
    assert not of_type(effects, fx.Capture) and driver.screen() is Screen.FAULT


def test_printer_fault_during_print_and_before_print(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.SubmitRequested(), ev.Submitted(driver.serial, SubmitOutcome(case_id="c", accepted=True)))
    effects = driver.send(ev.DeviceFault(Device.PRINTER, "media-empty"))
    assert driver.screen() is Screen.FAULT and of_type(effects, fx.ReportFault)
    assert driver.state.fault is not None and driver.state.fault.alternatives[0] == "alt_other_kiosk"
    assert driver.session().busy == ""
    driver.send(ev.Home())
    driver.send(ev.ServiceChosen(Service.CERTIFICATES))
    driver.send(ev.CertificatesLoaded(driver.serial, CERTS))
    assert not of_type(driver.send(ev.CertificatePrintRequested("cert-1")), fx.PrintCertificate)
    assert driver.screen() is Screen.FAULT


def test_submission_with_printer_known_broken_goes_to_fault(driver: Driver) -> None:
    _to_capture(driver)
    driver.send(ev.DeviceFault(Device.PRINTER, "media-empty"))
    assert driver.screen() is Screen.APPLY_CAPTURE  # capturing does not need the printer
    driver.send(ev.SubmitRequested())
    effects = driver.send(ev.Submitted(driver.serial, SubmitOutcome(case_id="c", accepted=True)))
    assert not of_type(effects, fx.PrintOutcome) and driver.screen() is Screen.FAULT
    assert driver.state.fault is not None and driver.state.fault.return_to is Screen.APPLY_DONE
    assert driver.session().outcome is not None


def test_fault_with_no_session_is_only_reported(driver: Driver) -> None:
    effects = driver.send(ev.DeviceFault(Device.PRINTER, "media-empty"))
    assert driver.screen() is Screen.ATTRACT and of_type(effects, fx.ReportFault)


def test_operation_failure_is_explained(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceChosen(Service.PROGRESS), ev.OperationFailed(driver.serial, "service_error"))
    assert driver.notice_key() == "service_error"
    notice = driver.session().notice
    assert notice is not None and notice.error and driver.session().busy == ""


def test_back_from_identify_and_language(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.Back())
    assert driver.screen() is Screen.LANGUAGE
    effects = driver.send(ev.Back())
    assert driver.screen() is Screen.ATTRACT and of_type(effects, fx.Wipe)


def test_home_before_identification_ends_session(driver: Driver) -> None:
    driver.send(ev.Touched())
    driver.send(ev.Home())
    assert not driver.has_session()


def test_item_that_must_be_applied_for_at_a_window(driver: Driver) -> None:
    driver.identified()
    window_only = replace(ITEM, kiosk_apply=False)
    driver.send(ev.ServiceChosen(Service.GUIDE))
    driver.send(ev.ItemChosen("x"))
    driver.send(ev.ItemLoaded(driver.serial, window_only))
    driver.send(ev.ApplyChosen())
    assert driver.screen() is Screen.ITEM
    assert driver.notice_key() == "apply_at_window"


def test_events_on_the_wrong_screen_change_nothing(driver: Driver) -> None:
    before = driver.state
    for event in (
        ev.LanguageChosen(Language.EN),
        ev.ServiceChosen(Service.GUIDE),
        ev.SearchSubmitted("x"),
        ev.ItemChosen("x"),
        ev.PrintGuideRequested(),
        ev.ApplyChosen(),
        ev.FieldChanged("phone", "1"),
        ev.FormConfirmed(),
        ev.CaptureRequested("application"),
        ev.SubmitRequested(),
        ev.RatingGiven("c", 5),
        ev.CertificatePrintRequested("c"),
        ev.ElderModeToggled(),
        ev.TextSizeChanged(1),
        ev.QrScanned("x"),
        ev.Back(),
    ):
        assert driver.send(event) == []
        assert driver.state == before


def test_service_back_clears_the_offline_notice(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.ServiceUnreachable())
    assert driver.notice_key() == "service_offline"
    driver.send(ev.ServiceBack())
    assert driver.notice_key() == ""


def test_watcher_noise_does_not_hold_off_the_countdown(driver: Driver) -> None:
    driver.identified()
    driver.send(ev.CardRemoved(), ev.Tick(60.0), ev.ServiceBack(), ev.OutboxChanged(0), ev.Tick(30.0))
    assert driver.countdown() == 20.0
    assert driver.spoken()[-1] == "countdown"


def test_supplement_asks_only_for_what_the_case_lacks(driver: Driver) -> None:
    driver.identified().send(ev.ServiceChosen(Service.PROGRESS))
    waiting = replace(CASES[0], item_id=ITEM.item_id, missing=("application",))
    driver.send(ev.CasesLoaded(driver.serial, (waiting, CASES[1])))
    assert not driver.send(ev.SupplementChosen("c-2"))  # nothing is missing there
    (load,) = driver.send(ev.SupplementChosen("c-1"))
    assert isinstance(load, fx.LoadItem) and load.item_id == ITEM.item_id
    driver.send(ev.ItemLoaded(driver.serial, ITEM))
    session = driver.session()
    assert driver.screen() is Screen.APPLY_CAPTURE and driver.notice_key() == "supplement_prompt"
    # The premises proof the case holds is the library's document, not asked again.
    assert [(m.material_code, m.library_document_id) for m in session.captured] == [("premises", "doc-1")]
    assert session.missing_materials() == ("application",)
    driver.send(ev.CaptureRequested("application"))
    driver.send(ev.MaterialCaptured(driver.serial, "application", "/scratch/1.png"))
    (submit,) = of_type(driver.send(ev.SubmitRequested()), fx.Submit)
    assert isinstance(submit, fx.Submit) and submit.submission.case_id == "c-1"
    effects = driver.send(ev.Submitted(driver.serial, SubmitOutcome("c-1", accepted=True)))
    assert driver.screen() is Screen.APPLY_DONE
    assert "supplement_submitted" in driver.spoken()  # back with the clerk, not "accepted"
    (receipt,) = of_type(effects, fx.PrintOutcome)
    assert isinstance(receipt, fx.PrintOutcome) and receipt.supplement


def test_back_from_a_supplement_returns_to_progress_and_a_new_service_forgets_it(driver: Driver) -> None:
    driver.identified().send(ev.ServiceChosen(Service.PROGRESS))
    waiting = replace(CASES[0], item_id=ITEM.item_id, missing=("application",))
    driver.send(ev.CasesLoaded(driver.serial, (waiting,)), ev.SupplementChosen("c-1"))
    driver.send(ev.ItemLoaded(driver.serial, ITEM), ev.Back())
    assert driver.screen() is Screen.PROGRESS
    driver.send(ev.Home(), ev.ServiceChosen(Service.APPLY))
    assert driver.session().supplement_case == ""
    driver.send(ev.ItemChosen(ITEM.item_id), ev.ItemLoaded(driver.serial, ITEM), ev.ApplyChosen())
    driver.send(ev.FormConfirmed())
    (submit,) = of_type(driver.send(ev.SubmitRequested()), fx.Submit)
    assert isinstance(submit, fx.Submit) and submit.submission.case_id == ""


def test_a_printed_certificate_reloads_the_list_so_the_next_print_is_a_copy(driver: Driver) -> None:
    driver.identified().send(ev.ServiceChosen(Service.CERTIFICATES))
    driver.send(ev.CertificatesLoaded(driver.serial, CERTS))
    driver.send(ev.CertificatePrintRequested("cert-1"))
    effects = driver.send(ev.Printed(driver.serial, "certificate"))
    assert of_type(effects, fx.LoadCertificates) and driver.notice_key() == "printed_certificate"
    printed = (replace(CERTS[0], originals_printed=1),)
    driver.send(ev.CertificatesLoaded(driver.serial, printed))
    assert driver.session().certificates == printed and driver.notice_key() == "printed_certificate"
    assert not of_type(driver.send(ev.Printed(driver.serial, "ticket")), fx.LoadCertificates)


def test_pickup_by_code_or_qr_needs_no_sign_in(driver: Driver) -> None:
    """取件 under the card prompt: the 8-digit code typed, or the SMS QR scanned, is the credential."""
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    assert driver.screen() is Screen.IDENTIFY
    driver.send(ev.ServiceChosen(Service.PICKUP))
    assert driver.screen() is Screen.PICKUP and driver.session().applicant is None
    assert driver.send(ev.PickupCodeEntered("1234")) == [fx.Speak("locker_code_format", Language.ZH)]
    assert driver.notice_key() == "locker_code_format"
    (by_code,) = of_type(driver.send(ev.PickupCodeEntered("12345678")), fx.OpenLocker)
    assert isinstance(by_code, fx.OpenLocker) and (by_code.method, by_code.value) == ("code", "12345678")
    assert not driver.send(ev.PickupCodeEntered("12345678"))  # busy: one request at a time
    driver.send(ev.OperationFailed(driver.serial, "locker_locked_out_for", (("minutes", "15"),)))
    notice = driver.session().notice
    assert notice is not None and dict(notice.params) == {"minutes": "15"}
    (by_qr,) = of_type(driver.send(ev.QrScanned("HALLBOX1:7:abc")), fx.OpenLocker)
    assert isinstance(by_qr, fx.OpenLocker) and (by_qr.method, by_qr.value) == ("qr", "HALLBOX1:7:abc")
    driver.send(ev.LockerOpened(driver.serial, LockerPickup("locker-bank-03", "12")))
    pickup = driver.session().pickup
    assert pickup is not None and pickup.bank_number == "3"
    assert not of_type(driver.send(ev.QrScanned("HALLBOX1:7:abc")), fx.OpenLocker)  # already open
    driver.send(ev.Back())
    assert driver.screen() is Screen.IDENTIFY and driver.session().pickup is None


def test_the_pickup_screen_is_not_offered_without_lockers(driver: Driver) -> None:
    driver.config = replace(driver.config, by_lockers=False)
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.ServiceChosen(Service.PICKUP))
    assert driver.screen() is Screen.IDENTIFY


def test_an_id_card_laid_on_the_pickup_screen_opens_without_sign_in(driver: Driver) -> None:
    driver.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.ServiceChosen(Service.PICKUP))
    (by_card,) = of_type(driver.send(ev.CardInserted(CARD)), fx.OpenLocker)
    assert isinstance(by_card, fx.OpenLocker) and by_card.method == "id_card"
    assert by_card.value == CARD.id_number and not of_type(driver.send(ev.CardInserted(CARD)), fx.Identify)
    assert driver.screen() is Screen.PICKUP and driver.session().applicant is None
    driver.send(ev.OperationFailed(driver.serial, "nothing_to_pick_up"))
    assert driver.notice_key() == "nothing_to_pick_up"
