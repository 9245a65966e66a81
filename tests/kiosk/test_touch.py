"""The kiosk touched on the glass (Kivy's input under Xvfb) against the real case service: the buttons a
person sees answer a touch, the next person finds nothing of the last one, ratings reach the service.

Each test starts `python -m tests.kiosk.touching` (the real app) with a scenario of tests/kiosk/
touch_scenarios.py and reads its report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest

from case_service.api.schemas import ItemIn
from firmware_sim.idcard.cards import card_read_of
from hall.display import VirtualDisplay
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import IdCard
from tests.fixtures.hall import HallProcess
from tests.fixtures.mqtt import Broker
from tests.kiosk.conftest import kiosk_secret
from tests.kiosk.hall_parts import Lockers, controller_with_lockers
from tests.kiosk.staff import Staff, _png
from tests.kiosk.touch_scenarios import person
from tests.kiosk.touching import touched

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def running_controller(start_hall_process: Callable[..., HallProcess], mosquitto: Broker) -> dict[str, Any]:
    """`hall controller` on the test's Mosquitto; what `touched` needs to link the kiosk to it."""
    controller = start_hall_process("controller", mqtt_url=mosquitto.url)
    assert controller.url is not None
    return {"settings": {"mqtt_url": mosquitto.url}, "controller_url": controller.url}


def submitted_case(case_url: str, name: str, key: str, phone: str = "") -> tuple[Any, Any]:
    """(the outcome, the item) of a complete application the person `name` submitted through the API, as
    a kiosk does (the first item open to kiosks, each of its materials given; their phone, if given)."""
    identity = person(name)
    service = HttpCaseService(
        case_url, device_id="kiosk-touch-check", secret=kiosk_secret(case_url, "kiosk-touch-check")
    )
    card = IdCard(identity.name, identity.id_number, read=card_read_of(identity.name, identity.id_number))
    item = next(s for s in service.search_items("") if service.item(s.item_id).kiosk_apply)
    token = service.identify_card(card).token
    given = [{"code": m.code, "image_png_base64": _png()} for m in service.item(item.item_id).materials]
    form = {"phone": phone} if phone else {}
    return service.submit(token, {"item_id": item.item_id, "form": form, "materials": given}, key), item


@pytest.mark.parametrize("language", ["zh", "en"])
def test_identify_buttons_answer_a_touch(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """手机号 + 验证码 and 无需登录：证照核验 under the card prompt: touched, each opens its way."""
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "identify_buttons", language)
    assert report["notes"]["method"] == "phone"
    assert report["notes"]["frames_overlapping"] <= 1  # no screen drew over another while switching


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_person_signs_in_by_phone_and_code_and_the_next_by_an_eid_qr(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """手机号 + 验证码 touched by a person whose case gave their phone: the number typed on the pad, the
    code the case service texted (its development SMS sink) typed, 登录: the menu, the number never shown
    whole. Then an e-ID QR code held up to the scanner (the hall simulator's, the development issuer)
    signs the next person in."""
    from case_service.api.routes.applicant_signin import dev_sms_path
    from firmware_sim.simulator.bench import SAMPLE_PEOPLE
    from hall.privacy import mask_name
    from tests.kiosk.conftest import CASE_DATA

    phone = "13700001111" if language == "zh" else "13700002222"
    submitted_case(case_url, f"钟phone{language}", f"phone-{language}", phone=phone)  # the service knows it
    elder = next(p for p in SAMPLE_PEOPLE if p.key == "elder")
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "phone_and_eid_sign_in",
        language,
        phone=phone,
        sms_path=str(dev_sms_path(CASE_DATA[case_url])),
        eid="elder",
    )
    notes = report["notes"]
    assert notes["sent"] == "code_sent"
    assert notes["phone_signed_in"]
    assert all(phone not in shown for shown in notes["phone_shown"] + notes["phone_menu"]), notes
    assert notes["eid_name"] == mask_name(elder.identity.name)
    assert mask_name(elder.identity.name) in notes["greeting"]


def test_every_visible_button_does_something(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path
) -> None:
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "every_button", name="钱touch")
    assert len(report["notes"]["touched"]) >= 8


@pytest.mark.parametrize("leave", ["finish", "walk_away"])
def test_the_next_person_finds_nothing_of_the_last(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, leave: str
) -> None:
    """A fills the form and searches, then leaves (结束办理, or walks away); B signs in: no widget of any
    screen holds A's name, ID number, phone or search words."""
    quick = {"kiosk__idle_timeout_seconds": "12", "kiosk__countdown_seconds": "3"}
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "next_person",
        settings=quick if leave == "walk_away" else None,
        first=f"赵{leave}",
        second=f"孙{leave}",
        leave=leave,
    )
    assert report["notes"]["a_seen"], "person A's data was never on the form: the test proves nothing"
    assert report["notes"]["left"] == []


def test_a_rating_reaches_the_case_service(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path
) -> None:
    """A finished (not accepted) case rated five stars at the kiosk: thanked, and the service holds it."""
    name = "周rating"
    staff = Staff(case_url)
    outcome, _item = submitted_case(case_url, name, "rate-1")
    staff.act(outcome.case_id, "not_accept", "clerk1", reason="不属于本机关职权范围")
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "rate", name=name, case=outcome.case_id)
    assert report["notes"]["notice"] == "thanks_rating"
    history = staff.call("GET", f"/cases/{outcome.case_id}/history", "clerk1")
    rated = [entry["after"] for entry in history if entry["action"] == "case.evaluate"]
    assert [entry["score"] for entry in rated] == [5]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_submission_is_called_submitted_with_what_comes_next_and_by_when(
    xvfb: VirtualDisplay,
    case_url: str,
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """公证机构设立、变更 with no material list (an administrator's version). The kiosk says 已提交 (not
    已受理, not 材料齐全), that the window reviews it and by which date (the case service's), and prints a
    提交回执, not a 受理通知书. Reports (not asserts) the seconds from card to the receipt in hand."""
    from hall.privacy import mask_phone

    name = f"吴submit{language}"
    phone = "13600003333" if language == "zh" else "13600004444"
    staff = Staff(case_url)
    code = next(i["code"] for i in staff.call("GET", "/items?q=公证机构", "admin")["items"])
    item = staff.call("GET", f"/items/{code}", "admin")
    # The bundled guide lists its papers; an administrator's version without a list is what is tested.
    body = {name: item[name] for name in ItemIn.model_fields if name in item}
    staff.call("PUT", f"/items/{code}", "admin", json={**body, "materials": []})
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "apply_without_a_list",
        language,
        name=name,
        query="公证机构",
        phone=phone,
    )
    notes = report["notes"]
    capture, done = "\n".join(notes["capture_screen"]), "\n".join(notes["done_screen"])
    for untrue in ("材料齐全", "All materials present", "已受理", "受理通知书", "Accepted"):
        assert untrue not in capture + done
    assert notes["submit_in_view"]  # 提交 on the glass without scrolling
    status = staff.call("GET", f"/cases/{notes['case']}/status", "clerk1")
    assert status["state"] == "submitted"
    # The phone typed on the form's pad is the one shown (masked) and the one the case is filed with.
    assert notes["phone_on_form"] and all(phone not in shown for shown in notes["phone_on_form"])
    assert staff.call("GET", f"/cases/{notes['case']}", "clerk1")["applicant_phone"] == mask_phone(phone)
    review_by = status["stage_due_on"]
    assert review_by and review_by in done
    assert ("已提交，尚未受理" if language == "zh" else "submitted, not yet accepted") in done
    printed = sorted((tmp_path / "var" / "kiosk").glob("*/printed/*.pdf"))
    assert len(printed) == 1, printed
    paper = "\n".join(page.extract_text() for page in pypdf.PdfReader(printed[0]).pages)
    assert ("提交回执" if language == "zh" else "Submission receipt") in paper
    assert "受理通知书" not in paper and "Acceptance receipt" not in paper
    assert notes["case"] in paper and review_by in paper
    with capsys.disabled():  # a measurement for the report, never a timed assertion
        print(f"\n[{language}] card on the reader → receipt printed: {notes['card_to_notice_seconds']} s")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_guide_lists_the_whole_catalogue_and_every_quick_word_finds_items(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    total = httpx.get(f"{case_url}/api/v1/items", params={"status": "active", "limit": 1}).json()["total"]
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "guide_words", language, name=f"郑{language}")
    assert report["notes"]["listed"] == total > 50
    found = report["notes"]["found"]
    assert len(found) >= 4, found  # the chips, and the hint's example
    assert all(count > 0 for count in found.values()), found


def test_a_second_ticket_is_refused_with_its_own_reason(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    """取号 touched twice against the running controller: the second is refused as "already holding a
    ticket", not shown as a system error."""
    hall = running_controller(start_hall_process, mosquitto)
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "second_ticket",
        **hall,
        name="冯ticket",
    )
    assert report["notes"]["notices"] == ["printed_ticket", "ticket_already_held"]
    # The ticket printed is an 80 mm slip with its number, not an A4 page.
    (printed,) = sorted((tmp_path / "var" / "kiosk").glob("*/printed/*.pdf"))
    (slip,) = pypdf.PdfReader(printed).pages
    assert round(float(slip.mediabox.width) / 72 * 25.4) == 80, slip.mediabox
    assert float(slip.mediabox.height) < float(slip.mediabox.width) * 2
    paper = slip.extract_text()
    assert report["notes"]["ticket"] in paper and "前面还有" in paper and "请留意叫号" in paper


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_ticket_with_the_printer_out_of_paper_is_still_given_and_shown(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
) -> None:
    """The hall simulator's printer out of paper, then 取号 touched: the running controller holds the
    ticket, the kiosk shows its number and says it could not be printed; nothing is printed."""
    hall = running_controller(start_hall_process, mosquitto)
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "ticket_without_paper",
        language,
        **hall,
        name=f"龚paper{language}",
    )
    notes = report["notes"]
    assert notes["notice"] == "ticket_not_printed" and notes["number_shown"], notes
    record = httpx.get(f"{hall['controller_url']}/api/v1/ext/queue/tickets/{notes['ticket']}")
    assert record.status_code == 200 and record.json()["source"] == "kiosk", record.text
    assert sorted((tmp_path / "var" / "kiosk").glob("*/printed/*.pdf")) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_certificate_is_verified_by_touch_with_no_sign_in(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """A certificate sealed by staff at the real case service; at the kiosk, nobody signed in, 证照核验
    touched and its QR held up to the hall simulator's scanner: 有效, with the holder's masked name and the
    certificate's number; the same QR with its signature altered: 伪造/无效."""
    from tests.kiosk.staff import sealed_certificate

    service = HttpCaseService(
        case_url, device_id="kiosk-touch-check", secret=kiosk_secret(case_url, "kiosk-touch-check")
    )
    identity = person(f"邱verify{language}")
    card = IdCard(identity.name, identity.id_number, read=card_read_of(identity.name, identity.id_number))
    certificate = sealed_certificate(service, Staff(case_url), card)
    qr = certificate["qr_text"]
    forged = qr[:-8] + ("A" if qr[-8] != "A" else "B") + qr[-7:]
    report = touched(
        xvfb, case_url, tmp_path, screenshot_dir, "verify_by_touch", language, qr=qr, forged=forged
    )
    notes = report["notes"]
    assert notes["verdicts"][0] == "valid" and notes["verdicts"][1] != "valid", notes["verdicts"]
    valid_screen = "\n".join(notes["screens"][0])
    from hall.privacy import mask_name

    assert certificate["number"] in valid_screen and mask_name(identity.name) in valid_screen
    assert identity.name not in valid_screen


def _queue_json(folder: Path, **business: Any) -> None:
    """The controller's queue configuration (`<data dir>/queue.json`): the demo hall's, with the kiosk's
    service (business) changed as given."""
    from hall_controller.queue.config import demo_config

    config = demo_config()
    services = tuple(
        service.model_copy(update=business) if service.code == "business" else service
        for service in config.services
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "queue.json").write_text(config.model_copy(update={"services": services}).model_dump_json())


def _closed_now() -> Any:
    """An issuing window of one minute that is not now, in China's time or the machine's."""
    import datetime as dt

    from hall_controller.queue.config import IssueWindow

    now = [dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).time(), dt.datetime.now().time()]
    for hour in (3, 15):
        window = IssueWindow(start=dt.time(hour, 0), end=dt.time(hour, 1))
        if all(not (dt.time(hour - 1, 0) <= moment <= dt.time(hour + 1, 0)) for moment in now):
            return window
    raise AssertionError("no closed window found")


@pytest.mark.parametrize("refusal", ["ticket_outside_hours", "ticket_cap_reached"])
def test_the_controllers_refusals_are_told_in_their_own_words(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    screenshot_dir: Path,
    tmp_path: Path,
    refusal: str,
) -> None:
    """The running controller configured closed now (an issuing window of one minute elsewhere in the
    day), or with a daily cap of one ticket: 取号 touched is answered in the refusal's own words on the
    screen, not 系统暂时出错. With the cap, the first person gets the one ticket, the second is refused."""
    if refusal == "ticket_outside_hours":
        _queue_json(tmp_path / "var", issue_windows=(_closed_now(),))
        names, expected = ["秦closed"], [[refusal, True]]
    else:
        _queue_json(tmp_path / "var", daily_cap=1)
        names, expected = ["秦cap1", "秦cap2"], [["printed_ticket", True], [refusal, True]]
    hall = running_controller(start_hall_process, mosquitto)
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "tickets_refused",
        **hall,
        names=names,
    )
    assert report["notes"]["answers"] == expected


@pytest.mark.parametrize("language", ["zh", "en"])
def test_chinese_typed_on_the_pinyin_keyboard_and_by_initials(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """s-h-i-p-i-n touched on the kiosk's keyboard offers 食品; touched, it lists the real catalogue's 食品
    items; s-p-j-y and 搜索 find 食品(含保健食品)经营许可 first. In English the rows give the pinyin."""
    report = touched(
        xvfb, case_url, tmp_path, screenshot_dir, "pinyin_search", language, name=f"陈py{language}"
    )
    notes = report["notes"]
    assert notes["typed"] == "shipin"
    assert notes["offered"][0] == "食品", notes["offered"]
    catalogue = httpx.get(f"{case_url}/api/v1/items", params={"q": "食品", "status": "active", "limit": 100})
    with_food = sorted(item["name"] for item in catalogue.json()["items"])
    assert with_food and sorted(notes["shipin_found"]) == with_food == sorted(notes["shipin_rows"])
    assert notes["initials_found"][0] == "食品(含保健食品)经营许可" == notes["initials_rows"][0]
    if language == "en":
        assert all(
            "\n" in row and any(mark in row for mark in "āáǎàēéěèīíǐìōóǒòūúǔù") for row in notes["rows_shown"]
        )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_theme_department_and_group_is_browsed_by_touch(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """按主题 / 按部门 / 按办事对象 / 按生活事件, and every value each offers, touched: each lists exactly the
    catalogue's items of it (the service's own filters for theme and life event)."""
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "browse", language, name=f"卫browse{language}")
    listed = report["notes"]["listed"]
    everything = httpx.get(f"{case_url}/api/v1/items", params={"status": "active", "limit": 200}).json()[
        "items"
    ]
    expected: dict[str, dict[str, list[str]]] = {
        "category": {},
        "department_zh": {},
        "applicant_type": {},
        "life_events": {},
    }
    for item in everything:
        for event in item["life_events"]:
            expected["life_events"].setdefault(event, []).append(item["name"])
        for facet, field in (
            ("category", "category"),
            ("department_zh", "department"),
            ("applicant_type", "applicant_type"),
        ):
            expected[facet].setdefault(item[field], []).append(item["name"])
    for facet, by_value in expected.items():
        assert set(listed[facet]) == set(by_value), facet  # every value offered, and each touched
        for value, names in by_value.items():
            assert sorted(listed[facet][value]) == sorted(names), (facet, value)
    by_service = httpx.get(
        f"{case_url}/api/v1/items", params={"status": "active", "category": "公民类", "limit": 200}
    )
    assert sorted(listed["category"]["公民类"]) == sorted(i["name"] for i in by_service.json()["items"])
    assert {"就业", "开办企业", "注销歇业"} <= set(listed["life_events"])
    for event, names in listed["life_events"].items():
        of_event = httpx.get(
            f"{case_url}/api/v1/items", params={"status": "active", "life_event": event, "limit": 200}
        )
        assert sorted(names) == sorted(i["name"] for i in of_event.json()["items"]), event
    assert "企业设立、变更、注销登记" in listed["life_events"]["开办企业"]
    assert "教师资格认定" in listed["life_events"]["就业"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_complaint_filed_at_the_kiosk_is_registered_with_the_cases_department(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """投诉 touched, then 超过承诺时限仍未办结 under the person's case: the case service holds a kiosk
    complaint about that case, routed to its department, in Chinese; the kiosk names its reply date."""
    name = f"邹complaint{language}"
    outcome, item = submitted_case(case_url, name, f"complaint-{language}")
    report = touched(
        xvfb, case_url, tmp_path, screenshot_dir, "complaint", language, name=name, case=outcome.case_id
    )
    assert report["notes"]["notice"] == "complaint_filed"
    filed = [
        c for c in Staff(case_url).call("GET", "/complaints", "clerk1") if c["case_number"] == outcome.case_id
    ]
    assert len(filed) == 1, filed
    assert filed[0]["channel"] == "kiosk" and filed[0]["summary"] == "超过承诺时限仍未办结"
    assert filed[0]["department"] == item.department_zh and filed[0]["status"] == "open"
    assert any(filed[0]["reply_by"] in shown for shown in report["notes"]["shown"]), report["notes"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_estimated_due_date_is_marked_estimated(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """An accepted case: the progress screen gives the promised completion date (decision_due_on, not the
    stage's), marked 预计 / estimated exactly when the case service says the date is estimated (a year
    whose holidays are not yet announced)."""
    name = f"蒋due{language}"
    staff = Staff(case_url)
    outcome, _item = submitted_case(case_url, name, f"due-{language}")
    staff.act(outcome.case_id, "accept", "clerk1")
    status = staff.call("GET", f"/cases/{outcome.case_id}/status", "clerk1")
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "progress", language, name=name)
    shown = "\n".join(report["notes"]["progress_screen"])
    due = status["decision_due_on"]
    assert due, status
    marked = {"zh": f"办结期限：{due}（预计）", "en": f"Due: {due} (estimated)"}[language]
    plain = {"zh": f"办结期限：{due}\n", "en": f"Due: {due}\n"}[language]
    if status["due_estimated"]:
        assert marked in shown, shown
    else:
        assert plain in shown and "预计" not in shown and "estimated" not in shown, shown


def test_a_rare_character_in_a_name_is_drawn_not_boxed(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path
) -> None:
    """𠮷 (U+20BB7) is not in the CJK font: the greeting and the apply form's name field (a TextInput)
    draw it from the extension font."""
    from hall.fonts import extension_font_path

    font = extension_font_path()
    assert font is not None, "fonts-hanazono is part of scripts/bootstrap.sh"
    report = touched(xvfb, case_url, tmp_path, screenshot_dir, "rare_name", name="𠮷田")
    drawn = report["notes"]["drawn"]
    assert drawn, "the name was not shown"
    for label in drawn:
        assert label["core"] == "MarkupLabel" and f"[font={font}]𠮷[/font]" in label["drawn"], label
        assert label["width"] > 0
    field = report["notes"]["field"]  # the apply form's name field (a TextInput draws its own lines)
    assert field["text"] == "𠮷田" and field["as_extension_font"] and not field["as_plain_font"], field
    assert abs(field["text_width"] - field["size"][0]) <= 2, field  # the cursor: after the last character


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_81_year_old_is_offered_elder_mode_and_asked_before_losing_an_application(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """Born 1945: elder mode offered at sign-in, turned on by touch (larger type, all nine services);
    the phone typed on the form's digit pad; 结束办理 asks first, 继续办理 keeps the form, 确定结束 ends."""
    name = f"严elder{language}"
    report = touched(
        xvfb, case_url, tmp_path, screenshot_dir, "elder", language, name=name, born="1945-05-01"
    )
    notes = report["notes"]
    assert notes["offer"] == "elder_offer"
    assert notes["scale"] > 1.0
    assert len(notes["services"]) == 9, notes["services"]
    assert notes["kept"] == ["apply_form", "13812345678"]
    # In elder mode's larger type, 立即申请 and 下一步 are on the glass without scrolling.
    assert notes["primary_in_view"] == {"item": True, "apply_form": True}, notes["primary_in_view"]
    assert notes["ended"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_81_year_old_is_offered_a_priority_ticket_and_the_controller_holds_it_as_one(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
) -> None:
    """Born 1945 (age from the ID card): the greeting offers a priority ticket; 取优先号 touched, the
    running controller's record of the ticket is of its elderly class, taken at the kiosk."""
    hall = running_controller(start_hall_process, mosquitto)
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "elder_ticket",
        language,
        **hall,
        name=f"韦elder{language}",
        born="1945-05-01",
    )
    notes = report["notes"]
    assert notes["offer"] == "elder_offer" and notes["offer_shown"] and notes["priority_shown"]
    record = httpx.get(f"{hall['controller_url']}/api/v1/ext/queue/tickets/{notes['ticket']}")
    assert record.status_code == 200, record.text
    assert record.json()["priority"] == "elderly" and record.json()["source"] == "kiosk"


def taken_and_closed(hall: Lockers, numbers: list[int]) -> None:
    """Each compartment's door really opened (the firmware_sim board says so); the person takes the papers
    and closes it; the controller then holds every one of them free again."""
    from tests.hall_controller.harness import wait_until

    for number in numbers:
        board, lock = hall.rig.firmware(number)
        assert wait_until(functools.partial(board.truly_open, lock), 10)
        hall.rig.person_takes_item_and_closes(number)

    def states() -> list[str]:
        rows = hall.http.get("/compartments").json()
        held = {r["number"]: r["state"] for r in rows if r["bank_id"] == hall.bank}
        return [held[number] for number in numbers]

    assert wait_until(lambda: states() == ["free"] * len(numbers), 20), states()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_deposit_is_picked_up_at_the_kiosk_by_its_code(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
) -> None:
    """A clerk deposits through the controller's API into a firmware_sim bank; the applicant touches 取件
    (no sign-in), a wrong code is refused in words, the code from the SMS typed on the pad opens the
    compartment the kiosk names; the controller's compartment and audit say so."""
    with controller_with_lockers(mosquitto.url, tmp_path / "controller") as hall:
        bank, http, rig, manager = hall.bank, hall.http, hall.rig, hall.manager

        def deposited(case_id: str) -> tuple[int, str, str]:
            return hall.deposit(case_id, person(case_id).id_number)

        number, code, _qr = deposited(f"kiosk-code-{language}")
        qr_number, _code, qr = deposited(f"kiosk-qr-{language}")
        card_number, _code, _qr = deposited(f"kiosk-card-{language}")
        jammed_number, jammed_code, _qr = deposited(f"kiosk-jam-{language}")
        jammed_board, jammed_lock = rig.firmware(jammed_number)
        jammed_board.jam(jammed_lock, True)  # its door will not open
        wrong = str((int(code) + 1) % 10**8).zfill(8)

        report = touched(
            xvfb,
            case_url,
            tmp_path,
            screenshot_dir,
            "locker_pickup",
            language,
            settings={"mqtt_url": mosquitto.url},
            controller_url=hall.url,
            code=code,
            wrong=wrong,
            bank=bank,
            compartment=number,
            qr=qr,
            qr_compartment=qr_number,
            card_holder=f"kiosk-card-{language}",
            jammed_code=jammed_code,
        )
        notes = report["notes"]
        assert notes["refused"] == "locker_wrong_code"
        assert notes["opened"] == [bank, str(number)]
        assert notes["left"] == []
        assert notes["qr_refused"] == "locker_wrong_qr"
        assert notes["qr_opened"] == [bank, str(qr_number)]
        assert notes["card_opened"] == [bank, str(card_number)] and not notes["card_signed_in"]
        assert notes["jammed"] == "locker_jammed" and notes["jammed_shown"], notes
        # The record: the door really opened, the person took the papers and closed it.
        taken_and_closed(hall, [number])
        trail = http.get("/audit", headers=manager).json()
        actions = [(row["action"], row["actor"]) for row in trail]
        assert ("pickup_refused", "applicant") in actions, actions
        assert ("unlock", "applicant:code") in actions, actions
        assert ("unlock", "applicant:qr") in actions, actions
        assert ("unlock", "applicant:id_card") in actions, actions
        assert any(action == "delivered" for action, _actor in actions), actions
        refused = [row["detail"] for row in trail if row["action"] == "pickup_refused"]
        assert [row["why"] for row in refused] == ["wrong code", "wrong QR"], refused
        assert all(row["source"] == "kiosk:kiosk-touch" for row in refused), refused
        # The code is spent: the same code typed again is "already collected", not "wrong".
        again = http.post("/pickups", json={"bank_id": bank, "method": "code", "value": code})
        assert again.status_code == 400 and again.json()["error"]["code"] == "already_collected"


@pytest.mark.parametrize(("language", "orientation"), [("zh", "portrait"), ("en", "landscape")])
def test_a_complaint_about_the_hall_is_filed_by_touch_with_or_without_signing_in(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str, orientation: str
) -> None:
    """对大厅投诉 touched under the card prompt (no sign-in): a topic, a phone on the digit pad (shown
    masked), sent; another with no phone (anonymous: the screen says nobody can be told); then a signed-in
    person from 投诉. The case service holds each: the hall's office, the topic, the kiosk channel, the
    phone masked (encrypted at rest), the reply date the kiosk named."""
    staff = Staff(case_url)
    before = {c["id"] for c in staff.call("GET", "/complaints?limit=500", "manager1")}
    phone = "13912340000" if language == "zh" else "13912341111"
    name = f"蔡hall{language}"
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "hall_complaint",
        language,
        orientation=orientation,
        name=name,
        phone=phone,
    )
    notes = report["notes"]
    assert notes["anonymous_note"]
    assert notes["phone_shown"] and notes["phone_in_clear"] == [], notes
    assert notes["left_after_filing"] == [], notes
    assert (notes["with_phone"], notes["anonymous"], notes["signed_in"]) == (
        "hall_complaint_filed",
        "hall_complaint_filed_anonymous",
        "hall_complaint_filed_no_phone",
    )
    filed = [c for c in staff.call("GET", "/complaints?limit=500", "manager1") if c["id"] not in before]
    filed.sort(key=lambda c: c["id"])
    assert [(c["topic"], c["channel"], c["case_number"], c["contact_phone"]) for c in filed] == [
        ("waiting", "kiosk", None, "139****" + phone[-4:]),
        ("broken_machine", "kiosk", None, None),
        ("rude_clerk", "kiosk", None, None),
    ]
    assert {c["department"] for c in filed} == {"阿坝州政务服务中心"}  # the default hall office
    assert all(c["status"] == "open" for c in filed)
    assert filed[0]["reply_by"] in notes["said"] and filed[1]["reply_by"] in notes["anonymous_said"]
    approver = staff.call("GET", "/complaints?limit=500", "approver1")  # a department head: not theirs
    assert not {c["id"] for c in approver} & {c["id"] for c in filed}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_everyday_words_typed_by_initials_find_their_life_events_items(
    xvfb: VirtualDisplay, case_url: str, screenshot_dir: Path, tmp_path: Path, language: str
) -> None:
    """Issue 17's `kd` → 开店: k and d touched on the kiosk's pinyin keyboard offer 开店 (a word of the life
    event 开办企业, in no item's name); 开店 touched, the rows are exactly the case service's items for
    q=开店, in its order: the 开办企业 items."""
    report = touched(
        xvfb, case_url, tmp_path, screenshot_dir, "everyday_words_search", language, name=f"龙kd{language}"
    )
    notes = report["notes"]
    assert notes["typed"] == "kd"
    assert notes["offered"][0] == "开店", notes["offered"]
    params: dict[str, str | int] = {"q": "开店", "status": "active", "limit": 100}
    answer = httpx.get(f"{case_url}/api/v1/items", params=params).json()
    served = answer["items"]
    assert served and answer["total"] == len(served)
    assert all("开办企业" in item["life_events"] and "开店" not in item["name"] for item in served)
    assert notes["found"] == [item["code"] for item in served]
    assert notes["rows"] == [item["name"] for item in served]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_strangers_wrong_codes_at_the_kiosk_leave_the_rightful_person_other_ways(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
) -> None:
    """Ten wrong codes typed on the kiosk's pad lock this kiosk's code entry for 15 minutes (per source,
    by design); the rightful person's right code is then refused in words that say for how many minutes
    and what still opens; their ID card laid on the kiosk's reader opens their compartment, and another
    person's SMS QR opens theirs, at the same kiosk. The controller's compartment and audit say so."""
    with controller_with_lockers(mosquitto.url, tmp_path / "controller") as hall:
        bank, http, manager = hall.bank, hall.http, hall.manager
        holder, other = f"kiosk-lock-{language}", f"kiosk-lockqr-{language}"
        number, code, _qr = hall.deposit(holder, person(holder).id_number)
        qr_number, qr_code, qr = hall.deposit(other, person(other).id_number)
        wrongs = [str((int(code) + 7919 * (i + 1)) % 10**8).zfill(8) for i in range(10)]
        assert not {code, qr_code} & set(wrongs)

        report = touched(
            xvfb,
            case_url,
            tmp_path,
            screenshot_dir,
            "locker_lock_out",
            language,
            settings={"mqtt_url": mosquitto.url},
            controller_url=hall.url,
            wrongs=wrongs,
            code=code,
            card_holder=holder,
            qr=qr,
        )
        notes = report["notes"]
        assert notes["refusals"] == ["locker_wrong_code"] * 10, notes["refusals"]
        assert notes["locked"] == "locker_locked_out_for", notes
        assert notes["locked_params"] == {"minutes": "15"}, notes
        said = notes["locked_said"]
        assert notes["locked_shown"], said
        ways = {
            "zh": ["15分钟", "二维码", "身份证", "取件柜自带的键盘", "窗口"],
            "en": ["15 min", "QR", "ID card", "keypad", "window"],
        }[language]
        assert all(way in said for way in ways), said
        assert notes["card_opened"] == [bank, str(number)]
        assert notes["qr_opened"] == [bank, str(qr_number)]
        # The record: both doors really opened; taken and closed, the compartments are free again.
        taken_and_closed(hall, [number, qr_number])
        trail = http.get("/audit", headers=manager).json()
        refused = [row["detail"] for row in trail if row["action"] == "pickup_refused"]
        assert [(row["why"], row["source"]) for row in refused] == [("wrong code", "kiosk:kiosk-touch")] * 10
        unlocks = [row["actor"] for row in trail if row["action"] == "unlock"]
        assert "applicant:id_card" in unlocks and "applicant:qr" in unlocks, unlocks
        assert "applicant:code" not in unlocks, unlocks
        assert sum(row["action"] == "delivered" for row in trail) == 2, trail


@pytest.mark.parametrize(("language", "orientation"), [("zh", "portrait"), ("en", "landscape")])
def test_the_docked_keyboard_leaves_the_field_being_typed_in_view(
    xvfb: VirtualDisplay,
    case_url: str,
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
    orientation: str,
) -> None:
    """Each text field a person types in (the guide's search, the apply form's typed fields) touched:
    Kivy's docked keyboard comes up (keyboard_mode systemanddock, as `hall kiosk` sets it) and the
    field lies whole on the window above the keyboard's top edge."""
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "docked_keyboard",
        language,
        orientation=orientation,
        name=f"钱keys{language}",
        item="食品(含保健食品)经营许可",
    )
    places = report["notes"]["places"]
    # The guide's search field opens the kiosk's own pinyin keyboard below it; Kivy's docked Latin
    # keyboard over it would hide that keyboard (landscape) and the list a person then touches.
    guide = places.pop("guide")
    assert guide["own_keyboard"] and guide["keyboard_top"] == 0, guide
    width, height = guide["window"]
    left, bottom, right, top = guide["field"]
    assert 0 <= left < right <= width and 0 <= bottom < top <= height, guide
    for where, place in places.items():  # the apply form's typed fields: Kivy's docked keyboard
        width, height = place["window"]
        assert place["keyboard_top"] > 0, (where, place)  # the keyboard did dock
        left, bottom, right, top = place["field"]
        assert 0 <= left < right <= width and top <= height, (where, place)
        assert bottom >= place["keyboard_top"], (where, place)
    report["notes"]["places"]["guide"] = guide


@pytest.mark.parametrize(("language", "orientation"), [("zh", "portrait"), ("en", "landscape")])
def test_elder_mode_keeps_every_service_and_fills_the_screen(
    xvfb: VirtualDisplay,
    case_url: str,
    screenshot_dir: Path,
    tmp_path: Path,
    language: str,
    orientation: str,
) -> None:
    """Elder mode turned on by touch: every service of the normal menu is still there, each whole on the
    glass with no scrolling, and the buttons together span most of the window."""
    report = touched(
        xvfb,
        case_url,
        tmp_path,
        screenshot_dir,
        "elder_menu",
        language,
        orientation=orientation,
        name=f"柴elder{language}",
        born="1945-05-01",
    )
    normal, elder = report["notes"]["normal"], report["notes"]["elder"]
    assert elder["labels"] == normal["labels"] and len(elder["labels"]) == 9, (normal, elder)
    assert all(elder["in_view"].values()), elder["in_view"]
    assert report["clipped"] == [], report["clipped"]
    # Most of the window: 90 % of its width (all but the 40 dp margins) and half its height. The rest of
    # the height is the kiosk's frame, not the menu's to take: the top bar, the bottom bar (返回 / 主菜单
    # / 结束办理) and the greeting with the masked ID take ~45 % of a landscape window (portrait: ~30 %).
    width, height = elder["window"]
    left, bottom, right, top = elder["span"]
    assert (right - left) / width >= 0.9, elder
    assert (top - bottom) / height >= 0.5, elder
