"""The 审批表 PDF: each level's opinion with its points, signer and time; send-backs; pending levels."""

from __future__ import annotations

import datetime as dt
import subprocess

from case_service.documents.approval_form import ApprovalForm, FormEntry, render_approval_form
from case_service.domain import review
from case_service.domain.review import Conclusion, Finding, Level

POINTS = (Finding("执业药师配备", False, "执业药师证书待核"), Finding("质量管理制度健全", True))


def _text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(done.stdout.decode().split())


def _form(entries: tuple[FormEntry, ...], pending: tuple[Level, ...] = ()) -> ApprovalForm:
    return ApprovalForm(
        authority="阿坝州行政审批局",
        case_number="20250926-F0C42D7C",
        applicant="欧阳𠮷",
        item_name="药品零售企业许可",
        item_code="513200-XK-SJ-0535",
        department="州市场监管局",
        legal_basis="《中华人民共和国药品管理法》",
        submitted_on=dt.date(2025, 9, 26),
        accepted_on=dt.date(2025, 9, 26),
        decision_due=dt.date(2025, 10, 30),
        chain=review.levels(3),
        entries=entries,
        state_label="审核中",
        pending=pending,
    )


def test_the_form_prints_every_opinion_signer_and_time_and_what_is_still_to_sign() -> None:
    entries = (
        FormEntry(None, 1, "reviewer1", "李强", dt.datetime(2025, 9, 26, 10, 5), "营业执照复印件不清晰"),
        FormEntry(
            Level.UNDERTAKE,
            2,
            "reviewer1",
            "李强",
            dt.datetime(2025, 9, 29, 9, 30),
            "建议不予许可",
            Conclusion.DISAGREE,
            POINTS,
        ),
    )
    text = _text(render_approval_form(_form(entries, pending=(Level.CHECK, Level.APPROVE))))
    assert "行政许可审批表" in text and "欧阳𠮷" in text and "承办→审核→审批" in text
    # A label wraps in its column ("承办意见" / "（第2轮）"), so the two parts are read apart.
    assert "退回窗口退回原因：营业执照复印件不清晰" in text and "（第1轮）" in text
    assert "承办意见1．执业药师配备：不符合（执业药师证书待核）（第2轮）" in text
    assert "结论：不同意，建议不予许可" in text and "签名：李强（reviewer1）" in text
    assert "时间：2025-09-2909:30" in text
    assert "审核意见（尚未签署）" in text and "审批意见（尚未签署）" in text


def test_the_last_levels_conclusion_is_the_decision() -> None:
    entry = FormEntry(
        Level.APPROVE, 1, "approver1", "赵敏", dt.datetime(2025, 9, 30, 15, 0), "准予", Conclusion.AGREE
    )
    text = _text(render_approval_form(_form((entry,))))
    assert "审批意见" in text and "结论：准予许可" in text and "第1轮" not in text
