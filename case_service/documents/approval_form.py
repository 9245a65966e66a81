"""行政许可审批表: the case's facts, the site visits' findings and conclusions, and each level's opinion
(承办 → 审核 → 审批) with its review points, signer and time, as an A4 PDF; send-backs to the window are
listed where they happened. Pure: the dataclasses in, the PDF bytes out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.lib.units import mm

from case_service.documents.notices import BODY_SIZE, TITLE_SIZE, NoticeError
from case_service.documents.typeset import PageWriter, chinese_date
from case_service.domain import review, site_visit


@dataclass(frozen=True)
class FormEntry:
    """A signed opinion, or (`level` None) a send-back with its reason in `text`."""

    level: review.Level | None
    round: int
    signer: str
    signer_name: str
    signed_at: dt.datetime
    text: str
    conclusion: review.Conclusion | None = None
    findings: tuple[review.Finding, ...] = ()


@dataclass(frozen=True)
class VisitEntry:
    """A site visit (现场核查) as scheduled and, once recorded, its findings and conclusion."""

    visit_on: dt.date
    place: str
    inspectors: tuple[str, ...]
    conclusion: site_visit.Conclusion | None = None
    findings: tuple[site_visit.Finding, ...] = ()
    summary: str = ""
    recorder: str = ""


@dataclass(frozen=True)
class ApprovalForm:
    authority: str
    case_number: str
    applicant: str
    item_name: str
    item_code: str
    department: str
    legal_basis: str
    submitted_on: dt.date
    accepted_on: dt.date | None
    decision_due: dt.date | None
    chain: tuple[review.Level, ...]
    entries: tuple[FormEntry, ...]
    state_label: str
    pending: tuple[review.Level, ...] = ()  # the levels still to sign in the round now open
    visits: tuple[VisitEntry, ...] = ()  # the case's site visits, in order

    title = "行政许可审批表"

    def __post_init__(self) -> None:
        if not self.case_number.strip() or not self.item_name.strip():
            raise NoticeError("an approval form names its case and item")


def _when(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _entry_text(entry: FormEntry, final: bool) -> str:
    if entry.level is None:
        who = f"退回人：{entry.signer_name}（{entry.signer}）\n时间：{_when(entry.signed_at)}"
        return f"退回原因：{entry.text}\n{who}"
    lines = [
        f"{number}．{finding.point}：{'符合' if finding.met else '不符合'}"
        + (f"（{finding.note}）" if finding.note else "")
        for number, finding in enumerate(entry.findings, start=1)
    ]
    if entry.conclusion is not None:
        labels = review.FINAL_CONCLUSION_LABELS if final else review.CONCLUSION_LABELS
        lines.append(f"结论：{labels[entry.conclusion]}")
    lines.append(f"意见：{entry.text}")
    lines.append(f"签名：{entry.signer_name}（{entry.signer}）")
    lines.append(f"时间：{_when(entry.signed_at)}")
    return "\n".join(lines)


def _visit_text(visit: VisitEntry) -> str:
    lines = [
        f"日期：{chinese_date(visit.visit_on)}",
        f"地点：{visit.place}",
        f"检查人员：{'、'.join(visit.inspectors)}",
    ]
    if visit.conclusion is None:
        lines.append("结论：（尚未记录）")
        return "\n".join(lines)
    lines += [
        f"{number}．{finding.point}：{'符合' if finding.met else '不符合'}"
        + (f"（{finding.note}）" if finding.note else "")
        for number, finding in enumerate(visit.findings, start=1)
    ]
    lines.append(f"结论：{site_visit.CONCLUSION_LABELS[visit.conclusion]}")
    if visit.summary:
        lines.append(f"说明：{visit.summary}")
    if visit.recorder:
        lines.append(f"记录人：{visit.recorder}")
    return "\n".join(lines)


def render_approval_form(form: ApprovalForm) -> bytes:
    writer = PageWriter(form.title, subject=f"{form.title} {form.case_number}")
    writer.centered(form.authority, TITLE_SIZE - 4)
    writer.centered(form.title, TITLE_SIZE, after=6)
    size = BODY_SIZE - 3
    writer.table(
        [
            ("受理编号", form.case_number),
            ("申请人", form.applicant),
            ("申请事项", f"{form.item_name}（{form.item_code}）"),
            ("承办部门", form.department),
            ("设定依据", form.legal_basis or "待部门核实"),
            ("收件日期", chinese_date(form.submitted_on)),
            ("受理日期", chinese_date(form.accepted_on) if form.accepted_on else "—"),
            ("承诺办结", chinese_date(form.decision_due) if form.decision_due else "—"),
            ("审批层级", "→".join(review.LEVEL_LABELS[level] for level in form.chain)),
            ("办件状态", form.state_label),
        ],
        size,
        label_width=30 * mm,
    )
    writer.skip(4 * mm)
    rows = [
        ("现场核查" if number == 0 else "现场复查", _visit_text(visit))  # a later visit re-inspects
        for number, visit in enumerate(form.visits)
    ]
    for entry in form.entries:
        final = entry.level is form.chain[-1]
        label = "退回窗口" if entry.level is None else f"{review.LEVEL_LABELS[entry.level]}意见"
        if any(other.round > 1 for other in form.entries):
            label += f"（第{entry.round}轮）"
        rows.append((label, _entry_text(entry, final)))
    rows += [(f"{review.LEVEL_LABELS[level]}意见", "（尚未签署）") for level in form.pending]
    writer.table(rows, size, label_width=30 * mm)
    return writer.finish()
