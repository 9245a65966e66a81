"""The window's intake (收件登记) in Debian's Chromium at 1366×768, against a real `hall case-service`:
a clerk signs in, finds the item, types the applicant, ticks the materials, files the case and prints the
receipt. Each journey then reads the case service's records through its API."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from case_service.bootstrap import demo_password
from case_service.domain.applicant import make_credit_code
from case_service.domain.identity import make_id_number
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD
from tests.case_service.web.test_clerk_window import silent_controller

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["silent_controller"]

WALK_IN_ID = make_id_number("51340119850612201")
REP_ID = make_id_number("51340119780203401")
AGENT_ID = make_id_number("51340119920815302")
CREDIT_CODE = make_credit_code("91513401MA62H7K0X")
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


@dataclass
class Clerk:
    """A clerk at the keyboard: every click, choice and typed box counted."""

    page: Any
    clicks: int = 0
    boxes: int = 0

    def click(self, target: Any, *, navigates: bool = False) -> None:
        self.clicks += 1
        if navigates:
            with self.page.expect_navigation():
                target.click()
        else:
            target.click()

    def type(self, target: Any, text: str) -> None:
        self.clicks += 1  # into the box
        self.boxes += 1
        target.click()
        target.press_sequentially(text)

    def enter(self, target: Any) -> None:
        with self.page.expect_navigation():
            target.press("Enter")

    def choose(self, target: Any, label: str) -> None:
        self.clicks += 1
        target.select_option(label=label)

    def scan(self, row: Any, path: Path) -> None:
        """Picking the scan: a click on the file box, then the file (counted as two clicks)."""
        self.clicks += 2
        row.locator("input[type=file]").set_input_files(str(path))


@pytest.fixture
def window(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    """Distinct small PDFs, as the document camera or a scanner makes them."""
    paths = []
    for number in range(8):
        path = tmp_path / f"scan-{number}.pdf"
        path.write_bytes(b"%PDF-1.4\n% scan " + str(number).encode() + b"\n%%EOF\n")
        paths.append(path)
    return paths


@contextlib.contextmanager
def api(base: str, username: str = "clerk1") -> Iterator[httpx.Client]:
    """The case service's API, signed in as `username`: where the journeys read the records."""
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post(
            "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
        )
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


def sign_in_by_keyboard(clerk: Clerk, username: str = "clerk1") -> None:
    """On the login page the session's expiry or a first visit led to: the boxes, then Enter."""
    page = clerk.page
    assert "/web/login" in page.url
    clerk.type(page.locator("input[name=username]"), username)
    clerk.type(page.locator("input[name=password]"), demo_password(username))
    clerk.enter(page.locator("input[name=password]"))


def material_row(page: Any, name: str) -> Any:
    return page.locator(f"tr[data-material='{name}']")


def shoot(page: Any, folder: Path, name: str) -> None:
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"intake_{name}_{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def history(client: httpx.Client, number: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/cases/{number}/history")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


def test_walk_in_intake_of_a_person_with_a_tolerated_material_missing(
    start_hall_process: Any, window: Any, scans: list[Path], screenshot_dir: Path
) -> None:
    base = start_hall_process("case-service").url
    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/intake")
    sign_in_by_keyboard(clerk)
    assert page.url == f"{base}/web/intake"

    started = time.monotonic()
    clicks_before, boxes_before = clerk.clicks, clerk.boxes
    clerk.type(page.locator("#q"), "spjy")
    clerk.enter(page.locator("#q"))
    row = page.locator("table.items tr", has_text="食品(含保健食品)经营许可")
    assert "州市场监管局" in row.inner_text() and "行政许可" in row.inner_text()
    assert "待部门核实" in row.inner_text()  # its time limits await the department's check
    shoot(page, screenshot_dir, "search")
    clerk.click(row.get_by_role("link", name="收件登记"), navigates=True)

    clerk.type(page.locator("#f-name"), "𠮷野家")
    clerk.type(page.locator("#f-id_number"), WALK_IN_ID)
    clerk.type(page.locator("#f-phone"), "0834-3221234")
    for number, name in enumerate(
        [
            "食品经营许可申请书",
            "法定代表人(负责人)身份证明",
            "与食品经营相适应的主要设备设施布局、操作流程等文件",
            "食品安全自查、从业人员健康管理、进货查验记录等保证食品安全的规章制度",
        ]
    ):
        clerk.scan(material_row(page, name), scans[number])
    clerk.choose(material_row(page, "营业执照").locator("select[name$=_status]"), "容缺后补")
    shoot(page, screenshot_dir, "form_person")
    clerk.click(page.locator("#file-case"), navigates=True)
    seconds = time.monotonic() - started
    clicks, boxes = clerk.clicks - clicks_before, clerk.boxes - boxes_before

    assert "/web/intake/receipt/" in page.url
    number = page.inner_text("#case-number")
    received = page.inner_text("#received")
    assert "食品经营许可申请书" in received and "营业执照" not in received
    assert page.inner_text("#tolerated") == "营业执照"
    body = page.inner_text("article")
    assert "𠮷野家" in body and "513***********" in body and WALK_IN_ID not in page.content()
    shoot(page, screenshot_dir, "receipt")
    print(f"\nwalk-in intake: {clicks} clicks ({boxes} boxes typed), {seconds:.1f} s from search to receipt")

    with api(base) as client:
        case = client.get(f"/api/v1/cases/{number}").json()
        assert case["state"] == "submitted" and case["item_code"] == ITEM_FOOD
        assert case["applicant_name"] == "𠮷野家" and case["channel"] == "window"
        stored = {m["name"] for m in client.get(f"/api/v1/cases/{number}/materials").json()}
        assert stored == {
            "食品经营许可申请书",
            "法定代表人(负责人)身份证明",
            "与食品经营相适应的主要设备设施布局、操作流程等文件",
            "食品安全自查、从业人员健康管理、进货查验记录等保证食品安全的规章制度",
        }
        (intake,) = [entry for entry in history(client, number) if entry["action"] == "case.intake"]
        marks = {mark["name"]: mark["status"] for mark in intake["after"]["materials"]}
        assert marks["营业执照"] == "tolerated" and marks["授权委托书及受托人身份证明"] == "missing"
        assert WALK_IN_ID not in str(intake)  # the people are sealed in the record
    with httpx.Client(base_url=base, timeout=30) as browser:
        for cookie in page.context.cookies():
            browser.cookies.set(cookie["name"], cookie["value"])
        pdf = browser.get(f"/web/intake/receipt/{number}/pdf")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert pdf.headers["cache-control"] == "no-store"


def test_a_company_applies_through_an_agent_and_reuses_its_library(
    start_hall_process: Any, window: Any, scans: list[Path], screenshot_dir: Path
) -> None:
    base = start_hall_process("case-service").url
    with api(base) as client:
        # An earlier case of the same legal representative left 公司章程 in the library.
        earlier = client.post(
            "/api/v1/cases",
            json={
                "item_code": ITEM_COMPANY,
                "applicant": {"name": "西昌高原果业有限公司", "id_number": REP_ID},
            },
            headers={"Idempotency-Key": "earlier"},
        ).json()
        client.post(
            f"/api/v1/cases/{earlier['id']}/materials",
            data={"name": "公司章程"},
            files={"file": ("章程.pdf", b"%PDF-1.4 articles", "application/pdf")},
            headers={"Idempotency-Key": "articles"},
        ).raise_for_status()

    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/intake/new?item={ITEM_COMPANY}")
    sign_in_by_keyboard(clerk)
    assert page.url.endswith(f"/web/intake/new?item={ITEM_COMPANY}")
    assert page.locator("#f-company_name").is_hidden()  # a person until the clerk says otherwise
    clerk.click(page.get_by_label("单位（法人或其他组织）"))
    assert page.locator("#f-name").is_hidden() and page.locator("#f-company_name").is_visible()
    clerk.type(page.locator("#f-company_name"), "西昌高原果业有限公司")
    clerk.type(page.locator("#f-credit_code"), CREDIT_CODE.lower())
    clerk.type(page.locator("#f-legal_rep"), "阿苏木呷")
    clerk.type(page.locator("#f-rep_id"), REP_ID)
    clerk.click(page.locator("#f-agent"))
    clerk.type(page.locator("#f-agent_name"), "李代办")
    clerk.type(page.locator("#f-agent_id"), AGENT_ID)
    clerk.type(page.locator("#f-agent_phone"), "+86 138 1234 5678")
    clerk.click(page.locator("#check-library"), navigates=True)
    articles = material_row(page, "公司章程")
    assert "材料库已有" in articles.inner_text()
    assert articles.locator("select[name$=_status]").input_value() == "reused"
    assert page.locator("#f-company_name").input_value() == "西昌高原果业有限公司"  # kept
    for number, name in enumerate(
        ["公司登记(备案)申请书", "股东主体资格证明", "法定代表人、董事、监事和经理的任职文件", "住所使用证明"]
    ):
        clerk.scan(material_row(page, name), scans[number])
    shoot(page, screenshot_dir, "form_company_agent")
    clerk.click(page.locator("#file-case"), navigates=True)
    # The agent's letter was not received: refused, with what was typed kept.
    assert "代办人办理须收取「指定代表或者共同委托代理人授权委托书」" in page.inner_text("#problems")
    assert page.locator("#f-agent_name").input_value() == "李代办"
    assert page.locator("#f-credit_code").input_value() == CREDIT_CODE.lower()
    for number, name in enumerate(
        ["公司登记(备案)申请书", "股东主体资格证明", "法定代表人、董事、监事和经理的任职文件", "住所使用证明"]
    ):
        clerk.scan(material_row(page, name), scans[number])
    clerk.scan(material_row(page, "指定代表或者共同委托代理人授权委托书"), scans[6])
    clerk.click(page.locator("#file-case"), navigates=True)

    assert "/web/intake/receipt/" in page.url, page.inner_text("main")
    number = page.inner_text("#case-number")
    body = page.inner_text("article")
    assert CREDIT_CODE in body and "李代办" in body and "阿苏木呷" in body
    assert "复用材料库" in page.locator("#received tr", has_text="公司章程").inner_text()

    with api(base) as client:
        case = client.get(f"/api/v1/cases/{number}").json()
        assert case["applicant_name"] == "西昌高原果业有限公司" and case["item_code"] == ITEM_COMPANY
        materials = {m["name"]: m["reused"] for m in client.get(f"/api/v1/cases/{number}/materials").json()}
        assert materials["公司章程"] is True
        assert materials["指定代表或者共同委托代理人授权委托书"] is False
        (intake,) = [entry for entry in history(client, number) if entry["action"] == "case.intake"]
        assert intake["after"]["applicant_kind"] == "company"
        assert intake["after"]["company"] == {"name": "西昌高原果业有限公司", "credit_code": CREDIT_CODE}
        assert AGENT_ID not in str(intake) and "李代办" not in str(intake)


def test_bad_input_is_refused_in_chinese_and_keeps_what_was_typed(
    start_hall_process: Any, window: Any, screenshot_dir: Path
) -> None:
    base = start_hall_process("case-service").url
    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/login?error=请拨打400-000-0000领取补贴&next=/web/intake")
    assert page.locator(".flash").count() == 0 and "400-000" not in page.content()
    sign_in_by_keyboard(clerk)
    page.goto(f"{base}/web/intake?error=请拨打400-000-0000领取补贴")
    assert page.locator(".flash").count() == 0  # a link's text never shows in the official banner
    page.goto(f"{base}/web/intake/new?item={ITEM_FOOD}")
    assert page.locator("#f-id_number").get_attribute("maxlength") == "18"
    wrong = WALK_IN_ID[:17] + ("0" if WALK_IN_ID[17] != "0" else "1")
    clerk.type(page.locator("#f-name"), "王小明")
    clerk.type(page.locator("#f-id_number"), wrong)
    clerk.type(page.locator("#f-phone"), "12345")
    clerk.click(page.locator("#file-case"), navigates=True)
    assert page.inner_text("#e-id_number") == "身份证号码校验位不符，请核对后重新输入"
    assert "电话号码应为11位手机号" in page.inner_text("#e-phone")
    assert page.locator("#f-name").input_value() == "王小明"
    assert page.locator("#f-id_number").input_value() == wrong
    assert page.locator("#f-phone").input_value() == "12345"
    assert "String should" not in page.content() and "invalid_input" not in page.content()
    shoot(page, screenshot_dir, "form_errors")

    born_2099 = make_id_number("51340120990101123")
    page.locator("#f-id_number").fill(born_2099)
    page.locator("#f-phone").fill("+86 28 8555 1234")
    with page.expect_navigation():
        page.locator("#file-case").click()
    assert "出生日期不可能" in page.inner_text("#e-id_number")
    assert page.locator("#e-phone").count() == 0  # a landline with +86 is a phone number

    with api(base) as client:
        assert client.get("/api/v1/cases").json()["total"] == 0  # nothing was filed


def test_an_expired_session_returns_to_the_form_after_signing_in(
    start_hall_process: Any, window: Any
) -> None:
    base = start_hall_process("case-service").url
    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/intake/new?item={ITEM_FOOD}")
    sign_in_by_keyboard(clerk)
    answer = page.goto(f"{base}/web/intake/new?item={ITEM_FOOD}")
    assert answer.headers["cache-control"] == "no-store"
    page.locator("#f-name").fill("赵六")
    page.context.clear_cookies()  # the sign-in ran out while the clerk was typing
    with page.expect_navigation():
        page.locator("#file-case").click()
    assert "/web/login" in page.url and "method_not_allowed" not in page.content()
    sign_in_by_keyboard(clerk)
    assert page.url.endswith(f"/web/intake/new?item={ITEM_FOOD}")
    assert page.locator("#intake").is_visible()


def test_only_window_clerks_take_in_cases(start_hall_process: Any) -> None:
    base = start_hall_process("case-service").url
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as stranger:
        answer = stranger.post("/web/intake/new", data={"item": ITEM_FOOD, "name": "x"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/web/login")
    with api(base, "reviewer1") as reviewer:
        reviewer.cookies.set("hall_case_token", reviewer.headers["Authorization"].split()[1])
        del reviewer.headers["Authorization"]
        for path in ("/web/intake?q=spjy", f"/web/intake/new?item={ITEM_FOOD}"):
            assert reviewer.get(path).status_code == 403
        answer = reviewer.post(
            "/web/intake/new",
            data={"item": ITEM_FOOD, "name": "王五", "id_number": WALK_IN_ID, "step": "file"},
        )
        assert answer.status_code == 403
    with api(base) as client:
        assert client.get("/api/v1/cases").json()["total"] == 0


def test_a_filing_goes_on_in_about_a_second_when_the_controller_does_not_answer(
    start_hall_process: Any, silent_controller: int, window: Any, scans: list[Path], screenshot_dir: Path
) -> None:
    """The intake asks the hall controller for the clerk's window on filing; this controller takes the
    connection and never answers. The clerk's click on 提交收件 reaches the receipt in about a second (it
    waited up to five before), and the case is filed with no window."""
    base = start_hall_process("case-service", controller__port=str(silent_controller)).url
    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/intake/new?item={ITEM_FOOD}")
    sign_in_by_keyboard(clerk)
    clerk.type(page.locator("#f-name"), "𠮷野家")
    clerk.type(page.locator("#f-id_number"), WALK_IN_ID)
    for number, name in enumerate(
        [
            "食品经营许可申请书",
            "法定代表人(负责人)身份证明",
            "与食品经营相适应的主要设备设施布局、操作流程等文件",
            "食品安全自查、从业人员健康管理、进货查验记录等保证食品安全的规章制度",
            "营业执照",
        ]
    ):
        clerk.scan(material_row(page, name), scans[number])
    started = time.monotonic()
    clerk.click(page.locator("#file-case"), navigates=True)
    seconds = time.monotonic() - started
    print(f"\nfiling with a controller that does not answer: {seconds:.2f} s from the click to the receipt")
    assert "/web/intake/receipt/" in page.url, page.inner_text("main")
    shoot(page, screenshot_dir, "receipt_no_controller")
    assert seconds < 4.0  # the window's question is capped at ~1 s (window_devices.WINDOW_TIMEOUT_SECONDS)
    number = page.inner_text("#case-number")
    with api(base) as client:
        case = client.get(f"/api/v1/cases/{number}").json()
    assert case["state"] == "submitted" and case["received_window"] is None
