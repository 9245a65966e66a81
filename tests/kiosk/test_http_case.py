"""The kiosk's HTTP adapter against a real case service process (`hall case-service`, SQLite)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from case_service.api.routes.applicant_signin import (
    dev_eid_issuer,
    dev_sms_messages,
    dev_sms_path,
    issue_eid,
)
from case_service.domain.identity import make_id_number
from firmware_sim.idcard.cards import card_read_of
from hall.net import free_port
from hall.privacy import PiiCipher, mask_id_number
from hall.settings import DEV_PII_KEY, Settings
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import IdCard, Language, Service
from kiosk.flow.state import Screen
from kiosk.ports import RejectedError, ServiceUnavailableError
from tests.kiosk.conftest import CASE_DATA, kiosk_secret
from tests.kiosk.harness import Harness

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CARD = IdCard(
    name="张三",
    id_number="11010519491231002X",
    address="北京市西城区",
    read=card_read_of("张三", "11010519491231002X"),
)


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("L", (60, 80), 255).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def service(case_url: str) -> Iterator[HttpCaseService]:
    client = HttpCaseService(case_url, device_id="kiosk-test", secret=kiosk_secret(case_url, "kiosk-test"))
    yield client
    client.close()


def _item_with_two_required(service: HttpCaseService) -> Any:
    for summary in service.search_items(""):
        item = service.item(summary.item_id)
        if item.kiosk_apply and sum(m.required for m in item.materials) >= 2:
            return item
    pytest.fail("the bundled catalogue has no kiosk item with two required materials")


def test_card_gives_a_token_and_the_catalogue_is_there(service: HttpCaseService) -> None:
    found = service.identify_card(CARD)
    assert found.token and found.applicant.masked_id == "110***********002X"
    item = _item_with_two_required(service)
    assert item.time_limit_days > 0 and item.steps_zh[0] == "受理"
    assert service.reachable()


def test_missing_material_then_idempotent_retry(service: HttpCaseService) -> None:
    token = service.identify_card(CARD).token
    item = _item_with_two_required(service)
    required = [m for m in item.materials if m.required]
    given = [{"code": m.code, "image_png_base64": _png()} for m in required[:-1]]
    payload = {"item_id": item.item_id, "form": {"phone": "13812345678"}, "materials": given}
    outcome = service.submit(token, payload, "kiosk-test-key-1")
    assert not outcome.accepted and required[-1].code in outcome.missing
    again = service.submit(token, payload, "kiosk-test-key-1")
    assert again.case_id == outcome.case_id  # the same key never makes a second case
    mine = [case.case_id for case in service.cases(token)]
    assert mine.count(outcome.case_id) == 1
    document = service.outcome_document(token, outcome, Language.ZH)
    assert document is None or document.pdf.startswith(b"%PDF")


def test_refusals_and_outage_are_told_apart(service: HttpCaseService) -> None:
    with pytest.raises(RejectedError) as refused:
        service.identify_card(
            IdCard(
                name="张三", id_number="110105194912310021", read=card_read_of("张三", "110105194912310021")
            )
        )  # wrong check digit
    assert refused.value.reason == "identify_rejected"
    with pytest.raises(RejectedError):
        service.item("no-such-item")
    away = HttpCaseService(f"http://127.0.0.1:{free_port()}", device_id="kiosk-test", secret="x")
    with pytest.raises(ServiceUnavailableError):
        away.identify_card(CARD)
    assert not away.reachable()
    away.close()


class Switch:
    """The real adapter behind a switch: off, it behaves as an unreachable service."""

    def __init__(self, real: HttpCaseService) -> None:
        self.real = real
        self.on = True

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                if name == "reachable":
                    return False
                raise ServiceUnavailableError("switched off")
            return method(*args, **kwargs)

        return call


def test_kiosk_keeps_the_submission_while_away_and_sends_it_once(
    service: HttpCaseService, tmp_path: Path
) -> None:
    switch = Switch(service)
    kiosk = Harness(tmp_path, case_service=switch)
    try:
        item = _item_with_two_required(service)
        kiosk.send(ev.Touched(), ev.LanguageChosen(Language.ZH))
        kiosk.sims.card_reader.place(CARD)
        assert kiosk.poll().screen is Screen.MENU
        session = kiosk.state.session
        assert session is not None and session.token
        token = session.token
        before = len(service.cases(token))
        kiosk.send(ev.ServiceChosen(Service.APPLY), ev.ItemChosen(item.item_id), ev.ApplyChosen())
        kiosk.send(ev.FormConfirmed(), *(ev.CaptureRequested(m.code) for m in item.materials if m.required))
        switch.on = False
        kiosk.send(ev.SubmitRequested())
        session = kiosk.state.session
        assert session is not None and session.outcome is not None and session.outcome.queued
        assert len(list(kiosk.outbox.folder.glob("*.sub"))) == 1
        switch.on = True
        after = kiosk.poll()  # the watcher sees the service back; the flow flushes the outbox
        assert after.service_online and after.outbox_pending == 0
        assert list(kiosk.outbox.folder.glob("*.sub")) == []
        kiosk.runner.perform([fx.FlushOutbox()])  # a second flush finds nothing to send
        kiosk.settle()
        assert len(service.cases(token)) == before + 1
    finally:
        kiosk.close()


LI_SI = make_id_number("11010519750615003")


def _dev_secret_key() -> str:
    default = Settings.model_fields["secret_key"].default
    return str(default.get_secret_value())


def _last_code(case_url: str, phone: str) -> str:
    cipher = PiiCipher.from_config(DEV_PII_KEY)
    messages = dev_sms_messages(dev_sms_path(CASE_DATA[case_url]), cipher)
    message = next(message for message in reversed(messages) if message["phone"] == phone)
    return "".join(ch for ch in message["text"] if ch.isdigit())[:6]


def test_eid_qr_sign_in(service: HttpCaseService) -> None:
    issuer = dev_eid_issuer(_dev_secret_key())
    found = service.identify_qr(issue_eid(issuer, "李四", LI_SI))
    assert found.applicant.name == "李四" and found.applicant.masked_id == mask_id_number(LI_SI)
    assert found.token and service.cases(found.token) == ()
    with pytest.raises(RejectedError) as forged:
        service.identify_qr(issue_eid(Ed25519PrivateKey.generate(), "李四", LI_SI))
    assert forged.value.reason == "qr_invalid"
    with pytest.raises(RejectedError) as junk:
        service.identify_qr("https://example.com/not-an-eid")
    assert junk.value.reason == "qr_invalid"


def test_phone_and_code_sign_in(service: HttpCaseService, case_url: str) -> None:
    card = IdCard(
        name="赵六",
        id_number=make_id_number("11010519800101001"),
        read=card_read_of("赵六", make_id_number("11010519800101001")),
    )
    phone = "13700001234"
    token = service.identify_card(card).token
    item = _item_with_two_required(service)
    payload = {"item_id": item.item_id, "form": {"phone": phone}, "materials": []}
    case = service.submit(token, payload, "phone-sign-in-1")

    service.send_code(phone)
    code = _last_code(case_url, phone)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(RejectedError) as refused:
        service.identify_phone(phone, wrong)
    assert refused.value.reason == "code_wrong"
    found = service.identify_phone(phone, code)
    assert found.applicant.name == "赵六" and found.applicant.phone == phone
    assert [c.case_id for c in service.cases(found.token)] == [case.case_id]
    with pytest.raises(RejectedError) as again:
        service.send_code(phone)  # within the minute
    assert again.value.reason == "code_too_many"

    stranger = "13900009876"
    service.send_code(stranger)
    with pytest.raises(RejectedError) as unknown:
        service.identify_phone(stranger, _last_code(case_url, stranger))
    assert unknown.value.reason == "phone_unknown"


def test_every_case_state_has_the_kiosks_english() -> None:
    from hall.case_api import CaseState
    from kiosk.adapters.http_case import STATE_EN

    assert set(STATE_EN) == set(CaseState)
    assert all(stage and step for stage, step in STATE_EN.values())
