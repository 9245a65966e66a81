"""`hall catalogue export|import` as an administrator runs it on the hall's database."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.hall.test_cli import run_hall

FOOD = "513200-XK-SJ-0529"


def test_export_edit_dry_run_then_import(tmp_path: Path) -> None:
    database = {"database_url": f"sqlite:///{tmp_path / 'hall.db'}"}
    exported = run_hall(tmp_path, "catalogue", "export", "catalogue.xlsx", **database)
    assert exported.returncode == 0, exported.stderr
    assert "75 items written" in exported.stdout
    path = tmp_path / "catalogue.xlsx"
    unchanged = run_hall(tmp_path, "catalogue", "import", "catalogue.xlsx", **database)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "0 new, 0 changed, 75 unchanged: dry run" in unchanged.stdout

    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    sheet = workbook["事项"]
    column = next(cell.column for cell in sheet[1] if cell.value == "咨询电话")
    row = next(cells[0].row for cells in sheet.iter_rows(min_row=2) if cells[0].value == FOOD)
    sheet.cell(row, column).value = "0837-2822000"
    workbook.save(path)
    dry = run_hall(tmp_path, "catalogue", "import", "catalogue.xlsx", **database)
    assert f"变更 {FOOD}: 咨询电话" in dry.stdout and "1 changed" in dry.stdout
    done = run_hall(tmp_path, "catalogue", "import", "catalogue.xlsx", "--confirm", **database)
    assert done.returncode == 0 and "imported" in done.stdout
    again = run_hall(tmp_path, "catalogue", "export", "again.csv", **database)
    assert again.returncode == 0
    items_csv = (tmp_path / "again-items.csv").read_text(encoding="utf-8-sig")
    assert "0837-2822000" in items_csv and (tmp_path / "again-materials.csv").exists()

    sheet.cell(row, next(c.column for c in sheet[1] if c.value == "承诺时限")).value = 99
    workbook.save(path)
    refused = run_hall(tmp_path, "catalogue", "import", "catalogue.xlsx", "--confirm", **database)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"第{row}行：承诺时限不能超过法定时限" in refused.stderr
