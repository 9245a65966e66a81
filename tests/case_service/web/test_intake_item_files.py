"""The intake checklist links the item's forms: a clerk clicks the blank form in Chromium, the PDF downloads
and says what it is (the hall's generic form until the department's is uploaded, then the department's)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.case_service.conftest import ITEM_FOOD
from tests.case_service.web.test_intake_journeys import Clerk, api, material_row, sign_in_by_keyboard, window

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["window"]  # the fixture, shared with the intake journeys
FORM = "食品经营许可申请书.pdf"


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def test_the_clerk_downloads_the_items_form_from_the_checklist(
    start_hall_process: Any, window: Any, tmp_path: Path, screenshot_dir: Path
) -> None:
    base = start_hall_process("case-service").url
    page = window
    clerk = Clerk(page)
    page.goto(f"{base}/web/intake/new?item={ITEM_FOOD}")
    sign_in_by_keyboard(clerk)
    row = material_row(page, "食品经营许可申请书")
    link = row.locator("a.form-link")
    assert link.inner_text() == "空白表格（通用表样）"
    assert page.locator(f".item-files a[data-file='{FORM}'] + .tag").inner_text() == "通用表样"
    page.screenshot(path=str(screenshot_dir / "intake_item_files_generic.png"), full_page=True)
    with page.expect_download() as fetched:
        clerk.click(link)
    download = fetched.value
    assert download.suggested_filename == FORM
    saved = tmp_path / "generic.pdf"
    download.save_as(saved)
    text = _pdf_text(saved)
    assert "通用表样" in text and "食品(含保健食品)经营许可申请表" in text and ITEM_FOOD in text
    assert "□食品经营许可申请书" in text and "申请人（单位）名称" in text

    # The department's own form uploaded by the admin takes its place on the same link.
    official = b"%PDF-1.4\n% the department's own form\n%%EOF\n"
    with api(base, "admin") as admin:
        answer = admin.put(
            f"/api/v1/items/{ITEM_FOOD}/files/{quote(FORM)}",
            files={"file": (FORM, official, "application/pdf")},
        )
        assert answer.status_code == 200, answer.text
    page.reload()
    link = material_row(page, "食品经营许可申请书").locator("a.form-link")
    assert link.inner_text() == "空白表格"
    assert page.locator(f".item-files a[data-file='{FORM}'] + .tag").inner_text() == "部门表样"
    with page.expect_download() as fetched:
        clerk.click(link)
    saved = tmp_path / "official.pdf"
    fetched.value.save_as(saved)
    assert saved.read_bytes() == official
    # Anyone may read it (the kiosk and online applicants): no token.
    assert httpx.get(f"{base}/api/v1/items/{ITEM_FOOD}/files/{quote(FORM)}").content == official
    page.screenshot(path=str(screenshot_dir / "intake_item_files_official.png"), full_page=True)
