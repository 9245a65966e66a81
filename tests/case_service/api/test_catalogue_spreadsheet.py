"""The catalogue as a spreadsheet through the API: export, a department's changes, row errors, round trips."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from case_service.catalogue import spreadsheet
from case_service.domain.errors import InvalidInputError
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration
EXPORT = "/api/v1/admin/catalogue/export.xlsx"
IMPORT = "/api/v1/admin/catalogue/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(api: CaseApi, data: bytes, *, confirm: bool = False) -> Any:
    return api.client.post(
        IMPORT,
        files={"workbook": ("catalogue.xlsx", data, XLSX)},
        data={"confirm": "true" if confirm else "false"},
        headers=api.staff("admin"),
    )


def _row_of(sheet: Any, code: str) -> int:
    return int(next(row[0].row for row in sheet.iter_rows(min_row=2) if row[0].value == code))


def _column(sheet: Any, header: str) -> int:
    return int(next(cell.column for cell in sheet[1] if cell.value == header))


def test_export_then_import_unchanged_makes_no_versions(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    exported = client.get(EXPORT, headers=api.staff("admin"))
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(exported.content))
    assert workbook.sheetnames == ["事项", "申请材料"]
    items = workbook["事项"]
    assert items.max_row == 76  # the header and the 75 items
    headers = [cell.value for cell in items[1]]
    assert (
        headers[:3] == ["事项编码", "事项名称", "基本编码"]
        and "承诺时限" in headers
        and "待部门核实" in headers
    )
    food = {
        header: cell.value for header, cell in zip(headers, items[_row_of(items, ITEM_FOOD)], strict=True)
    }
    assert food["承诺时限"] == 10 and food["事项类型"] == "行政许可" and food["状态"] == "在办"
    materials = [
        row for row in workbook["申请材料"].iter_rows(min_row=2, values_only=True) if row[0] == ITEM_FOOD
    ]
    assert materials[0][1] == "食品经营许可申请书"

    preview = _import(api, exported.content)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "new": [],
        "changed": [],
        "unchanged": 75,
        "errors": [],
        "versions_created": 0,
        "applied": False,
    }
    applied = _import(api, exported.content, confirm=True).json()
    assert applied["applied"] and applied["versions_created"] == 0
    assert [v["version"] for v in client.get(f"/api/v1/items/{ITEM_FOOD}/versions").json()] == [1]


def test_the_csv_sheets_round_trip_too(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    admin = api.staff("admin")
    items = client.get("/api/v1/admin/catalogue/export/items.csv", headers=admin)
    materials = client.get("/api/v1/admin/catalogue/export/materials.csv", headers=admin)
    assert items.content.startswith("\ufeff".encode()) and items.headers["content-type"].startswith(
        "text/csv"
    )
    rows = list(csv.reader(io.StringIO(items.content.decode("utf-8-sig"))))
    assert len(rows) == 76 and rows[0][0] == "事项编码"
    answer = client.post(
        IMPORT,
        files={
            "items": ("items.csv", items.content, "text/csv"),
            "materials": ("m.csv", materials.content, "text/csv"),
        },
        data={"confirm": "true"},
        headers=admin,
    ).json()
    assert (answer["unchanged"], answer["errors"], answer["versions_created"]) == (75, [], 0)


def test_a_departments_changes_show_in_a_dry_run_and_bad_rows_are_named_in_chinese(
    sqlite_api: CaseApi,
) -> None:
    api, client = sqlite_api, sqlite_api.client
    workbook = load_workbook(io.BytesIO(client.get(EXPORT, headers=api.staff("admin")).content))
    items, materials = workbook["事项"], workbook["申请材料"]
    food_row, company_row = _row_of(items, ITEM_FOOD), _row_of(items, ITEM_COMPANY)
    items.cell(food_row, _column(items, "办理时间")).value = "周一至周五 9:00-12:00,13:30-17:00"
    pending = items.cell(food_row, _column(items, "待部门核实"))
    assert "办理时间" in pending.value.split("、")  # the department now confirms its hours
    pending.value = "、".join(name for name in pending.value.split("、") if name != "办理时间")
    legal = items.cell(company_row, _column(items, "法定时限")).value
    items.cell(company_row, _column(items, "承诺时限")).value = legal + 1
    items.cell(company_row, _column(items, "网办深度")).value = "四级"
    materials.append([ITEM_FOOD, "食品安全管理制度", "是", "", "是", "复印件", 1, "纸质", "", ""])
    materials.append(["513200-XK-SJ-9999", "申请书", "是", "", "否", "原件", 1, "纸质", "", ""])
    bad_row = materials.max_row

    preview = _import(api, _workbook_bytes(workbook)).json()
    assert preview["errors"] == [
        f"第{company_row}行：网办深度应为整数,而不是「四级」",
        f"申请材料第{bad_row}行：事项编码 513200-XK-SJ-9999 不在「事项」中",
    ]
    items.cell(company_row, _column(items, "网办深度")).value = 1
    preview = _import(api, _workbook_bytes(workbook)).json()
    assert preview["errors"][1].startswith(
        f"第{company_row}行：承诺时限不能超过法定时限(承诺{legal + 1}个工作日,法定{legal}个工作日)"
    )
    assert preview["changed"] == [{"code": ITEM_FOOD, "fields": ["申请材料", "办理时间", "待部门核实"]}]
    refused = _import(api, _workbook_bytes(workbook), confirm=True)
    assert refused.status_code == 422 and "未导入任何事项" in refused.json()["error"]["message"]
    assert client.get(f"/api/v1/items/{ITEM_FOOD}").json()["version"] == 1

    items.cell(company_row, _column(items, "承诺时限")).value = legal
    materials.delete_rows(bad_row)
    done = _import(api, _workbook_bytes(workbook), confirm=True).json()
    assert done["errors"] == [] and done["versions_created"] == 2
    assert done["changed"][0] == {"code": ITEM_COMPANY, "fields": ["网办深度"]}
    assert client.get(f"/api/v1/items/{ITEM_COMPANY}").json()["online_depth"] == 1
    food = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    assert food["version"] == 2 and food["service_hours"] == "周一至周五 9:00-12:00,13:30-17:00"
    assert "service_hours" not in food["unverified"]
    assert food["materials"][-1] == {
        "name": "食品安全管理制度",
        "required": True,
        "form": "copy",
        "copies": 1,
        "template": "",
        "condition": "",
        "tolerated": True,
        "medium": "paper",
        "sample": "",
    }
    history = client.get(f"/api/v1/items/{ITEM_FOOD}/versions").json()
    assert [version["version"] for version in history] == [1, 2]


def test_only_an_administrator_exports_or_imports(sqlite_api: CaseApi) -> None:
    api, client = sqlite_api, sqlite_api.client
    for headers in ({}, api.staff("clerk1"), api.staff("manager1"), api.device()):
        assert client.get(EXPORT, headers=headers).status_code in (401, 403)
        assert client.get("/api/v1/admin/catalogue/export/items.csv", headers=headers).status_code in (
            401,
            403,
        )
        answer = client.post(IMPORT, files={"workbook": ("x.xlsx", b"x", XLSX)}, headers=headers)
        assert answer.status_code in (401, 403)
    not_a_workbook = _import(api, b"not a workbook")
    assert not_a_workbook.status_code == 422 and "无法打开表格" in not_a_workbook.json()["error"]["message"]


def test_sheets_that_cannot_be_read_are_named_in_chinese() -> None:
    def read(text: str) -> list[str]:
        return spreadsheet.read_tables(spreadsheet.read_csv(text.encode("utf-8")), None).errors

    with pytest.raises(InvalidInputError, match="「事项」第1行的列重复:事项编码"):
        read("事项编码,事项编码\nx,y\n")
    with pytest.raises(InvalidInputError, match="「事项」第1行有不认识的列:颜色"):
        read("事项编码,颜色\nx,y\n")
    with pytest.raises(InvalidInputError, match="缺少「事项编码」列"):
        read("事项名称\nx\n")
    assert read(f"事项编码,收费项目,环节时限\n{ITEM_FOOD},a|b|c|d,foo=1\n\n") == [
        "第2行：收费项目每行应为「名称|金额|依据」,而不是「a|b|c|d」",
        "第2行：环节时限的环节应为制作证照、统一盖章、出件、上级机关办理,而不是「foo」",
    ]
    good = spreadsheet.read_tables(
        spreadsheet.read_csv(f"事项编码,状态,办理渠道\n{ITEM_FOOD},暂停,窗口、网上\n".encode()), None
    )
    assert good.errors == [] and good.items == [
        {"code": ITEM_FOOD, "status": "suspended", "channels": ["window", "online"]}
    ]
    gbk = spreadsheet.read_csv("事项编码,事项名称\n".encode("gb18030"))
    assert gbk == [["事项编码", "事项名称"]]


def test_the_exported_columns_are_wide_enough_to_read(sqlite_api: CaseApi) -> None:
    """openpyxl leaves every column 8.43 characters wide: opened in LibreOffice the codes and names were
    cut off, on screen and printed. Each column now fits its header and its longest line (a Chinese
    character two), up to spreadsheet.WIDEST, beyond which the cell wraps."""
    api = sqlite_api
    workbook = load_workbook(io.BytesIO(api.client.get(EXPORT, headers=api.staff("admin")).content))
    items = workbook["事项"]
    width = {cell.value: items.column_dimensions[cell.column_letter].width for cell in items[1]}
    assert width["事项编码"] >= len("513200-XK-SJ-0511") + 1  # the whole code, in one line
    names = [row[0] for row in items.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True)]
    assert width["事项名称"] == spreadsheet.WIDEST > 2 * len(min(names, key=len))
    longest = max(items.iter_rows(min_row=2, min_col=2, max_col=2), key=lambda row: len(row[0].value))[0]
    assert 2 * len(longest.value) > spreadsheet.WIDEST and longest.alignment.wrap_text  # wraps, not cut
    assert all(w >= spreadsheet.NARROWEST for w in width.values())
    # A row of wrapped lines is as high as they are (LibreOffice kept it one line high: they overlapped).
    food = _row_of(items, ITEM_FOOD)
    conditions = items.cell(food, _column(items, "受理条件")).value
    assert conditions.count("\n") >= 2 and items.row_dimensions[food].height >= 15 * (
        conditions.count("\n") + 1
    )
    assert items.print_title_rows == "$1:$1" and items.page_setup.orientation == "landscape"
    materials = workbook["申请材料"]
    assert all(
        materials.column_dimensions[cell.column_letter].width >= 2 * len(cell.value) for cell in materials[1]
    )


def test_the_higher_authoritys_clock_is_a_stage_of_the_sheet() -> None:
    """环节时限 `上级机关办理=15` (docs/catalogue.md) is read, and written back the same way."""
    column = spreadsheet.ITEM_COLUMNS["stage_budgets"]
    assert column.read("出件=1;上级机关办理=15") == {"release": 1, "higher_authority": 15}
    assert column.write({"release": 1, "higher_authority": 15}) == "出件=1;上级机关办理=15"


def test_life_events_are_a_column_of_the_sheet(sqlite_api: CaseApi) -> None:
    """生活事件 exported as 经营许可, edited to two events (、), imported: the item's life_events; an event
    that is not one is refused on its row in Chinese."""
    api, client = sqlite_api, sqlite_api.client
    workbook = load_workbook(io.BytesIO(client.get(EXPORT, headers=api.staff("admin")).content))
    items = workbook["事项"]
    cell = items.cell(_row_of(items, ITEM_FOOD), _column(items, "生活事件"))
    assert cell.value == "经营许可"
    cell.value = "经营许可、开店"
    preview = _import(api, _workbook_bytes(workbook)).json()
    assert len(preview["errors"]) == 1 and "生活事件应为出生、上学、就业" in preview["errors"][0]
    assert preview["errors"][0].startswith(f"第{cell.row}行：")
    cell.value = "经营许可、开办企业"
    done = _import(api, _workbook_bytes(workbook), confirm=True).json()
    assert done["errors"] == [] and done["changed"] == [{"code": ITEM_FOOD, "fields": ["生活事件"]}]
    assert client.get(f"/api/v1/items/{ITEM_FOOD}").json()["life_events"] == ["经营许可", "开办企业"]
