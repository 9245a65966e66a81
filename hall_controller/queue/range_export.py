"""Queue figures over a range as an xlsx workbook: one sheet per grouping, the columns the page shows.

Pure: rows in, bytes out (openpyxl). The case service's report writer is not reused: importing it pulls in
the case service's database side.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import fields

from openpyxl import Workbook
from openpyxl.styles import Font

from hall_controller.queue.range_stats import RangeRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The groupings as the page shows them, in its order; "day" is the page's too (the days of the range).
SHEETS = {
    "all": "合计 Total",
    "service": "业务 Service",
    "window": "窗口 Window",
    "clerk": "工作人员 Clerk",
    "hour": "时段 Hour",
    "day": "日期 Day",
}
COLUMNS = {
    "key": "分组 Group",
    "tickets": "取号 Tickets",
    "served": "已办 Served",
    "no_shows": "过号 No-shows",
    "waits": "等候次数 Waits",
    "mean_wait_min": "平均等候(分) Mean wait",
    "p90_wait_min": "P90 等候(分) P90 wait",
    "over_target_share": "超目标占比 Over target",
    "visits": "办理次数 Visits",
    "mean_service_min": "平均办理(分) Mean service",
    "p90_service_min": "P90 办理(分) P90 service",
    "estimate_error_min": "预估误差(分) Estimate error",
}
# The service sheet names each service in both languages; its code stands last, as a secondary column.
SERVICE_NAMES, SERVICE_CODE = ("业务 Service", "Service (English)"), "代码 Code"
# Windows and clerks count the visits and waits that ended there; tickets belong to a service, hour, day.
BY_TICKET, BY_VISIT = ("tickets", "estimate_error_min"), ("visits", "mean_service_min", "p90_service_min")
assert set(COLUMNS) <= {item.name for item in fields(RangeRow)}


def range_workbook(rows: Sequence[RangeRow], first: str, last: str, target_minutes: float) -> bytes:
    book = Workbook()
    book.remove(book.worksheets[0])
    for group, name in SHEETS.items():
        sheet = book.create_sheet(name.split()[0])
        sheet.append(
            [f"排队统计 Queue figures · {first} – {last} · {name} · 等候目标 target {target_minutes:g} 分"]
        )
        sheet["A1"].font = Font(bold=True, size=13)
        left = () if group == "all" else BY_TICKET if group in ("window", "clerk") else BY_VISIT
        columns = [c for c in COLUMNS if c not in left]
        named = group == "service"
        figures = columns[1:] if named else columns
        heads = [*SERVICE_NAMES, *(COLUMNS[c] for c in figures), SERVICE_CODE] if named else None
        sheet.append(heads or [COLUMNS[c] for c in columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            sheet.column_dimensions[cell.column_letter].width = 16
        for row in rows:
            if row.group == group and named:
                values = [getattr(row, column) for column in figures]
                sheet.append([row.name or row.key, row.name_en or "", *values, row.key])
            elif row.group == group:
                sheet.append([getattr(row, column) for column in columns])
        share = [cell.value for cell in sheet[2]].index(COLUMNS["over_target_share"]) + 1
        for (cell,) in sheet.iter_rows(min_row=3, min_col=share, max_col=share):
            cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
