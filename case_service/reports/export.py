"""Reports as xlsx workbooks (openpyxl): one sheet each, the table as the page shows it."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from case_service.reports.figures import FLOW_GROUP_LABELS, STAGE_LABELS, Figures, FlowGroup, StageName
from case_service.reports.service import CaseReport

# Decisions other than a licence's, shown beside 办结 (a licence's are the rest).
BY_FLOW = (FlowGroup.REGISTRATION, FlowGroup.FORWARDING, FlowGroup.PUBLIC_SERVICE)
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
    *(f"其中{FLOW_GROUP_LABELS[group]}" for group in BY_FLOW),
    "转报上级 Forwarded",
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
        *(figures.decided_by_flow[group.value] for group in BY_FLOW),
        figures.forwarded,
    ]
    for stage in StageName:
        spread = figures.spread(stage)
        row += [spread.count, spread.mean, spread.p90]
    return row


def _cell(value: object) -> object:
    """Text without the control characters a worksheet cannot hold (a department name is typed)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _workbook(
    title: str, sheet_name: str, header: list[str], rows: list[list[object]], rate_column: int
) -> bytes:
    """One sheet: a title line, the header, the rows (the last one, the total, in bold)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name
    sheet.append([_cell(title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 24 if cell.column == 1 else 14
    for row in rows:
        sheet.append([_cell(value) for value in row])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for (value,) in sheet.iter_rows(min_row=3, min_col=rate_column, max_col=rate_column):
        value.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_bytes(report: CaseReport) -> bytes:
    scope = report.department or "全中心 whole centre"
    title = f"办件统计 Case figures · {report.period.label} · {scope}"
    rows = [_row(figures) for figures in [*report.groups, report.total]]
    return _workbook(title, "办件统计", COLUMNS + _stage_columns(), rows, rate_column=10)


def ratings_workbook_bytes(report: dict[str, Any]) -> bytes:
    """A 好差评 report (`service.rating_report`) as a workbook."""
    scope = report["department"] or "全中心 whole centre"
    title = f"好差评 Ratings · {report['period']['label']} · {scope}"
    levels = list(report["levels"])  # "5" … "1"
    header = ["分组 Group", "评价 Ratings"]
    header += [f"{report['levels'][level]} ({level})" for level in levels]
    header += ["差评 Bad", "满意率 Satisfaction", "平均分 Mean"]
    rows = [
        [
            group["label"],
            group["count"],
            *(group["levels"][level] for level in levels),
            group["bad"],
            group["satisfaction_rate"],
            group["mean_score"],
        ]
        for group in [*report["groups"], report["total"]]
    ]
    return _workbook(title, "好差评", header, rows, rate_column=len(levels) + 4)


def workbook_name(report: CaseReport) -> str:
    return f"case-figures-{report.period.start.isoformat()}-{report.period.end.isoformat()}.xlsx"


def ratings_workbook_name(report: dict[str, Any]) -> str:
    return f"ratings-{report['period']['start']}-{report['period']['end']}.xlsx"
