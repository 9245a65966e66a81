"""The receipt of materials (收件凭证): what the window received for a case, printed for the applicant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from case_service.documents.typeset import PageWriter, chinese_date
from case_service.domain.intake import FORM_LABELS, STATUS_LABELS, Mark


def mark_line(mark: Mark) -> str:
    how = "复用申请人材料库" if mark.status == "reused" else "窗口收取"
    return f"{mark.name}（{FORM_LABELS.get(mark.form, mark.form)}{mark.count}份，{how}）"


def render_receipt(found: dict[str, Any], *, today: dt.date) -> bytes:
    """`found`: the case, its intake record and the masked people (web.intake's `_receipt`)."""
    case = found["case"]
    record = found["record"]
    people = found["people"]
    writer = PageWriter(f"收件凭证 {case.number}", subject="收件凭证")
    writer.centered("政务服务中心", 16)
    writer.centered("收 件 凭 证", 22, after=8)
    rows = [("办件编号", case.number), ("申请事项", case.item_name), ("实施部门", case.department)]
    if record.get("company"):
        rows += [
            ("申请单位", record["company"]["name"]),
            ("统一社会信用代码", record["company"]["credit_code"]),
            ("法定代表人", f"{people.get('legal_rep', '')}（{people.get('legal_rep_id', '')}）"),
        ]
    else:
        rows.append(("申请人", f"{people.get('name', '')}（{people.get('id_number', '')}）"))
    if people.get("agent_name"):
        rows.append(("代办人", f"{people['agent_name']}（{people.get('agent_id', '')}）"))
    rows.append(("收件日期", chinese_date(case.submitted_on)))
    writer.table(rows, 13)
    writer.skip(10)
    writer.paragraph("已收取材料：", 14, indent_chars=0)
    writer.numbered([mark_line(mark) for mark in found["received"]] or ["（无）"], 13)
    if record.get("letter_in_hand"):
        writer.numbered(["授权委托书（原件1份，窗口收取）"], 13)
    if found["tolerated"]:
        writer.paragraph(f"{STATUS_LABELS['tolerated']}材料（受理后按承诺补交）：", 14, indent_chars=0)
        writer.numbered([mark.name for mark in found["tolerated"]], 13)
    if found["missing"]:
        writer.paragraph("未收取材料：", 14, indent_chars=0)
        writer.numbered([mark.name for mark in found["missing"]], 13)
    writer.skip(8)
    writer.paragraph("本凭证仅证明窗口已收取上列材料，不代表已受理。请妥善保管，凭办件编号查询办理进度。", 12)
    writer.skip(12)
    writer.right(f"收件人：{record['actor'].removeprefix('staff:')}", 13)
    writer.right(chinese_date(today), 13)
    return writer.finish()
