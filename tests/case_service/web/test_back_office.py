"""The back office clicked in Chromium against a real case service (uvicorn in a thread): the reviewer
opens the case with its materials and signs the 承办 opinion point by point, the approver signs the
审批 opinion that decides it, the reviewer makes the certificate from the item's template after a
preview, the sealer seals that certificate; a send-back goes to the window and comes back. Each step
asserts the stored record (the case, its opinions, the audit chain, the certificate) and the PDFs' text."""

from __future__ import annotations

import datetime as dt
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.auth.passwords import hash_secret
from case_service.bootstrap import demo_password
from case_service.certificates.models import CertificateRecord
from case_service.storage.models import AuditEntry, Case, CaseOpinion, SupervisionFeedEntry, User
from tests.case_service.api.test_flows import put_item
from tests.case_service.conftest import ITEM_COMPANY, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]

ITEM = "513200-XK-SJ-0535"  # 药品经营许可: 承办 → 审批 (approval_levels 2), four review points
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def staff_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    yield context.new_page()
    context.close()


def _records(api: CaseApi, case_id: int) -> tuple[Case, list[CaseOpinion], list[AuditEntry], list[Any]]:
    engine = create_engine(str(api.settings.database_url))
    with Session(engine, expire_on_commit=False) as session:
        case = session.get(Case, case_id)
        assert case is not None
        opinions = list(
            session.scalars(
                select(CaseOpinion).where(CaseOpinion.case_id == case_id).order_by(CaseOpinion.id)
            )
        )
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where((AuditEntry.subject_id == str(case_id)) | (AuditEntry.subject_type == "certificate"))
                .order_by(AuditEntry.seq)
            )
        )
        certificates = list(
            session.scalars(select(CertificateRecord).where(CertificateRecord.case_number == case.number))
        )
        session.expunge_all()
    engine.dispose()
    return case, opinions, entries, certificates


def _pdf_text(page: Any, href: str) -> str:
    answer = page.request.get(urllib.parse.urljoin(page.url, href))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf", answer.text()
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.body(), capture_output=True, check=True
    )
    return str(done.stdout.decode())


def _flat(text: str) -> str:
    return "".join(text.split())


def _shoot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"back_office_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _answer_points(page: Any, *, not_met: dict[int, str] | None = None) -> int:
    """Every review point of the opinion form: met, or not met with its note."""
    selects = page.locator("#opinion-form select[name=met]")
    count = int(selects.count())
    for index in range(count):
        if not_met and index in not_met:
            selects.nth(index).select_option("no")
            page.locator("#opinion-form input[name=note]").nth(index).fill(not_met[index])
        else:
            selects.nth(index).select_option("yes")
    return count


def _culture_reviewer(api: CaseApi, username: str, display_name: str) -> None:
    """A reviewer of 州文体旅游局, a department no demo account belongs to."""
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        session.add(
            User(
                username=username,
                display_name=display_name,
                password_hash=hash_secret(demo_password(username)),
                roles=["reviewer"],
                department="州文体旅游局",
            )
        )
        session.commit()
    engine.dispose()


def _open_case(page: Any, base: str, user: str, case_id: int) -> None:
    page.goto(f"{base}/web/logout")
    sign_in(page, base, user)
    page.goto(f"{base}/web/case/{case_id}")


def test_two_levels_of_opinion_then_the_certificate_made_and_sealed(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="欧阳药房")
    api.act(case["id"], "accept", "clerk1")

    # The reviewer opens the case: its materials are previewed beside the opinion form.
    _open_case(page, base, "reviewer1", case["id"])
    assert page.locator(".materials img").count() >= 1
    assert "承办 → 审批" in page.inner_text("#review h2")
    # A point not met cannot come with an agreeing conclusion: refused, and what was typed is kept.
    points = _answer_points(page, not_met={0: "执业药师证书待核"})
    assert points == 4
    page.fill("#opinion-form textarea[name=opinion]", "材料齐全，现场检查合格，建议准予许可。")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "不能同意准予许可" in page.inner_text(".flash.error")
    assert page.locator("#opinion-form textarea[name=opinion]").input_value().startswith("材料齐全")
    _answer_points(page)
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "承办意见已签署" in page.inner_text(".flash.message")
    assert "等待审批环节签署意见" in page.inner_text("#review")
    shot = _shoot(page, screenshot_dir, "reviewer_signed")
    assert shot.stat().st_size > 20_000

    stored, opinions, entries, _ = _records(api, case["id"])
    assert stored.state == "in_review"  # the first opinion started the review
    assert [(o.level, o.signer, o.conclusion) for o in opinions] == [("undertake", "reviewer1", "agree")]
    assert len(opinions[0].findings) == 4 and all(f["met"] for f in opinions[0].findings)
    signed = [e for e in entries if e.action == "case.opinion"]
    assert signed[-1].actor == "staff:reviewer1" and signed[-1].after is not None
    assert signed[-1].after["signer_name"] == "市场监管局 李强"

    # The item needs a site visit before its decision (test_site_visit_journey clicks one): concluded.
    api.conclude_site_visit(case["id"])
    # The approver signs the last level: the decision.
    _open_case(page, base, "approver1", case["id"])
    assert "材料齐全，现场检查合格" in page.inner_text("#review")
    assert page.locator("#opinion-form button").inner_text() == "签署并作出决定"
    _answer_points(page)
    page.select_option("#opinion-form select[name=conclusion]", "agree")
    page.fill("#opinion-form textarea[name=opinion]", "同意承办意见，准予许可。")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "审批意见已签署" in page.inner_text(".flash.message")
    _shoot(page, screenshot_dir, "approver_decided")

    stored, opinions, entries, _ = _records(api, case["id"])
    assert stored.state == "approved" and stored.decision_reasons == "同意承办意见，准予许可。"
    assert [(o.level, o.signer) for o in opinions] == [("undertake", "reviewer1"), ("approve", "approver1")]
    assert any(e.action == "case.approve" and e.actor == "staff:approver1" for e in entries)

    form = _flat(_pdf_text(page, page.get_attribute("#approval-form", "href")))
    for text in (
        "行政许可审批表",
        "承办意见",
        "审批意见",
        "市场监管局李强（reviewer1）",
        "市场监管局赵敏（approver1）",
    ):
        assert text in form
    assert "材料齐全，现场检查合格，建议准予许可。" in form and "结论：准予许可" in form
    assert "执业药师配备与经营范围相适应：符合" in form
    decision = _flat(_pdf_text(page, f"/api/v1/cases/{case['id']}/documents/decision.pdf"))
    assert "准予行政许可决定书" in decision
    assert "承办意见（市场监管局李强" in decision and "同意承办意见，准予许可。" in decision
    assert "第三十八条第一款和《中华人民共和国药品管理法》" in decision

    # The reviewer makes the certificate: the form is filled from the case and the template; preview first.
    _open_case(page, base, "reviewer1", case["id"])
    assert page.locator("#actions button", has_text="证照已制作").count() == 0  # no bare button any more
    assert page.input_value("#certificate-form input[name=certificate_name]") == "药品经营许可证"
    page.fill(
        "#certificate-form textarea[name=scope]", "处方药、甲类非处方药、乙类非处方药：中成药、化学药制剂"
    )
    with page.expect_popup() as opened:
        page.click("#certificate-preview")
    preview_url = opened.value.url
    opened.value.close()
    preview = _flat(_pdf_text(page, preview_url))
    assert "药品经营许可证" in preview and "样张" in preview and "欧阳药房" in preview
    assert _records(api, case["id"])[3] == []  # a preview makes nothing
    _shoot(page, screenshot_dir, "certificate_form")
    click_and_wait(page, page.locator("#certificate-confirm"))
    assert "证照已制作" in page.inner_text(".flash.message")
    stored, _, entries, certificates = _records(api, case["id"])
    assert stored.state == "certificate_made"
    assert len(certificates) == 1 and certificates[0].sealed_by is None
    made = certificates[0]
    # The item is under the unified seal: the certificate is the hall's authority's (its seal is drawn).
    assert made.scope.startswith("处方药") and made.authority == api.settings.case.authority
    assert any(e.action == "certificate.issue" and e.subject_id == made.number for e in entries)

    # The sealer seals that certificate from the work list's case.
    _open_case(page, base, "sealer1", case["id"])
    click_and_wait(page, page.locator("#actions button", has_text="加盖统一印章"))
    stored, _, entries, certificates = _records(api, case["id"])
    assert stored.state == "sealed"
    assert certificates[0].sealed_by == "sealer1" and certificates[0].sealed_at is not None
    seal = [e for e in entries if e.action == "certificate.seal"]
    assert len(seal) == 1 and seal[0].subject_id == made.number and seal[0].actor == "staff:sealer1"
    assert "已盖章(行政审批局 陈静" in page.inner_text("#certificate")
    _shoot(page, screenshot_dir, "sealed")
    sealed_pdf = _flat(_pdf_text(page, f"/api/v1/certificates/{made.number}/pdf"))
    assert made.number in sealed_pdf and "处方药" in sealed_pdf


def test_a_send_back_goes_to_the_window_and_comes_back_for_a_new_round(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="司马药店")
    api.act(case["id"], "accept", "clerk1")

    _open_case(page, base, "reviewer1", case["id"])
    page.click("#send-back button")  # no reason: the browser asks for it and nothing is sent
    reason_box = page.locator("#send-back input[name=reason]")
    assert reason_box.evaluate("box => box.validationMessage") != ""
    assert _records(api, case["id"])[0].state == "accepted"
    page.fill("#send-back input[name=reason]", "营业执照复印件与原件不一致，请窗口核实后重新提交")
    click_and_wait(page, page.locator("#send-back button"))
    assert "已退回窗口" in page.inner_text(".flash.message")
    stored, opinions, entries, _ = _records(api, case["id"])
    assert stored.state == "returned"
    assert [(o.kind, o.round, o.signer) for o in opinions] == [("send_back", 1, "reviewer1")]
    back = [e for e in entries if e.action == "case.send_back"]
    assert back and back[0].after is not None and back[0].after["reason"].startswith("营业执照复印件")

    # The clerk finds it in the work list's 审核退回 section, reads the reason and sends it again.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/work")
    assert "审核退回 Sent back by the review (1)" in page.inner_text("body")
    click_and_wait(page, page.locator("a", has_text=case["number"]).first)
    assert "营业执照复印件与原件不一致" in page.inner_text("#review")
    _shoot(page, screenshot_dir, "returned_at_the_window")
    click_and_wait(page, page.locator("#actions button", has_text="重新提交审核"))
    assert _records(api, case["id"])[0].state == "accepted"

    # The next round starts at the first level again.
    _open_case(page, base, "reviewer1", case["id"])
    assert page.locator("#opinion-form strong").inner_text() == "签署承办意见"


def test_extension_and_suspension_from_the_case_page_each_give_their_notice(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="慕容药业")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")

    _open_case(page, base, "approver1", case["id"])
    acceptance_href = page.get_attribute("#documents a:has-text('受理通知书')", "href")
    day_one = _flat(_pdf_text(page, acceptance_href))
    extend = page.locator("form[action$='/act/extend']")
    extend.locator("input[name=reason]").fill("需要组织专家对仓储条件进行论证")
    click_and_wait(page, extend.locator("button"))
    assert "延长10个工作日" in page.inner_text(".flash.message")
    extension = _flat(_pdf_text(page, page.get_attribute("#documents a:has-text('延期告知书')", "href")))
    assert "因需要组织专家对仓储条件进行论证" in extension and "延长十个工作日" in extension
    assert _flat(_pdf_text(page, acceptance_href)) == day_one  # printed again: the notice of its day

    suspend = page.locator("form[action$='/act/suspend']")
    suspend.locator("select[name=suspension_kind]").select_option("expert_review")
    suspend.locator("input[name=reason]").fill("冷链仓储温控方案需专家评审")
    suspend.locator("input[name=expected_days]").fill("30")
    click_and_wait(page, suspend.locator("button"))
    assert _records(api, case["id"])[0].state == "suspended"
    href = page.get_attribute("#documents a:has-text('特别程序告知书')", "href")
    suspension = _flat(_pdf_text(page, href))
    assert "依法需要专家评审（冷链仓储温控方案需专家评审）" in suspension and "预计需要30日" in suspension
    _shoot(page, screenshot_dir, "suspended_notices")
    entries = _records(api, case["id"])[2]
    assert [e.action for e in entries if e.action in ("case.extend", "case.suspend")] == [
        "case.extend",
        "case.suspend",
    ]


def test_a_joint_case_waits_for_a_late_department_then_the_lead_decides(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path
) -> None:
    base, api = live
    page = staff_page
    code = "513200-XK-SJ-0901"
    put_item(api, code, "行政许可", "州市场监管局", joint_departments=["州文体旅游局"])
    _culture_reviewer(api, "culture1", "文体旅游局 周华")  # a reviewer of the joint department
    case = api.file_case(code, name="诸葛餐饮")
    api.act(case["id"], "accept", "clerk1")  # the joint task opens, due in 10 working days: 16 Oct 2025
    api.act(case["id"], "start_review", "reviewer1")
    api.clock.today = dt.date(2025, 10, 17)

    # Supervision names the department that holds the case up.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "manager1")
    page.goto(f"{base}/web/joint")
    assert "超期未提出联办意见的部门: 州文体旅游局" in page.inner_text("#holding")
    assert case["number"] in page.inner_text("#joint-tasks")
    _shoot(page, screenshot_dir, "joint_supervision")

    # The lead cannot decide before the joint department has spoken.
    _open_case(page, base, "approver1", case["id"])
    assert "待提出" in page.inner_text("#joint") and "已超期" in page.inner_text("#joint")
    page.fill("#opinion-form textarea[name=opinion]", "准予许可")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "联办部门尚未提出意见: 州文体旅游局" in page.inner_text(".flash.error")
    assert _records(api, case["id"])[0].state == "in_review"

    # The joint department's reviewer finds the task, late, and gives the opinion.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "culture1")
    page.goto(f"{base}/web/joint")
    click_and_wait(page, page.locator("#joint-tasks a", has_text=case["number"]))
    assert "已超期" in page.inner_text("body")
    page.fill("#joint-form textarea[name=opinion]", "经营场所不涉及文化经营活动，同意")
    click_and_wait(page, page.locator("#joint-form button"))
    assert "州文体旅游局联办意见已提交" in page.inner_text(".flash.message")
    _shoot(page, screenshot_dir, "joint_task_answered")
    answered = [e for e in _records(api, case["id"])[2] if e.action == "case.joint_opinion"]
    assert len(answered) == 1 and answered[0].actor == "staff:culture1"
    assert answered[0].after is not None and answered[0].after["late"] is True
    # The joint department reads the case through its task only: the lead's case page stays closed.
    page.goto(f"{base}/web/case/{case['id']}")
    assert "不在您的办理范围内" in page.inner_text("body")

    # Now the lead decides, with the joint opinion on the case page.
    _open_case(page, base, "approver1", case["id"])
    assert "经营场所不涉及文化经营活动，同意" in page.inner_text("#joint")
    page.fill("#opinion-form textarea[name=opinion]", "联办部门同意，准予许可")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert _records(api, case["id"])[0].state == "approved"


def test_the_demo_joint_department_reads_the_materials_then_the_lead_decides(
    live: tuple[str, CaseApi], staff_page: Any, screenshot_dir: Path
) -> None:
    """0511 (企业设立、变更、注销登记) has 州税务局 as its joint department; the demo's taxreviewer1 is its
    reviewer. Neither the page nor the API decides before its opinion; it reads the materials through its
    task, another department cannot; the decision goes into the 审管分离 outbox."""
    base, api = live
    page = staff_page
    case = api.file_case(ITEM_COMPANY, name="司马商贸")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    held = api.act(case["id"], "approve", "approver1", expect=409, reason="准予")["error"]
    assert held["code"] == "conflict" and held["details"] == {"waiting": ["州税务局"]}

    _open_case(page, base, "approver1", case["id"])
    _answer_points(page)
    page.fill("#opinion-form textarea[name=opinion]", "准予许可")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "联办部门尚未提出意见: 州税务局" in page.inner_text(".flash.error")

    # The joint department's demo reviewer opens its task: the case's materials, previewed.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "taxreviewer1")
    page.goto(f"{base}/web/joint")
    click_and_wait(page, page.locator("#joint-tasks a", has_text=case["number"]))
    images = page.locator("#joint-materials img")
    handed_in = _records(api, case["id"])[2]
    uploads = [e for e in handed_in if e.action == "material.upload"]
    assert images.count() == len(uploads) >= 1
    page.wait_for_function(
        "[...document.querySelectorAll('#joint-materials img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    with page.expect_popup() as opened:
        images.first.click()
    assert opened.value.url.endswith("/content")
    opened.value.close()
    reads = [e for e in _records(api, case["id"])[2] if e.action == "material.read"]
    assert "staff:taxreviewer1" in {e.actor for e in reads}  # each read audited (the lead's too)
    _shoot(page, screenshot_dir, "joint_task_materials")
    preview = images.first.get_attribute("src")
    assert preview is not None and preview.startswith(f"/web/joint/{case['id']}/materials/")

    # A department without a task on the case reads nothing of it.
    _culture_reviewer(api, "culture2", "文体旅游局 吴越")
    stranger = page.context.browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    sign_in(stranger, base, "culture2")
    assert stranger.request.get(f"{base}{preview}").status == 404
    assert stranger.request.get(f"{base}{preview.removesuffix('/preview')}/content").status == 404
    stranger.goto(f"{base}/web/joint/{case['id']}")
    assert "不属于您的部门" in stranger.inner_text("body")
    stranger.context.close()

    page.select_option("#joint-form select[name=conclusion]", "agree")
    page.fill("#joint-form textarea[name=opinion]", "申请人无欠税记录，同意设立登记")
    click_and_wait(page, page.locator("#joint-form button"))
    assert "州税务局联办意见已提交" in page.inner_text(".flash.message")

    _open_case(page, base, "approver1", case["id"])
    assert "申请人无欠税记录，同意设立登记" in page.inner_text("#joint")
    _answer_points(page)
    page.fill("#opinion-form textarea[name=opinion]", "联办部门同意，准予许可")
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "审批意见已签署" in page.inner_text(".flash.message")
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        stored = session.get(Case, case["id"])
        assert stored is not None and stored.state == "approved"
        feed = list(session.scalars(select(SupervisionFeedEntry)))
    engine.dispose()
    assert [(f.department, f.event, f.payload["case_number"]) for f in feed] == [
        ("州市场监管局", "approved", case["number"])
    ]
