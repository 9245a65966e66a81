"""Notices are documents of their moment: the acceptance notice printed on day one reads the same after
the case is extended; the extension, the suspension (with its reason and expected length) and the
resumption each have their notice for the applicant. Read as the PDFs' text (pdftotext)."""

from __future__ import annotations

import datetime as dt
import subprocess

from tests.case_service.conftest import ITEM_COMPANY, CaseApi


def _text(api: CaseApi, case_id: int, kind: str, expect: int = 200) -> str:
    answer = api.client.get(f"/api/v1/cases/{case_id}/documents/{kind}.pdf", headers=api.staff("approver1"))
    assert answer.status_code == expect, answer.text
    if expect != 200:
        return ""
    done = subprocess.run(["pdftotext", "-", "-"], input=answer.content, capture_output=True, check=True)
    return "".join(done.stdout.decode().split())


def test_the_acceptance_notice_keeps_its_day_and_each_later_step_has_its_own(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_COMPANY, name="上官明")
    accepted = api.act(case["id"], "accept", "clerk1")
    due = dt.date.fromisoformat(accepted["decision_due_on"])
    day_one = _text(api, case["id"], "acceptance")
    promised = f"本机关将于{due.year}年{due.month}月{due.day}日前作出行政许可决定"
    assert promised in day_one
    _text(api, case["id"], "extension", expect=409)  # nothing extended yet: no notice

    api.clock.today += dt.timedelta(days=1)
    api.act(case["id"], "start_review", "reviewer1")
    extended = api.act(case["id"], "extend", "approver1", reason="需要组织现场核查")
    later = dt.date.fromisoformat(extended["decision_due_on"])
    assert later > due
    assert _text(api, case["id"], "acceptance") == day_one  # the notice of its day, unchanged
    extension = _text(api, case["id"], "extension")
    assert "延期告知书" in extension and "因需要组织现场核查" in extension
    assert (
        f"由{due.year}年{due.month}月{due.day}日延长至{later.year}年{later.month}月{later.day}日" in extension
    )
    assert "第四十二条第一款" in extension

    # A hearing: its notice names the reason and the expected length; the time is not counted.
    api.act(
        case["id"],
        "suspend",
        "approver1",
        suspension_kind="hearing",
        reason="利害关系人申请听证",
        expected_days=20,
    )
    suspension = _text(api, case["id"], "suspension")
    assert "依法需要听证（利害关系人申请听证）" in suspension and "预计需要20日" in suspension
    assert "第四十五条" in suspension
    api.clock.today += dt.timedelta(days=14)
    resumed = api.act(case["id"], "resume", "approver1")
    resumption = _text(api, case["id"], "resumption")
    new_due = dt.date.fromisoformat(resumed["decision_due_on"])
    assert "恢复办理告知书" in resumption
    assert f"将于{new_due.year}年{new_due.month}月{new_due.day}日前作出行政许可决定" in resumption
    assert f"共{resumed['paused_days']}个工作日" in resumption
    assert _text(api, case["id"], "extension") == extension  # each notice keeps its own day too
    assert _text(api, case["id"], "acceptance") == day_one


def test_a_suspension_refuses_an_impossible_length(sqlite_api: CaseApi) -> None:
    api = sqlite_api
    case = api.file_case(ITEM_COMPANY, name="令狐冲")
    api.act(case["id"], "accept", "clerk1")
    refused = api.act(
        case["id"], "suspend", "approver1", expect=422, suspension_kind="testing", expected_days=0
    )
    assert refused["error"]["code"] in ("invalid_input", "validation_error")
