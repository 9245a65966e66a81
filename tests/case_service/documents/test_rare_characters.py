"""Names with characters beyond the CJK font (CJK Ext-B: 𠮷) print whole and read back from the PDF."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from types import SimpleNamespace

from case_service.documents.notices import AcceptanceNotice, Issuer, render_notice
from case_service.documents.receipt import render_receipt
from case_service.documents.typeset import PageWriter, cjk_font, extension_font, font_runs
from case_service.domain.intake import Mark

RARE = "𠮷野家"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return "".join(result.stdout.split())


def test_the_rare_character_is_set_in_the_extension_font() -> None:
    fallback = extension_font()
    assert fallback is not None, "install fonts-hanazono (scripts/bootstrap.sh)"
    assert font_runs(f"致{RARE}：") == [(cjk_font(), "致"), (fallback, "𠮷"), (cjk_font(), "野家：")]
    assert font_runs("No. 7") == [(cjk_font(), "No. 7")]


def test_a_paragraph_and_a_table_keep_the_rare_character(tmp_path: Path) -> None:
    writer = PageWriter("测试")
    writer.paragraph(f"{RARE}：你好", 15)
    writer.table([("申请人", f"{RARE}（513***********1237）")])
    writer.centered(RARE, 18)
    writer.right(RARE, 12)
    text = pdf_text(writer.finish(), tmp_path)
    assert f"{RARE}：你好" in text
    assert f"{RARE}（513***********1237）" in text
    assert text.count(RARE) == 4


def test_the_receipt_of_materials_names_the_applicant_whole(tmp_path: Path) -> None:
    case = SimpleNamespace(
        number="20261207-0A1B2C3D",
        item_name="食品(含保健食品)经营许可",
        department="州市场监管局",
        submitted_on=dt.date(2026, 12, 7),
    )
    received = [Mark("食品经营许可申请书", "received", "original", 1, True)]
    found = {
        "case": case,
        "record": {"company": None, "actor": "staff:clerk1", "letter_in_hand": False},
        "people": {"name": RARE, "id_number": "513***********1237"},
        "received": received,
        "tolerated": [Mark("营业执照", "tolerated", "copy", 1)],
        "missing": [],
    }
    text = pdf_text(render_receipt(found, today=dt.date(2026, 12, 7)), tmp_path)
    assert f"申请人{RARE}（513***********1237）" in text
    assert "20261207-0A1B2C3D" in text
    assert "食品经营许可申请书（原件1份，窗口收取）" in text
    assert "营业执照" in text.split("容缺后补材料")[1]


def test_an_acceptance_notice_is_addressed_to_the_whole_name(tmp_path: Path) -> None:
    notice = AcceptanceNotice(
        Issuer("西昌市行政审批局", seal_code="5134010012345", contact="0834-3221234"),
        "西审受字〔2026〕第0001号",
        RARE,
        "食品经营许可（新办）",
        "XD2026-000123",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 2),
        dt.date(2026, 12, 1),
    )
    text = pdf_text(render_notice(notice), tmp_path)
    assert f"{RARE}：" in text  # not "野家：" as before the fallback font
