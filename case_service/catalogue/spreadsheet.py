"""The catalogue as a spreadsheet a department fills in: one row per item (sheet 事项), one row per
material (sheet 申请材料, keyed by 事项编码); as xlsx (openpyxl) or as two CSV files.

Reading gives each row's fields, or the row's errors in Chinese (第3行：法定时限应为整数…); the catalogue's
rules are checked on the item a row makes (catalogue.exchange). A column left out of the sheet leaves that
field of an existing item as it is. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from case_service.domain.catalogue import (
    CHANNELS,
    FIELD_LABELS,
    normalise_material,
)
from case_service.domain.errors import InvalidInputError

ITEMS_SHEET = "事项"
MATERIALS_SHEET = "申请材料"
CODE_LABEL = FIELD_LABELS["code"]
LIST_SEPARATOR = "\n"
_YES, _NO = "是", "否"
CHANNEL_LABELS: Mapping[str, str] = {"window": "窗口", "kiosk": "自助终端", "online": "网上"}
STATUS_LABELS: Mapping[str, str] = {"active": "在办", "suspended": "暂停", "handed_down": "已下放"}
STAGE_LABELS: Mapping[str, str] = {
    "certificate": "制作证照",
    "seal": "统一盖章",
    "release": "出件",
    "higher_authority": "上级机关办理",  # 审核转报: the higher authority's clock
}
# Column widths in the xlsx, in characters of the default font (a Chinese character takes two): wide
# enough for the header and the longest first line, never wider than WIDEST (longer text wraps).
NARROWEST, WIDEST = 6, 50
LINE_POINTS, MOST_LINES = 15, 20  # a wrapped row's height: 15 points a line, at most 20 lines
FORM_LABELS: Mapping[str, str] = {"original": "原件", "copy": "复印件", "electronic": "电子件"}
MEDIUM_LABELS: Mapping[str, str] = {"paper": "纸质", "electronic": "电子", "both": "纸质和电子"}


class CellError(ValueError):
    """A cell that cannot be read; the message is Chinese and reads after the column's name."""


@dataclass(frozen=True)
class Codec:
    write: Callable[[Any], Any]
    read: Callable[[Any], Any]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _integer(value: Any) -> int:
    text = _text(value)
    try:
        return int(text.split()[0]) if text else 0
    except ValueError as err:
        raise CellError(f"应为整数,而不是「{text}」") from err


def _yes_no(value: Any) -> bool:
    text = _text(value)
    if text in (_YES, "Y", "y", "1", "TRUE", "True", "true"):
        return True
    if text in (_NO, "", "N", "n", "0", "FALSE", "False", "false"):
        return False
    raise CellError(f"应为「是」或「否」,而不是「{text}」")


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _text(value).split(LIST_SEPARATOR) if line.strip()]


def _labelled(labels: Mapping[str, str]) -> Codec:
    back = {label: key for key, label in labels.items()}

    def read(value: Any) -> str:
        text = _text(value)
        if text in back:
            return back[text]
        if text in labels:
            return text
        raise CellError(f"应为{'、'.join(labels.values())}之一,而不是「{text}」")

    return Codec(lambda value: labels.get(value, value), read)


def _labelled_list(labels: Mapping[str, str]) -> Codec:
    one = _labelled(labels)
    return Codec(
        lambda values: "、".join(one.write(value) for value in values),
        lambda value: [
            one.read(part) for part in _text(value).replace(",", "、").split("、") if part.strip()
        ],
    )


def _words_read(value: Any) -> list[str]:
    """Words separated by 、 (or commas): 开办企业、注销歇业."""
    return [
        part.strip()
        for part in _text(value).replace(",", "、").replace("，", "、").split("、")
        if part.strip()
    ]


def _fees_write(fees: Iterable[Mapping[str, Any]]) -> str:
    return LIST_SEPARATOR.join(
        f"{fee['name']}|{fee.get('amount', '')}|{fee.get('basis', '')}" for fee in fees
    )


def _fees_read(value: Any) -> list[dict[str, str]]:
    fees = []
    for line in _lines(value):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3 or not parts[0]:
            raise CellError(f"每行应为「名称|金额|依据」,而不是「{line}」")
        name, amount, basis = [*parts, "", ""][:3]
        fees.append({"name": name, "amount": amount, "basis": basis})
    return fees


def _budgets_write(budgets: Mapping[str, int]) -> str:
    return ";".join(f"{STAGE_LABELS.get(stage, stage)}={days}" for stage, days in budgets.items())


def _budgets_read(value: Any) -> dict[str, int]:
    back = {label: key for key, label in STAGE_LABELS.items()}
    budgets = {}
    for part in _text(value).replace(";", ";").split(";"):
        if not part.strip():
            continue
        label, _, days = part.partition("=")
        stage = back.get(label.strip(), label.strip())
        if stage not in STAGE_LABELS:
            raise CellError(f"的环节应为{'、'.join(STAGE_LABELS.values())},而不是「{label.strip()}」")
        budgets[stage] = _integer(days)
    return budgets


_FIELD_BY_LABEL = {label: name for name, label in FIELD_LABELS.items()}


def _unverified_read(value: Any) -> list[str]:
    names = []
    for label in (part.strip() for part in _text(value).replace(",", "、").split("、")):
        if label:
            if label not in _FIELD_BY_LABEL:
                raise CellError(f"中的「{label}」不是本表的列名")
            names.append(_FIELD_BY_LABEL[label])
    return names


TEXT = Codec(lambda value: value, _text)
INTEGER = Codec(lambda value: value, _integer)
YES_NO = Codec(lambda value: _YES if value else _NO, _yes_no)
LINES = Codec(LIST_SEPARATOR.join, _lines)
# The items sheet's columns, in order: field name -> how it is written and read.
ITEM_COLUMNS: Mapping[str, Codec] = {
    "code": TEXT,
    "name": TEXT,
    "basic_code": TEXT,
    "department": TEXT,
    "implementing_unit": TEXT,
    "kind": TEXT,
    "category": TEXT,
    "applicant_type": TEXT,
    "legal_basis": TEXT,
    "conditions": LINES,
    "legal_limit_days": INTEGER,
    "promised_limit_days": INTEGER,
    "handling_type": TEXT,
    "fee_status": TEXT,
    "fees": Codec(_fees_write, _fees_read),
    "result_name": TEXT,
    "result_sample": TEXT,
    "service_location": TEXT,
    "service_hours": TEXT,
    "online_depth": INTEGER,
    "visits_required": INTEGER,
    "consult_phone": TEXT,
    "complaint_phone": TEXT,
    "joint_departments": LINES,
    "review_points": LINES,
    "approval_levels": INTEGER,
    "site_visit": YES_NO,
    "higher_authority": TEXT,
    "life_events": Codec("、".join, _words_read),
    "unified_seal": YES_NO,
    "channels": _labelled_list(CHANNEL_LABELS),
    "stage_budgets": Codec(_budgets_write, _budgets_read),
    "status": _labelled(STATUS_LABELS),
    "exercise_level_note": TEXT,
    "unverified": Codec(lambda names: "、".join(FIELD_LABELS[name] for name in names), _unverified_read),
}
MATERIAL_COLUMNS: Mapping[str, tuple[str, Codec]] = {
    "code": (CODE_LABEL, TEXT),
    "name": ("材料名称", TEXT),
    "required": ("必须提交", YES_NO),
    "condition": ("适用情形", TEXT),
    "tolerated": ("容缺受理", YES_NO),
    "form": ("材料形式", _labelled(FORM_LABELS)),
    "copies": ("份数", INTEGER),
    "medium": ("介质", _labelled(MEDIUM_LABELS)),
    "template": ("空白表格", TEXT),
    "sample": ("示例样表", TEXT),
}
ITEM_HEADERS = [FIELD_LABELS[name] for name in ITEM_COLUMNS]
MATERIAL_HEADERS = [label for label, _codec in MATERIAL_COLUMNS.values()]
assert set(CHANNEL_LABELS) == set(CHANNELS)


# Writing -----------------------------------------------------------------------------------------------


def item_rows(items: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    return [[codec.write(item[name]) for name, codec in ITEM_COLUMNS.items()] for item in items]


def material_rows(items: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    rows = []
    for item in items:
        for material in item["materials"]:
            full = {"code": item["code"], **normalise_material(material)}
            rows.append([codec.write(full[name]) for name, (_label, codec) in MATERIAL_COLUMNS.items()])
    return rows


def _display_width(text: str) -> int:
    """The longest line's width: a wide (CJK, full-width) character counts two."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def _wrapped_lines(text: str, width: int) -> int:
    """How many lines `text` takes in a column `width` characters wide, wrapped."""
    room = max(1, width - 1)
    return sum(max(1, -(-_display_width(line) // room)) for line in text.split("\n"))


def column_width(values: Iterable[Any]) -> int:
    """A column's width for its header and values (openpyxl leaves every column 8.43 wide: codes and
    names were cut off when the export was opened in LibreOffice)."""
    widest = max((_display_width(str(value)) for value in values if value not in (None, "")), default=0)
    return max(NARROWEST, min(WIDEST, widest + 2))


def to_xlsx(items: Sequence[Mapping[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheets = (
        (workbook.active, ITEMS_SHEET, ITEM_HEADERS, item_rows(items)),
        (workbook.create_sheet(), MATERIALS_SHEET, MATERIAL_HEADERS, material_rows(items)),
    )
    for sheet, title, headers, rows in sheets:
        assert sheet is not None
        sheet.title = title
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top")  # a row's cells read from its top line
                if isinstance(cell.value, str):
                    cell.number_format = "@"  # text: codes and phone numbers stay as written
        sheet.freeze_panes = "B2" if title == ITEMS_SHEET else "C2"
        widths = [column_width(cell.value for cell in column) for column in sheet.iter_cols()]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for row in sheet.iter_rows(min_row=2):
            lines = 1
            for cell, width in zip(row, widths, strict=True):
                if isinstance(cell.value, str) and (
                    LIST_SEPARATOR in cell.value or _display_width(cell.value) > width
                ):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    lines = max(lines, _wrapped_lines(cell.value, width))
            if lines > 1:  # LibreOffice keeps a row one line high unless told: wrapped text overlapped
                sheet.row_dimensions[row[0].row].height = LINE_POINTS * min(lines, MOST_LINES)
        sheet.print_title_rows = "1:1"  # printed, every page repeats the column names
        sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs open the Chinese text as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


# Reading -----------------------------------------------------------------------------------------------


@dataclass
class ReadResult:
    """Each good row's item (its fields as the sheet gives them) and every bad row's errors."""

    items: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # each item's row number in the items sheet
    errors: list[str] = field(default_factory=list)
    has_materials: bool = False


Table = list[list[Any]]


def read_xlsx(data: bytes) -> tuple[Table, Table | None]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInputError("无法打开表格:请上传 .xlsx 文件(Excel、WPS 或 LibreOffice 保存的)") from err
    if ITEMS_SHEET not in workbook.sheetnames:
        raise InvalidInputError(f"表格中没有「{ITEMS_SHEET}」工作表")

    def table(name: str) -> Table:
        return [list(row) for row in workbook[name].iter_rows(values_only=True)]

    materials = table(MATERIALS_SHEET) if MATERIALS_SHEET in workbook.sheetnames else None
    return table(ITEMS_SHEET), materials


def read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as err:
            raise InvalidInputError("CSV 文件的编码无法识别:请存为 UTF-8") from err
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _headers(table: Table, known: Sequence[str], sheet: str) -> list[str | None]:
    if not table:
        raise InvalidInputError(f"「{sheet}」是空的:第1行应为列名")
    headers = [_text(cell) or None for cell in table[0]]
    unknown = [header for header in headers if header and header not in known]
    if unknown:
        raise InvalidInputError(f"「{sheet}」第1行有不认识的列:{'、'.join(unknown)}")
    repeated = sorted({header for header in headers if header and headers.count(header) > 1})
    if repeated:
        raise InvalidInputError(f"「{sheet}」第1行的列重复:{'、'.join(repeated)}")
    if CODE_LABEL not in headers:
        raise InvalidInputError(f"「{sheet}」缺少「{CODE_LABEL}」列")
    return headers


def _blank(row: Sequence[Any]) -> bool:
    return all(_text(cell) == "" for cell in row)


def _rows(
    table: Table, columns: Mapping[str, tuple[str, Codec]], sheet: str
) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    """Each filled row: its number, its fields by name, and its cells' errors."""
    by_label = {label: (name, codec) for name, (label, codec) in columns.items()}
    headers = _headers(table, list(by_label), sheet)
    for number, row in enumerate(table[1:], start=2):
        if _blank(row):
            continue
        fields: dict[str, Any] = {}
        errors = []
        for header, cell in zip(headers, row, strict=False):
            if header is None:
                continue
            name, codec = by_label[header]
            try:
                fields[name] = codec.read(cell)
            except CellError as err:
                errors.append(f"{header}{err}")
        yield number, fields, errors


def read_tables(items_table: Table, materials_table: Table | None) -> ReadResult:
    result = ReadResult(has_materials=materials_table is not None)
    materials, material_rows_of = _read_materials(materials_table, result) if materials_table else ({}, {})
    columns = {name: (FIELD_LABELS[name], codec) for name, codec in ITEM_COLUMNS.items()}
    seen: dict[str, int] = {}
    for number, item, errors in _rows(items_table, columns, ITEMS_SHEET):
        code = item.get("code", "")
        if code in seen:
            errors.append(f"事项编码 {code} 与第{seen[code]}行重复")
        seen.setdefault(code, number)
        if result.has_materials:
            item["materials"] = materials.pop(code, [])
        result.errors.extend(f"第{number}行：{error}" for error in errors)
        if not errors:
            result.items.append(item)
            result.rows.append(number)
    for code in materials:
        rows = "、".join(str(number) for number in material_rows_of[code])
        result.errors.append(f"{MATERIALS_SHEET}第{rows}行：事项编码 {code} 不在「{ITEMS_SHEET}」中")
    return result


def _read_materials(
    table: Table, result: ReadResult
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[int]]]:
    materials: dict[str, list[dict[str, Any]]] = {}
    rows_of: dict[str, list[int]] = {}
    for number, material, errors in _rows(table, MATERIAL_COLUMNS, MATERIALS_SHEET):
        if not material.get("name"):
            errors.append("材料名称不能为空")
        if "copies" in material and material["copies"] < 1:
            errors.append("份数至少为1")
        if errors:
            result.errors.extend(f"{MATERIALS_SHEET}第{number}行：{error}" for error in errors)
            continue
        code = material.pop("code")
        materials.setdefault(code, []).append(normalise_material(material))
        rows_of.setdefault(code, []).append(number)
    return materials, rows_of
