"""The receipt of a “一件事一次办” application (一件事收件凭证): every item of the package with its case
number and department, and the one set of materials the window received for all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from case_service.documents.receipt import mark_line
from case_service.documents.typeset import PageWriter, chinese_date
from case_service.domain.intake import Mark

if TYPE_CHECKING:
    from case_service.cases.packages import View


def render_package_receipt(
    view: View,
    *,
    company: dict[str, str] | None,
    people: dict[str, str],
    received: Sequence[Mark],
    tolerated: Sequence[Mark],
    today: dt.date,
) -> bytes:
    """`people`: masked already (web.packages)."""
    package = view.package
    writer = PageWriter(f"一件事收件凭证 {package.number}", subject="一件事收件凭证")
    writer.centered("政务服务中心", 16)
    writer.centered("“一件事一次办”收件凭证", 20, after=8)
    rows = [
        ("受理编号", package.number),
        ("办理事项", package.package_name),
        ("牵头部门", package.lead_department),
    ]
    if company:
        rows += [("申请单位", company["name"]), ("统一社会信用代码", company["credit_code"])]
        rows.append(("法定代表人", f"{people.get('legal_rep', '')}（{people.get('legal_rep_id', '')}）"))
    else:
        rows.append(
            ("申请人", f"{people.get('name', package.applicant_name)}（{people.get('id_number', '')}）")
        )
    filed_on = view.cases[0].submitted_on if view.cases else package.created_at.date()
    rows.append(("收件日期", chinese_date(filed_on)))
    writer.table(rows, 13)
    writer.skip(10)
    writer.paragraph(
        f"本次一并申请以下 {len(view.cases)} 个事项，各部门并联办理，结果统一出件：", 14, indent_chars=0
    )
    writer.numbered(
        [f"{case.item_name}（{case.department}，办件编号 {case.number}）" for case in view.cases], 13
    )
    writer.paragraph("已收取材料（一套材料，共用材料只收一次）：", 14, indent_chars=0)
    writer.numbered([mark_line(mark) for mark in received] or ["（无）"], 13)
    if tolerated:
        writer.paragraph("容缺后补材料（受理后按承诺补交）：", 14, indent_chars=0)
        writer.numbered([mark.name for mark in tolerated], 13)
    writer.skip(8)
    writer.paragraph(
        "本凭证证明窗口已收取上列材料。所有事项办结后统一出件，申请人一次领取全部结果；"
        "凭受理编号或各办件编号查询办理进度。",
        12,
    )
    writer.skip(12)
    writer.right(f"收件人：{package.created_by.removeprefix('staff:')}", 13)
    writer.right(chinese_date(today), 13)
    return writer.finish()
