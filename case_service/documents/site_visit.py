"""The site visit's two documents: the 现场核查通知书 to the applicant (rendered from what was kept the day
it was issued) and the 现场核查记录 (the inspectors' findings per check point, photos and conclusion)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.lib.units import mm

from case_service.documents.notices import BODY_SIZE, TITLE_SIZE
from case_service.documents.typeset import PageWriter, chinese_date
from case_service.domain import site_visit

NOTICE_TITLE = "现场核查通知书"
RECORD_TITLE = "现场核查记录"


@dataclass(frozen=True)
class VisitNotice:
    authority: str
    department: str
    case_number: str
    applicant: str
    item_name: str
    visit_on: dt.date
    place: str
    inspectors: tuple[str, ...]
    issued_on: dt.date


@dataclass(frozen=True)
class VisitRecord:
    authority: str
    department: str
    case_number: str
    applicant: str
    item_name: str
    visit_on: dt.date
    place: str
    inspectors: tuple[str, ...]
    findings: tuple[site_visit.Finding, ...]
    photos: tuple[str, ...]
    conclusion: site_visit.Conclusion | None
    summary: str
    recorder: str
    recorded_on: dt.date | None


def render_notice(notice: VisitNotice) -> bytes:
    writer = PageWriter(NOTICE_TITLE, subject=f"{NOTICE_TITLE} {notice.case_number}")
    writer.centered(notice.authority, TITLE_SIZE - 4)
    writer.centered(NOTICE_TITLE, TITLE_SIZE, after=6)
    writer.right(f"受理编号：{notice.case_number}", BODY_SIZE - 3)
    writer.skip(3 * mm)
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）申请的{notice.item_name}，依照《中华人民共和国行政许可法》第三十四条第三款，需要对申请"
        f"材料的实质内容进行现场核查。本机关定于{chinese_date(notice.visit_on)}到{notice.place}进行现场核查，"
        f"由{'、'.join(notice.inspectors)}执行。请届时安排熟悉情况的人员在场，并备齐申请材料原件。",
        BODY_SIZE,
    )
    writer.paragraph("现场核查所需时间计入法定办理期限。检查人员应当出示执法证件。", BODY_SIZE)
    writer.skip(8 * mm)
    writer.right(notice.department or notice.authority, BODY_SIZE, inset=8 * mm)
    writer.right(chinese_date(notice.issued_on), BODY_SIZE, inset=8 * mm)
    return writer.finish()


def render_record(record: VisitRecord) -> bytes:
    writer = PageWriter(RECORD_TITLE, subject=f"{RECORD_TITLE} {record.case_number}")
    writer.centered(record.authority, TITLE_SIZE - 4)
    writer.centered(RECORD_TITLE, TITLE_SIZE, after=6)
    size = BODY_SIZE - 3
    writer.table(
        [
            ("受理编号", record.case_number),
            ("申请人", record.applicant),
            ("申请事项", record.item_name),
            ("承办部门", record.department),
            ("核查日期", chinese_date(record.visit_on)),
            ("核查地点", record.place),
            ("检查人员", "、".join(record.inspectors)),
        ],
        size,
        label_width=30 * mm,
    )
    writer.skip(4 * mm)
    rows = [(f.point, "符合" if f.met else f"不符合：{f.note}") for f in record.findings]
    if not rows:
        rows = [("核查情况", "（尚未记录）")]
    writer.table(rows, size, label_width=60 * mm)
    writer.skip(4 * mm)
    conclusion = site_visit.CONCLUSION_LABELS[record.conclusion] if record.conclusion else "（尚未记录）"
    writer.table(
        [
            ("现场照片", "、".join(record.photos) or "无"),
            ("核查结论", conclusion),
            ("整改要求及说明", record.summary or "—"),
            ("记录人", record.recorder or "—"),
            ("记录日期", chinese_date(record.recorded_on) if record.recorded_on else "—"),
        ],
        size,
        label_width=30 * mm,
    )
    return writer.finish()
