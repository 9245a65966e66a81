"""A case report as an xlsx workbook (openpyxl): one sheet, the table as the page shows it."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from case_service.reports.figures import STAGE_LABELS, Figures, StageName
from case_service.reports.service import CaseReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    "分组 Group",
    "收件 Received",
    "受理 Accepted",
    "其中视为受理 Deemed",
    "不予受理 Not accepted",
    "补正告知 Supplement notices",
    "办结 Decided",
    "按时 On time",
    "超期 Late",
    "按时率 On-time rate",
]


def _stage_columns() -> list[str]:
    return [
        f"{STAGE_LABELS[stage]} {what}"
        for stage in StageName
        for what in ("件数 cases", "平均工作日 mean days", "P90 工作日 days")
    ]


def _row(figures: Figures) -> list[object]:
    row: list[object] = [
        figures.label,
        figures.received,
        figures.accepted,
        figures.deemed,
        figures.not_accepted,
        figures.supplement,
        figures.decided,
        figures.on_time,
        figures.late,
        figures.on_time_rate,
    ]
    for stage in StageName:
        spread = figures.spread(stage)
        row += [spread.count, spread.mean, spread.p90]
    return row


def workbook_bytes(report: CaseReport) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "办件统计"
    scope = report.department or "全中心 whole centre"
    sheet.append([f"办件统计 Case figures · {report.period.label} · {scope}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(COLUMNS + _stage_columns())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for figures in report.groups:
        sheet.append(_row(figures))
    sheet.append(_row(report.total))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, cell in enumerate(sheet[2], start=1):
        sheet.column_dimensions[cell.column_letter].width = 24 if index == 1 else 14
        if index == 10:
            for (value,) in sheet.iter_rows(min_row=3, min_col=10, max_col=10):
                value.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_name(report: CaseReport) -> str:
    return f"case-figures-{report.period.start.isoformat()}-{report.period.end.isoformat()}.xlsx"
