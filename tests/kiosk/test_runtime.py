"""Flow + runner + outbox + scratch with simulated ports: the whole kiosk except the window."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.flow import events as ev
from kiosk.flow.model import CardRefusal, Device, Language, LockerPickup, Service
from kiosk.flow.state import Screen
from kiosk.sim.devices import DEMO_CARD
from tests.kiosk.harness import Harness


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    yield harness
    harness.close()


def _identify(kiosk: Harness) -> None:
    kiosk.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
    kiosk.sims.card_reader.place(DEMO_CARD)
    state = kiosk.poll()
    assert state.screen is Screen.MENU, state.session.notice if state.session else None


def _apply(kiosk: Harness, materials: list[str]) -> None:
    kiosk.send(ev.ServiceChosen(Service.APPLY), ev.ItemChosen("food-business-licence"), ev.ApplyChosen())
    kiosk.send(ev.FieldChanged("phone", "13812345678"), ev.FormConfirmed())
    for code in materials:
        kiosk.send(ev.CaptureRequested(code))
    kiosk.send(ev.SubmitRequested())


def _pdf_text(data: bytes) -> str:
    import io

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_missing_material_notice_then_complete_then_certificate_original_and_copy(kiosk: Harness) -> None:
    _identify(kiosk)
    _apply(kiosk, ["application", "premises"])  # the layout is missing
    session = kiosk.state.session
    assert kiosk.state.screen is Screen.APPLY_DONE and session is not None and session.outcome is not None
    assert session.outcome.missing == ("layout",) and not session.outcome.accepted
    notice = kiosk.sims.printer.jobs[-1]
    assert notice.title == "补正材料一次性告知书" and "经营设施布局图" in _pdf_text(notice.pdf)
    kiosk.send(ev.Finish())
    kiosk.sims.card_reader.take()
    kiosk.poll()

    # comes back: the premises proof is in the library now, the rest is captured again
    _identify(kiosk)
    session = kiosk.state.session
    assert session is not None and {doc.material_code for doc in session.library} >= {"premises"}
    kiosk.send(ev.ServiceChosen(Service.APPLY), ev.ItemChosen("food-business-licence"), ev.ApplyChosen())
    kiosk.send(ev.FormConfirmed())
    library_premises = next(doc for doc in kiosk.state.session.library if doc.material_code == "premises")  # type: ignore[union-attr]
    kiosk.send(ev.LibraryDocumentUsed("premises", library_premises.document_id))
    kiosk.send(ev.CaptureRequested("application"), ev.CaptureRequested("layout"), ev.SubmitRequested())
    session = kiosk.state.session
    assert session is not None and session.outcome is not None and session.outcome.accepted
    assert kiosk.sims.printer.jobs[-1].title == "提交回执"  # submitted, not accepted

    kiosk.send(ev.Home(), ev.ServiceChosen(Service.CERTIFICATES))
    session = kiosk.state.session
    assert session is not None and len(session.certificates) == 1
    certificate = session.certificates[0].certificate_id
    kiosk.send(ev.CertificatePrintRequested(certificate))
    kiosk.send(ev.CertificatePrintRequested(certificate))
    titles = [job.title for job in kiosk.sims.printer.jobs[-2:]]
    assert titles[0].endswith("（正本）") and "副本" in titles[1]
    assert [job.copy for job in kiosk.sims.printer.jobs[-2:]] == [False, True]


def test_offline_submission_is_kept_encrypted_and_sent_once(kiosk: Harness) -> None:
    _identify(kiosk)
    kiosk.sims.case_service.set_reachable(False)
    _apply(kiosk, ["application", "premises", "layout"])
    session = kiosk.state.session
    assert session is not None and session.outcome is not None and session.outcome.queued
    assert not kiosk.state.service_online and kiosk.state.outbox_pending == 1
    (stored,) = list(kiosk.outbox.folder.glob("*.sub"))
    raw = stored.read_bytes()
    assert DEMO_CARD.id_number.encode() not in raw and "张三丰".encode() not in raw
    assert b"PNG" not in base64.urlsafe_b64decode(raw.split(b":", 1)[1] + b"==")  # sealed, not encoded
    assert kiosk.sims.case_service.case_count() == 0

    kiosk.send(ev.Finish())  # the applicant leaves; the submission stays
    kiosk.sims.case_service.set_reachable(True)
    after = kiosk.poll()
    assert after.service_online and after.outbox_pending == 0
    assert kiosk.sims.case_service.case_count() == 1
    assert list(kiosk.outbox.folder.glob("*.sub")) == []


def test_resending_the_same_key_never_makes_two_cases(kiosk: Harness) -> None:
    """A crash after the service answered but before the file was removed: the retry is harmless."""
    service = kiosk.sims.case_service
    identification = service.identify_card(DEMO_CARD)
    body = {"item_id": "pension-enrolment", "form": {}, "materials": [{"code": "household"}]}
    key = kiosk.outbox.put({"token": identification.token, "body": body})
    first = service.submit(identification.token, body, key)
    assert kiosk.outbox.flush(lambda k, stored: service.submit(stored["token"], stored["body"], k)) == 0
    assert service.case_count() == 1 and service.submit_calls == 2
    assert service.submit(identification.token, body, key) == first


def test_timeout_wipes_captured_images_from_disk(tmp_path: Path) -> None:
    from kiosk.flow import FlowConfig

    kiosk = Harness(tmp_path, config=FlowConfig(idle_timeout=5, countdown=3))
    try:
        _identify(kiosk)
        kiosk.send(ev.ServiceChosen(Service.APPLY), ev.ItemChosen("food-business-licence"), ev.ApplyChosen())
        kiosk.send(ev.FormConfirmed(), ev.CaptureRequested("application"))
        images = list(kiosk.scratch.root.rglob("*.png"))
        assert len(images) == 1 and images[0].read_bytes().startswith(b"\x89PNG")
        kiosk.send(ev.Tick(5.0), ev.Tick(3.0))
        assert kiosk.state.screen is Screen.ATTRACT and kiosk.state.session is None
        assert list(kiosk.scratch.root.rglob("*")) == []
        assert kiosk.state.card_reminded  # the card is still on the reader: the applicant is reminded
    finally:
        kiosk.close()


def test_card_reader_fault_is_reported_to_the_hall_and_recovers(kiosk: Harness) -> None:
    kiosk.send(ev.Touched(), ev.LanguageChosen(Language.EN))
    kiosk.sims.card_reader.fault = "reader missing"
    kiosk.poll()
    assert kiosk.state.screen is Screen.FAULT
    assert kiosk.sims.hall.faults == [(Device.CARD_READER, "reader missing")]
    assert kiosk.sims.voice.said[-1][0].startswith("Sorry, the card reader")
    kiosk.sims.card_reader.fault = None
    kiosk.poll()
    assert kiosk.sims.hall.recovered == [Device.CARD_READER]
    kiosk.send(ev.Back())
    kiosk.sims.scanner.show("eid:110101199003071234:李四")
    assert kiosk.poll().screen is Screen.MENU


def test_an_expired_card_is_explained_once_and_a_valid_one_then_signs_in(kiosk: Harness) -> None:
    kiosk.sims.card_reader.place_refused(CardRefusal.EXPIRED)
    state = kiosk.poll()
    assert state.screen is Screen.IDENTIFY and state.session is not None
    assert state.session.notice is not None and state.session.notice.key == "card_expired"
    assert state.session.applicant is None
    spoken = len(kiosk.sims.voice.said)
    for _ in range(3):  # still on the reader: not said again on every poll
        kiosk.poll()
    assert len(kiosk.sims.voice.said) == spoken
    kiosk.sims.card_reader.take()
    kiosk.poll()
    kiosk.sims.card_reader.place()
    assert kiosk.poll().screen is Screen.MENU


def test_printer_out_of_paper_during_ticket(kiosk: Harness) -> None:
    _identify(kiosk)
    kiosk.sims.printer.fault = "media-empty"
    kiosk.send(ev.ServiceChosen(Service.TICKET))
    assert kiosk.state.screen is Screen.FAULT  # the ticket was taken, printing it failed
    assert kiosk.sims.hall.tickets and kiosk.sims.hall.faults == [(Device.PRINTER, "media-empty")]
    kiosk.send(ev.Back())
    session = kiosk.state.session
    assert session is not None and session.ticket is not None and session.ticket.number == "A001"


def test_camera_problem_asks_to_retry_then_camera_gone(kiosk: Harness) -> None:
    _identify(kiosk)
    kiosk.send(ev.ServiceChosen(Service.APPLY), ev.ItemChosen("food-business-licence"), ev.ApplyChosen())
    kiosk.send(ev.FormConfirmed())
    kiosk.sims.camera.problem = "capture_unclear"
    kiosk.send(ev.CaptureRequested("application"))
    assert kiosk.state.session is not None and kiosk.state.session.notice is not None
    assert kiosk.state.session.notice.key == "capture_unclear"
    kiosk.sims.camera.problem = None
    kiosk.sims.camera.fault = "usb disconnected"
    kiosk.send(ev.CaptureRequested("application"))
    assert kiosk.state.screen is Screen.FAULT
    assert (Device.CAMERA, "usb disconnected") in kiosk.sims.hall.faults


def test_pickup_and_rating(kiosk: Harness) -> None:
    kiosk.sims.hall.add_pickup(DEMO_CARD.id_number, LockerPickup("L1", "07"))
    _identify(kiosk)
    kiosk.send(ev.ServiceChosen(Service.PICKUP))
    assert kiosk.state.session is not None and kiosk.state.session.pickup == LockerPickup("L1", "07")
    kiosk.send(ev.Home(), ev.ServiceChosen(Service.PICKUP))
    assert kiosk.state.session is not None and kiosk.state.session.notice is not None
    assert kiosk.state.session.notice.key == "nothing_to_pick_up"


def test_wrong_otp_and_bad_qr_are_explained(kiosk: Harness) -> None:
    from kiosk.flow.model import IdentifyMethod

    kiosk.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.IdentifyMethodChosen(IdentifyMethod.PHONE))
    kiosk.send(ev.PhoneEntered("13812345678"), ev.CodeEntered("000000"))
    assert kiosk.state.session is not None and kiosk.state.session.notice is not None
    assert kiosk.state.session.notice.key == "code_wrong"
    kiosk.sims.scanner.show("garbage \x00 not a code")
    kiosk.poll()
    assert kiosk.state.session is not None and kiosk.state.session.notice is not None
    assert kiosk.state.session.notice.key == "qr_invalid"
    kiosk.send(ev.CodeEntered("123456"))
    assert kiosk.state.screen is Screen.MENU


def test_supplement_from_progress_then_certificate_print_results_reported(kiosk: Harness) -> None:
    _identify(kiosk)
    _apply(kiosk, ["application", "premises"])  # the layout is missing
    kiosk.send(ev.Finish())
    kiosk.sims.card_reader.take()
    kiosk.poll()

    # Back later: 进度查询 offers 补正 for the case; only the missing material is asked for.
    _identify(kiosk)
    kiosk.send(ev.ServiceChosen(Service.PROGRESS))
    session = kiosk.state.session
    assert session is not None
    (case,) = session.cases
    assert case.needs_supplement and case.missing == ("layout",)
    kiosk.send(ev.SupplementChosen(case.case_id))
    session = kiosk.state.session
    assert kiosk.state.screen is Screen.APPLY_CAPTURE and session is not None
    assert session.missing_materials() == ("layout",)
    assert all(m.library_document_id for m in session.captured)  # reused, not captured again
    kiosk.send(ev.CaptureRequested("layout"), ev.SubmitRequested())
    session = kiosk.state.session
    assert session is not None and session.outcome is not None and session.outcome.accepted
    assert session.outcome.case_id == case.case_id and kiosk.sims.case_service.case_count() == 1
    receipt = kiosk.sims.printer.jobs[-1]
    assert receipt.title == "补正材料接收回执" and case.case_id in _pdf_text(receipt.pdf)

    # The certificate: printed, then a copy with no paper; each outcome goes back to the service.
    kiosk.send(ev.Home(), ev.ServiceChosen(Service.CERTIFICATES))
    session = kiosk.state.session
    assert session is not None
    certificate = session.certificates[0].certificate_id
    kiosk.send(ev.CertificatePrintRequested(certificate))
    kiosk.sims.printer.fault = "media-empty"
    screen = kiosk.send(ev.CertificatePrintRequested(certificate)).screen
    assert screen is Screen.FAULT
    assert kiosk.sims.case_service.print_results == [
        (certificate, "1", "completed", ""),
        (certificate, "2", "failed", "media-empty"),
    ]
