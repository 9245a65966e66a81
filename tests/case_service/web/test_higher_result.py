"""A forwarded case (审核转报) on the staff case page, clicked in Chromium against a real case service: the
reviewer forwards it with the 初审意见, the clerk records the higher authority's result with its document,
outcome and date. Checked in the record: the case's state and result, the stored file (its bytes, by
sha256), the audit entries; a refused form (no file, a date before the forwarding) leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from case_service.storage.models import CaseMaterial, Material, MaterialBlob
from tests.case_service.conftest import CaseApi
from tests.case_service.web.test_pages import click_and_wait, sign_in
from tests.case_service.web.test_supervision_page import live
from tests.case_service.web.test_window_desk import SIZES, audit_of, shoot
from tests.case_service.web.test_window_routes import as_user
from tests.fixtures.materials import PDF

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]

# A bundled licence of 州市场监管局 the province grants: the 州 reviews and forwards it (审核转报).
ITEM = "513200-XK-SJ-0527"
RESULT = "上级机关办理结果"


@pytest.fixture
def staff_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=SIZES["1366"], locale="zh-CN")
    yield context.new_page()
    context.close()


def stored_results(api: CaseApi, case_id: int) -> list[tuple[str, str, bytes]]:
    """The case's uploads of the higher authority's result: (filename, sha256, bytes) as stored."""
    engine = create_engine(str(api.settings.database_url))
    with Session(engine) as session:
        rows = session.execute(
            select(Material.filename, MaterialBlob.sha256, MaterialBlob.data)
            .join(CaseMaterial, CaseMaterial.material_id == Material.id)
            .join(MaterialBlob, MaterialBlob.sha256 == Material.sha256)
            .where(CaseMaterial.case_id == case_id, Material.name == RESULT)
        ).all()
    engine.dispose()
    return [(row[0], row[1], bytes(row[2])) for row in rows]


def test_the_clerk_records_the_higher_authoritys_result_on_the_case_page(
    live: tuple[str, CaseApi], staff_page: Any, tmp_path: Path, screenshot_dir: Path
) -> None:
    base, api = live
    page = staff_page
    case = api.file_case(ITEM, name="阿坝检测有限公司")
    assert case["flow"] == "forwarding"
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    url = f"{base}/web/case/{case['id']}"

    # The reviewer forwards it from the page, with the preliminary opinion.
    sign_in(page, base, "reviewer1")
    page.goto(url)
    assert page.locator("#higher-result").count() == 0  # not waiting for a result yet
    page.fill("form[action$='/act/forward'] input[name=reason]", "初审通过，材料齐全，同意上报")
    click_and_wait(page, page.locator("form[action$='/act/forward'] button"))
    assert "初审通过并转报上级机关" in page.inner_text(".flash.message")
    forwarded = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert forwarded["state"] == "forwarded"
    assert forwarded["forwarding"]["authority"] == "四川省市场监督管理局"
    page.goto(f"{base}/web/logout")

    # Eight working days later the province's answer arrives; the clerk opens the case.
    api.clock.today = dt.date(2025, 10, 9)
    sign_in(page, base, "clerk1")
    page.goto(url)
    form = page.locator("#higher-result")
    assert "已转报 四川省市场监督管理局" in form.inner_text()
    assert page.locator("form[action$='/act/record_result']").count() == 0  # no bare button without the file
    shoot(page, screenshot_dir, "case_higher_result_form")

    # Refused, nothing kept: a date before the forwarding (typed past the picker), then no file at all.
    scan = tmp_path / "省局批复.pdf"
    scan.write_bytes(PDF + "% 四川省市场监督管理局 资质认定决定\n".encode())
    form.locator("select[name=outcome]").select_option("approved")
    form.locator("input[name=result_on]").evaluate("input => input.removeAttribute('min')")
    form.locator("input[name=result_on]").fill("2025-09-01")
    form.locator("input[name=document]").set_input_files(str(scan))
    form.locator("input[name=summary]").fill("准予资质认定")
    click_and_wait(page, form.locator("button"))
    assert "不能早于转报日期" in page.inner_text(".flash.error")
    assert page.locator("#higher-result input[name=summary]").input_value() == "准予资质认定"  # kept
    assert stored_results(api, case["id"]) == []
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()["state"] == (
        "forwarded"
    )
    form.locator("input[name=document]").evaluate("input => input.removeAttribute('required')")
    form.locator("input[name=result_on]").fill("2025-10-08")
    click_and_wait(page, form.locator("button"))
    assert "请选择上级机关办理结果文书的扫描件" in page.inner_text(".flash.error")

    # The real thing: the province's reply dated the day before, approved.
    form.locator("select[name=outcome]").select_option("approved")
    form.locator("input[name=result_on]").fill("2025-10-08")
    form.locator("input[name=document]").set_input_files(str(scan))
    form.locator("input[name=summary]").fill("准予资质认定，证书编号 251923000123")
    click_and_wait(page, form.locator("button"))
    assert "已登记上级机关办理结果" in page.inner_text(".flash.message")
    assert page.locator("#higher-result").count() == 0
    assert "出件" in page.inner_text("#actions")
    assert (
        page.inner_text("#forwarding")
        == "四川省市场监督管理局 · 2025-09-26 · 上级机关结果: 准予(文书日期 2025-10-08)"
    )
    shoot(page, screenshot_dir, "case_higher_result_recorded")

    stored = api.client.get(f"/api/v1/cases/{case['id']}", headers=api.staff("clerk1")).json()
    assert stored["state"] == "result_received" and stored["allowed_actions"] == ["release"]
    result = stored["forwarding"]["result"]
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    assert result == {
        "outcome": "approved",
        "summary": "准予资质认定，证书编号 251923000123",
        "document_sha256": digest,
        "recorded_on": "2025-10-09",
        "result_on": "2025-10-08",
    }
    assert stored_results(api, case["id"]) == [("省局批复.pdf", digest, scan.read_bytes())]
    # Written, in this order, by the one form (reads of the page's previews aside).
    entries = [entry for entry in audit_of(api, case["id"]) if not entry.action.endswith(".read")]
    assert [entry.action for entry in entries][-3:] == [
        "case.forward",
        "material.upload",
        "case.record_result",
    ]
    upload, recorded = entries[-2], entries[-1]
    assert upload.actor == recorded.actor and "clerk1" in recorded.actor
    assert (upload.after or {})["material"] == RESULT and (upload.after or {})["sha256"] == digest
    assert (recorded.after or {})["state"] == "result_received"
    assert "登记上级机关办理结果" in page.inner_text("#timeline")


def test_only_staff_who_record_results_can_use_the_form(sqlite_api: CaseApi) -> None:
    """The form is shown to, and taken from, clerks and reviewers only; a sealer's post changes nothing."""
    api = sqlite_api
    case = api.file_case(ITEM)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.act(case["id"], "forward", "reviewer1", reason="初审通过")
    post = {"outcome": "approved", "result_on": "2025-09-26", "summary": "准予"}
    files = {"document": ("reply.pdf", PDF, "application/pdf")}
    sealer = as_user(api, "sealer1")
    assert 'id="higher-result"' not in sealer.get(f"/web/case/{case['id']}").text
    refused = sealer.post(f"/web/case/{case['id']}/higher-result", data=post, files=files)
    assert refused.status_code == 200 and "无权登记" in refused.text
    assert stored_results(api, case["id"]) == []
    clerk = as_user(api, "clerk1")
    assert 'id="higher-result"' in clerk.get(f"/web/case/{case['id']}").text
    done = clerk.post(f"/web/case/{case['id']}/higher-result", data=post, files=files)
    assert done.status_code == 200 and "已登记上级机关办理结果" in done.text
    assert [name for name, _digest, _data in stored_results(api, case["id"])] == ["reply.pdf"]
