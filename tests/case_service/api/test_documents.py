"""Every notice of a case as a PDF with the right Chinese text, only once the case has reached it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.case_service.conftest import ID_B, ITEM_COMPANY, ITEM_FOOD, CaseApi
from tests.fixtures.materials import hand_in


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def fetch(api: CaseApi, case_id: int, kind: str, headers: dict[str, str]) -> bytes:
    answer = api.client.get(f"/api/v1/cases/{case_id}/documents/{kind}.pdf", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    content: bytes = answer.content
    return content


@pytest.mark.slow
def test_each_notice_carries_its_case(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    clerk = api.staff("clerk1")
    case = api.file_case(ITEM_COMPANY, name="张三丰", complete=False)
    early = api.client.get(f"/api/v1/cases/{case['id']}/documents/decision.pdf", headers=clerk)
    assert early.status_code == 409 and "no decision" in early.json()["error"]["message"]

    api.act(
        case["id"], "request_supplement", "clerk1", defects=[{"material": "公司章程", "problem": "未签字"}]
    )
    text = pdf_text(fetch(api, case["id"], "supplement", clerk))
    assert "补正材料一次性告知书" in text and "张三丰" in text and "住所使用证明" in text and "未签字" in text
    hand_in(api.client, case["id"], ITEM_COMPANY, clerk)
    api.act(case["id"], "supplement", "clerk1")
    api.act(case["id"], "accept", "clerk1")
    text = pdf_text(fetch(api, case["id"], "acceptance", clerk))
    assert "受理通知书" in text and case["number"] in text
    api.act(case["id"], "start_review", "reviewer1")
    api.joint_opinion(case["id"])
    api.act(case["id"], "approve", "approver1")
    text = pdf_text(fetch(api, case["id"], "decision", clerk))
    assert "准予行政许可决定书" in text and "企业设立、变更、注销登记" in text
    for action, user, extra in (
        ("make_certificate", "reviewer1", {}),
        ("seal", "sealer1", {}),
        ("release", "clerk1", {"channel": "window"}),
        ("deliver", "clerk1", {"receipt": {"recipient": "张三丰", "signed_by": "张三丰"}}),
    ):
        api.act(case["id"], action, user, **extra)
    text = pdf_text(fetch(api, case["id"], "service_receipt", clerk))
    assert "送达回证" in text and "直接送达" in text and "准予行政许可决定书" in text

    history = api.client.get(f"/api/v1/cases/{case['id']}/history", headers=clerk).json()
    assert history[-1]["action"] == "document.read" and history[-1]["after"]["document"] == "service_receipt"


@pytest.mark.slow
def test_denial_and_refusal_notices_and_applicant_scope(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    clerk = api.staff("clerk1")
    refused = api.file_case(ITEM_FOOD)
    api.act(refused["id"], "not_accept", "clerk1", reason="申请事项依法不需要取得行政许可")
    text = pdf_text(fetch(api, refused["id"], "non_acceptance", clerk))
    assert "不予受理通知书" in text and "依法不需要取得行政许可" in text
    denied = api.file_case(ITEM_FOOD)
    api.act(denied["id"], "accept", "clerk1")
    api.act(denied["id"], "start_review", "reviewer1")
    api.conclude_site_visit(denied["id"])
    api.act(denied["id"], "deny", "approver1", reasons=["经营场所不符合食品安全要求"])
    applicant = api.applicant()
    text = pdf_text(fetch(api, denied["id"], "decision", applicant))  # the kiosk prints the person's own
    assert "不予行政许可决定书" in text and "经营场所不符合食品安全要求" in text and "复议" in text
    other = api.file_case(ITEM_FOOD, id_number=ID_B, name="李四")
    api.act(other["id"], "accept", "clerk1")
    hidden = api.client.get(f"/api/v1/cases/{other['id']}/documents/acceptance.pdf", headers=applicant)
    assert hidden.status_code == 404
    unknown = api.client.get(f"/api/v1/cases/{other['id']}/documents/poem.pdf", headers=clerk)
    assert unknown.status_code == 422


def test_a_due_date_in_a_year_not_yet_announced_says_so_on_the_notice(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    clerk = api.staff("clerk1")
    api.clock.today = dt.date(2025, 12, 1)  # 2025 and 2026 are known: the notice says nothing more
    known = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert "尚未公布" not in pdf_text(fetch(api, known["id"], "acceptance", clerk))
    api.clock.today = dt.date(2026, 12, 24)
    case = api.act(api.file_case(ITEM_FOOD)["id"], "accept", "clerk1")
    assert case["due_estimated"] and case["decision_due_on"] == "2027-01-07"
    text = pdf_text(fetch(api, case["id"], "acceptance", clerk))
    assert "本机关将于2027年1月7日前作出行政许可决定" in text
    assert "2027年法定节假日安排尚未公布,上述日期按周末推算,如遇节假日依法顺延。" in text.replace("，", ",")
