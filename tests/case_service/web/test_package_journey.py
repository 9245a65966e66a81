"""“一件事一次办” clicked in Chromium against a real case service: the clerk picks 我要开人力资源服务公司,
records its one set of materials once (营业执照 asked once for the two permits that need it) and files it;
four linked cases appear, one per item, in the market regulator's and the human resources bureau's
lists. The tax bureau gives its joint opinion on 企业设立登记 and the market regulator's approver decides
it in the case page; a release waits while a case of the package is being decided; the 人社局's approver
denies one of its items in its case page (the other is granted), and the clerk releases all together, the
denial with its notice. Acceptance, review starts, certificates and seals go through the API (their pages
have their own journeys). Asserts the records (cases, links, shared materials, audit) and the PDFs' text."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from case_service.auth.passwords import hash_secret
from case_service.bootstrap import demo_password
from case_service.domain.applicant import make_credit_code
from case_service.domain.states import STATE_LABELS, CaseState
from case_service.storage.models import (
    AuditEntry,
    Case,
    CaseMaterial,
    CasePackage,
    CasePackageMember,
    Material,
    User,
)
from tests.case_service.conftest import ID_A, CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live
from tests.fixtures.materials import PDF

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]

PACKAGE = "YJS-003"
NAME, LICENCE, DISPATCH, AGENCY = (
    "513200-XK-SJ-0510",
    "513200-XK-SJ-0511",
    "513200-XK-RS-0153",
    "513200-XK-RS-0150",
)
CREDIT_CODE = make_credit_code("91513401MA62H7K0X")
HR = "州人社局"


def _add_hr_staff(api: CaseApi) -> None:
    """The human resources bureau's approver and reviewer, and a reviewer of the tax bureau (the demo
    accounts are the market regulator's)."""
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        for username, display, roles in (
            ("hr_approver", "人社局 周岚", ["approver"]),
            ("hr_reviewer", "人社局 马骏", ["reviewer"]),
            ("tax_reviewer", "税务局 何平", ["reviewer"]),  # 企业设立登记's joint department
        ):
            session.add(
                User(
                    username=username,
                    display_name=display,
                    password_hash=hash_secret(demo_password(username)),
                    roles=roles,
                    department="州税务局" if username.startswith("tax") else HR,
                )
            )
        session.commit()
    engine.dispose()


def _records(api: CaseApi) -> tuple[CasePackage, list[Case], list[AuditEntry], dict[str, set[int]]]:
    engine = create_engine(str(api.settings.database_url))
    with Session(engine, expire_on_commit=False) as session:
        package = session.scalars(select(CasePackage)).one()
        cases = list(
            session.scalars(
                select(Case)
                .join(CasePackageMember, CasePackageMember.case_id == Case.id)
                .where(CasePackageMember.package_id == package.id)
                .order_by(CasePackageMember.position)
            )
        )
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.subject_type == "package").order_by(AuditEntry.seq)
            )
        )
        linked: dict[str, set[int]] = {}
        for name, case_id in session.execute(
            select(Material.name, CaseMaterial.case_id).join(
                CaseMaterial, CaseMaterial.material_id == Material.id
            )
        ):
            linked.setdefault(name, set()).add(case_id)
        assert (
            session.scalar(select(func.count()).select_from(Material).where(Material.name == "营业执照")) == 1
        )
        session.expunge_all()
    engine.dispose()
    return package, cases, entries, linked


def _pdf_text(page: Any, href: str, keep: Path | None = None) -> str:
    answer = page.request.get(urllib.parse.urljoin(page.url, href))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf", answer.text()
    if keep is not None:
        keep.write_bytes(answer.body())
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.body(), capture_output=True, check=True
    )
    return "".join(done.stdout.decode().split())


def _sign_decision(
    page: Any, base: str, case_id: int, conclusion: str, opinion: str, not_met: str = ""
) -> None:
    """The approver's opinion on the case page: each review point (the first not met, with `not_met`),
    the conclusion and the opinion, signed; the decision."""
    page.goto(f"{base}/web/case/{case_id}")
    selects = page.locator("#opinion-form select[name=met]")
    for index in range(selects.count()):
        selects.nth(index).select_option("no" if not_met and not index else "yes")
        if not_met and not index:
            page.locator("#opinion-form input[name=note]").nth(index).fill(not_met)
    page.select_option("#opinion-form select[name=conclusion]", conclusion)
    page.fill("#opinion-form textarea[name=opinion]", opinion)
    click_and_wait(page, page.locator("#opinion-form button"))
    assert "意见已签署" in page.inner_text(".flash"), page.inner_text("main")


def _case_page_names_its_package(
    page: Any, base: str, api: CaseApi, tmp_path: Path, screenshot_dir: Path
) -> None:
    """From the package's page to one of its cases: the case page names the package (linked), lists its
    other cases with their states (linked), and the case's 受理通知书 lists the package's other items."""
    package, cases, _, _ = _records(api)
    page.goto(f"{base}/web/packages/applications/{package.number}")
    click_and_wait(page, page.locator(f"#package-cases tr[data-case='{cases[1].number}'] a").first)
    assert page.url.endswith(f"/web/case/{cases[1].id}")
    assert package.number in page.inner_text("#package-link")
    assert package.package_name in page.inner_text("#package-link")
    assert page.get_attribute("#case-package-status", "data-status") == "in_progress"
    others = page.locator("#case-package-others tbody tr")
    listed = others.evaluate_all("rows => rows.map(r => r.dataset.case)")
    assert listed == [case.number for case in cases if case.id != cases[1].id]
    for case in cases:
        if case.id != cases[1].id:
            row = page.locator(f"#case-package-others tr[data-case='{case.number}']")
            assert STATE_LABELS[CaseState(case.state)] in row.inner_text(), case.state
            assert case.item_name in row.inner_text() and case.department in row.inner_text()
    assert {case.state for case in cases} == {"registered", "accepted"}
    page.screenshot(path=str(screenshot_dir / "package_case_page.png"), full_page=True)

    notice = page.locator("#documents a", has_text="受理通知书").first
    text = _pdf_text(page, notice.get_attribute("href"), tmp_path / "acceptance.pdf")
    assert "一件事一次办" in text and package.number in text
    for case in cases:  # the other items, and its own 受理编号
        assert case.item_name.replace(" ", "") in text and case.number in text, case.number

    # The package's other cases are a click away, and each names the package back.
    click_and_wait(page, page.locator(f"#case-package-others tr[data-case='{cases[2].number}'] a"))
    assert page.url.endswith(f"/web/case/{cases[2].id}")
    assert page.locator(f"#case-package-others tr[data-case='{cases[1].number}']").count() == 1
    click_and_wait(page, page.locator("#package-link"))
    assert page.url.endswith(f"/web/packages/applications/{package.number}")


def test_a_package_filed_once_decided_by_two_departments_and_released_together(
    live: tuple[str, CaseApi], page: Any, screenshot_dir: Path, tmp_path: Path
) -> None:
    base, api = live
    _add_hr_staff(api)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)

    # The clerk picks the package from the list the header links to.
    sign_in(page, base, "clerk1")
    click_and_wait(page, page.locator("header a", has_text="一件事"))
    row = page.locator(f"#packages tr[data-package={PACKAGE}]")
    assert "劳务派遣经营许可" in row.inner_text() and "州人社局" in row.inner_text()
    assert "21 项" in row.inner_text() and "合计 23 项" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "package_list.png"), full_page=True)
    click_and_wait(page, row.locator("a.start"))

    # One form, one set of materials: 营业执照 and the others asked once for all four items.
    names = page.locator("table.checklist tbody tr").evaluate_all("rows => rows.map(r => r.dataset.material)")
    assert (
        len(names) == len(set(names)) and "劳务派遣经营许可申请书" in names and "名称预先核准申请书" in names
    )
    shared = page.locator("table.checklist tr[data-material='营业执照'] .tag.shared")
    assert shared.inner_text() == "2个事项共用，只收一次"
    page.check("input[name=kind][value=company]")
    page.fill("#f-company_name", "阿坝雪域人力资源有限公司")
    page.fill("#f-credit_code", CREDIT_CODE)
    page.fill("#f-legal_rep", "张三")
    page.fill("#f-rep_id", ID_A)
    page.fill("#f-phone", "13812345678")
    for index in range(len(names)):
        status = page.locator(f"select[name=m{index}_status]")
        if status.input_value() == "received":
            page.set_input_files(f"input[name=m{index}_file]", str(scan))
    page.screenshot(path=str(screenshot_dir / "package_form.png"), full_page=True)
    click_and_wait(page, page.locator("#file-case"))
    assert "/web/packages/applications/YJS" in page.url, page.inner_text("main")
    assert page.locator("#package-cases tbody tr").count() == 4
    assert page.get_attribute("#package-status", "data-status") == "in_progress"
    page.screenshot(path=str(screenshot_dir / "package_filed.png"), full_page=True)

    package, cases, entries, linked = _records(api)
    assert [c.item_code for c in cases] == [NAME, LICENCE, DISPATCH, AGENCY]
    assert {c.department for c in cases} == {"州市场监管局", HR}
    assert {c.applicant_name for c in cases} == {"阿坝雪域人力资源有限公司"} and {c.state for c in cases} == {
        "submitted"
    }
    assert entries[0].action == "package.file" and entries[0].after is not None
    assert entries[0].after["cases"] == [c.number for c in cases]
    # A material two items list was handed in once (one record) and linked to both their cases.
    assert linked["营业执照"] == {cases[2].id, cases[3].id}
    assert linked["全体投资人身份证明"] == {cases[0].id}

    receipt = _pdf_text(page, page.get_attribute("#package-receipt", "href"), tmp_path / "receipt.pdf")
    assert "“一件事一次办”收件凭证" in receipt and package.number in receipt
    for case in cases:
        assert case.item_name.replace(" ", "") in receipt and case.number in receipt
    assert "劳务派遣经营许可申请书" in receipt and "阿坝雪域人力资源有限公司" in receipt
    assert ID_A not in receipt and "2025年9月26日" in receipt  # masked; dated by the service's clock

    # Each department's work. The name check is 即办件: registered and given at the window on the spot.
    api.act(cases[0].id, "register", "clerk1")
    for case in cases[1:]:
        api.act(case.id, "accept", "clerk1")
    _case_page_names_its_package(page, base, api, tmp_path, screenshot_dir)
    # The market regulator's approver decides the business licence in its case page; it is made and sealed.
    api.act(cases[1].id, "start_review", "reviewer1")
    # Its joint department (联办, 州税务局) gives its opinion first, from its own task page.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "tax_reviewer")
    page.goto(f"{base}/web/joint/{cases[1].id}")
    page.select_option("#joint-form select[name=conclusion]", "agree")
    page.fill("#joint-form textarea[name=opinion]", "同意，设立后办理税务登记。")
    click_and_wait(page, page.locator("#joint-form button"))
    assert "联办意见已提交" in page.inner_text(".flash")
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "approver1")
    _sign_decision(page, base, cases[1].id, "agree", "材料齐全，符合法定条件，准予登记。")
    api.act(cases[1].id, "make_certificate", "reviewer1")
    api.act(cases[1].id, "seal", "sealer1")
    # The human resources bureau grants the job agency permit.
    api.act(cases[3].id, "start_review", "hr_reviewer")
    api.act(cases[3].id, "approve", "hr_approver", reason="符合法定条件")
    api.act(cases[3].id, "make_certificate", "hr_reviewer")
    api.act(cases[3].id, "seal", "sealer1")
    # Sealed, but its package is not decided: no release on its own, and the package offers none yet.
    refused = api.act(cases[1].id, "release", "clerk1", expect=409, channel="window")
    assert "统一出件" in str(refused) and cases[2].number in str(refused)
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/packages/applications/{package.number}")
    assert page.locator("#release-package").count() == 0 and "尚有 1 件" in page.inner_text(
        "#release-waiting"
    )

    # The human resources bureau's approver finds the case in its work list and denies it, with reasons.
    api.conclude_site_visit(cases[2].id, scheduler="hr_approver", inspectors=("hr_approver", "hr_reviewer"))
    api.act(cases[2].id, "start_review", "hr_reviewer")
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "hr_approver")
    page.goto(f"{base}/web/work")
    assert cases[2].number in page.inner_text("main") and cases[1].number not in page.inner_text("main")
    page.goto(f"{base}/web/case/{cases[2].id}")
    page.screenshot(path=str(screenshot_dir / "package_department_case.png"), full_page=True)
    _sign_decision(
        page,
        base,
        cases[2].id,
        "disagree",
        "经营场所使用证明与登记住所不一致，不予许可。",
        not_met="经营场所与登记住所不一致",
    )
    page.goto(f"{base}/web/packages/applications/{package.number}")
    assert page.get_attribute("#package-status", "data-status") == "ready"
    assert page.locator("#release-package").count() == 0  # only a window clerk releases
    # Nor does a form posted by hand release anything, and the package pages for clerks are closed.
    page.request.post(f"{base}/web/packages/applications/{package.number}/release")
    assert _records(api)[0].released_at is None
    assert page.goto(f"{base}/web/packages").status == 403
    assert page.goto(f"{base}/web/packages/{PACKAGE}/new").status == 403

    # The clerk releases the four together; the denial goes with its notice.
    page.goto(f"{base}/web/logout")
    sign_in(page, base, "clerk1")
    page.goto(f"{base}/web/packages/applications/{package.number}")
    click_and_wait(page, page.locator("#release-package"))
    assert "已统一出件" in page.inner_text(".flash.message")
    assert page.get_attribute("#package-status", "data-status") == "released"
    assert page.locator(f"tr[data-case='{cases[2].number}'] a.notice").inner_text() == "不予许可决定书"
    page.screenshot(path=str(screenshot_dir / "package_released.png"), full_page=True)

    package, cases, entries, _ = _records(api)
    assert [c.state for c in cases] == ["registered", "ready_for_release", "denied", "ready_for_release"]
    assert cases[1].decision_reasons == "材料齐全，符合法定条件，准予登记。"
    assert package.released_by == "staff:clerk1" and package.released_at is not None
    released = entries[-1]
    assert released.action == "package.release" and released.after is not None
    assert released.after["released"] == [cases[1].number, cases[3].number]
    assert released.after["without_result"] == [
        {"case": cases[2].number, "state": "denied", "notice": "decision"}
    ]
    decision = _pdf_text(page, page.get_attribute(f"tr[data-case='{cases[2].number}'] a.notice", "href"))
    assert "不予" in decision and "经营场所使用证明与登记住所不一致" in decision
