"""Every notice renders to a PDF whose extracted text says what the law requires it to say."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from datetime import date, datetime
from pathlib import Path

import pypdf
import pytest

from case_service.documents.notices import (
    AcceptanceNotice,
    ApprovalDecision,
    DenialDecision,
    Issuer,
    MaterialProblem,
    MaterialProblemKind,
    NonAcceptanceNotice,
    Notice,
    NoticeError,
    RegistrationReceipt,
    ServiceMethod,
    ServiceReceipt,
    SupplementNotice,
    render_notice,
)

ISSUER = Issuer("成都市新都区行政审批局", seal_code="5101140012345", contact="028-83981234")
SUBMITTED = date(2026, 11, 2)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # Lines break anywhere in Chinese: compare without whitespace.
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _problems(count: int) -> tuple[MaterialProblem, ...]:
    return tuple(
        MaterialProblem(f"第{index}号材料", MaterialProblemKind.DEFECTIVE, f"第{index}号材料缺少签字")
        if index % 2
        else MaterialProblem(f"第{index}号材料", MaterialProblemKind.MISSING)
        for index in range(1, count + 1)
    )


def _every_notice() -> list[Notice]:
    return [
        AcceptanceNotice(
            ISSUER,
            "新审受字〔2026〕第0001号",
            "张三丰",
            "食品经营许可（新办）",
            "XD2026-000123",
            SUBMITTED,
            SUBMITTED,
            date(2026, 12, 1),
            ("食品经营许可申请书", "营业执照复印件"),
        ),
        NonAcceptanceNotice(
            ISSUER,
            "新审不受字〔2026〕第0002号",
            "张三丰",
            "采矿许可",
            SUBMITTED,
            date(2026, 11, 3),
            "该事项不属于本机关职权范围",
            redirect_to="四川省自然资源厅",
            reconsideration_body="成都市新都区人民政府",
            court="成都铁路运输第一法院",
        ),
        SupplementNotice(
            ISSUER,
            "新审补字〔2026〕第0003号",
            "张三丰",
            "食品经营许可（新办）",
            SUBMITTED,
            date(2026, 11, 3),
            _problems(3),
            supplement_by=date(2026, 11, 20),
        ),
        ApprovalDecision(
            ISSUER,
            "新审许字〔2026〕第0004号",
            "成都某某餐饮管理有限公司",
            "食品经营许可（新办）",
            "XD2026-000123",
            SUBMITTED,
            date(2026, 11, 21),
            "热食类食品制售",
            date(2026, 12, 4),
            valid_until=date(2031, 11, 20),
            certificate_name="食品经营许可证",
        ),
        DenialDecision(
            ISSUER,
            "新审不许字〔2026〕第0005号",
            "成都某某餐饮管理有限公司",
            "食品经营许可（新办）",
            "XD2026-000124",
            SUBMITTED,
            date(2026, 11, 21),
            ("经营场所与污染源的距离不足25米", "未配备专职食品安全管理人员"),
            "成都市新都区人民政府",
            "成都铁路运输第一法院",
        ),
        ServiceReceipt(
            ISSUER,
            "新审送字〔2026〕第0006号",
            "准予行政许可决定书",
            "新审许字〔2026〕第0004号",
            "张三丰",
            "新都区政务服务中心智能柜A-03",
            ServiceMethod.LOCKER,
            datetime(2026, 11, 22, 9, 30),
            ("李四",),
            signed_by="张三丰",
        ),
        RegistrationReceipt(
            ISSUER,
            "新审办字〔2026〕第0007号",
            "成都某某贸易有限公司",
            "对外贸易经营者备案登记",
            "XD2026-000125",
            SUBMITTED,
            SUBMITTED,
            materials=("对外贸易经营者备案登记表",),
        ),
    ]


@pytest.mark.parametrize("notice", _every_notice(), ids=lambda notice: type(notice).__name__)
def test_each_notice_names_its_title_number_authority_and_applicant(notice: Notice) -> None:
    pdf = render_notice(notice)

    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert notice.title in text
    assert notice.number in text
    assert ISSUER.authority in text
    recipient = notice.recipient if isinstance(notice, ServiceReceipt) else notice.applicant
    assert recipient in text


def test_supplement_notice_lists_every_problem_once_and_in_full() -> None:
    problems = _problems(12)  # long enough to run onto a second page
    notice = SupplementNotice(ISSUER, "补字1", "张三丰", "食品经营许可", SUBMITTED, SUBMITTED, problems)

    pdf = render_notice(notice)

    text = _text(pdf)
    for problem in problems:
        assert problem.material in text
        if problem.detail:
            assert problem.detail in text
    assert "共12项" in text
    assert "第三十二条" in text


def test_denial_gives_reasons_and_both_remedies_with_their_time_limits() -> None:
    notice = next(n for n in _every_notice() if isinstance(n, DenialDecision))

    text = _text(render_notice(notice))

    for reason in notice.reasons:
        assert reason in text
    assert "60日内向成都市新都区人民政府申请行政复议" in text
    assert "6个月内依法向成都铁路运输第一法院提起行政诉讼" in text


def test_non_acceptance_gives_reason_and_where_to_apply_instead() -> None:
    notice = next(n for n in _every_notice() if isinstance(n, NonAcceptanceNotice))

    text = _text(render_notice(notice))

    assert "该事项不属于本机关职权范围" in text
    assert "四川省自然资源厅" in text
    assert "不予受理" in text


@pytest.mark.parametrize(
    ("build", "complaint"),
    [
        (
            lambda: SupplementNotice(ISSUER, "补字1", "张三", "某许可", SUBMITTED, SUBMITTED, ()),
            "at least one",
        ),
        (
            lambda: DenialDecision(
                ISSUER, "1", "张三", "某许可", "C1", SUBMITTED, SUBMITTED, ("  ",), "某政府", "某法院"
            ),
            "reasons",
        ),
        (
            lambda: DenialDecision(
                ISSUER, "1", "张三", "某许可", "C1", SUBMITTED, SUBMITTED, ("理由",), "", "某法院"
            ),
            "reconsideration",
        ),
        (lambda: MaterialProblem("身份证复印件", MaterialProblemKind.DEFECTIVE), "what is wrong"),
        (
            lambda: AcceptanceNotice(
                ISSUER, "1", "张三", "某许可", "C1", SUBMITTED, SUBMITTED, date(2026, 10, 1)
            ),
            "due before",
        ),
        (lambda: Issuer(" "), "authority"),
    ],
)
def test_incomplete_notices_are_refused_with_a_reason(build: object, complaint: str) -> None:
    with pytest.raises(NoticeError, match=complaint):
        build()  # type: ignore[operator]


def test_unsealed_notice_has_no_red_and_sealed_one_has() -> None:
    notice = _every_notice()[0]
    assert isinstance(notice, AcceptanceNotice)
    sealed = render_notice(notice)
    unsealed = render_notice(dataclasses.replace(notice, sealed=False))
    # The seal's red (0.84 0.07 0.09) is set as a fill/stroke colour only when sealed.
    assert _has_red(sealed)
    assert not _has_red(unsealed)


def _has_red(pdf: bytes) -> bool:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    content = b"".join(page.get_contents().get_data() for page in reader.pages)  # type: ignore[union-attr]
    return b".84 .07 .09 rg" in content or b".84 .07 .09 RG" in content


def test_font_is_embedded(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_notice(_every_notice()[0]))

    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout

    fonts = listing.splitlines()[2:]
    assert fonts, listing
    assert all(" yes " in line for line in fonts), listing


def test_the_acceptance_notice_names_the_tolerated_materials_owed_and_their_deadline() -> None:
    complete = _every_notice()[0]
    assert isinstance(complete, AcceptanceNotice)
    assert "申请材料齐全" in _text(render_notice(complete))
    owing = dataclasses.replace(complete, owed=("场地使用证明", "健康证明"), owed_by=date(2026, 11, 9))
    text = _text(render_notice(owing))
    assert "申请材料齐全" not in text and "容缺材料（共2项）" in text
    assert "场地使用证明" in text and "健康证明" in text and "2026年11月9日前补交" in text
    with pytest.raises(NoticeError, match="owed without the day"):
        dataclasses.replace(complete, owed=("健康证明",))


def test_a_registration_receipt_says_filed_or_done_on_the_spot() -> None:
    receipt = _every_notice()[-1]
    assert isinstance(receipt, RegistrationReceipt)
    text = _text(render_notice(receipt))
    assert "备案回执" in text and "予以备案" in text and "XD2026-000125" in text
    on_the_spot = dataclasses.replace(receipt, filing=False, result_name="名称预先核准通知书")
    text = _text(render_notice(on_the_spot))
    assert "办结回执" in text and "当场办结" in text and "名称预先核准通知书" in text
    with pytest.raises(NoticeError, match="registered before it was submitted"):
        dataclasses.replace(receipt, registered_on=date(2026, 11, 1))
