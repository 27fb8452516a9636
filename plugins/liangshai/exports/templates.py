"""The blank templates a property company fills in: the statement workbook and batch CSVs.

The workbook's layout is load/workbook.py's (which reads it back); every label comes from the
format definition.
"""

from __future__ import annotations

from pathlib import Path

from ..load.workbook import (
    FOOTER,
    GUIDE_SHEET,
    ITEM_IMPLIED,
    ITEM_ROWS,
    LISTS_SHEET,
    SHEET,
    item_fields,
)
from ..schema import FORMAT
from .xlsx import fit_to_page_width, save_workbook

# The blank templates, made by `invoke docs` (write_blank) and published with every build.
BLANK = Path(__file__).parents[1] / "blank"


def write_template(path: Path, community_id: str = "", quarter: str = "") -> Path:
    """Write the blank statement template (.xlsx) derived from the format."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    head_fill = PatternFill("solid", fgColor="D9E1F2")
    items = item_fields()
    last_col = len(items)

    ws.cell(1, 1, FORMAT.title).font = Font(size=16, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    ws.cell(2, 1, f"{FORMAT.subtitle}。黄色为必填项；请勿修改第一列的项目名称和明细表头。")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_col)

    row = 3
    prefill = {"community_id": community_id, "quarter": quarter}
    for f in FORMAT.tables["statements"].fields:
        label = ws.cell(row, 1, f.label)
        label.font = Font(bold=True)
        value = ws.cell(row, 2, prefill.get(f.name) or None)
        if value.data_type == "f":  # a pre-filled value is text, never a formula
            value.data_type = "s"
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        ws.cell(row, 5, f.description)
        for c in (label, value):
            c.border = box
            if f.required:
                c.fill = required_fill
        if f.type == "amount":
            value.number_format = "#,##0.00"
        elif f.type == "date":
            value.number_format = "yyyy-mm-dd"
        row += 1

    row += 1
    header_row = row
    for col, f in enumerate(items, start=1):
        c = ws.cell(row, col, f.label)
        c.font, c.fill, c.border = Font(bold=True), head_fill, box
        c.alignment = Alignment(horizontal="center")
    first, last = header_row + 1, header_row + ITEM_ROWS
    for r in range(first, last + 1):
        for col, f in enumerate(items, start=1):
            c = ws.cell(r, col)
            c.border = box
            if f.type == "amount":
                c.number_format = "#,##0.00"
            elif f.type == "date":
                c.number_format = "yyyy-mm-dd"
    row = last + 2
    for text in FOOTER:
        ws.cell(row, 1, text).font = Font(bold=True)
        row += 1

    widths = {"section": 12, "category": 16, "description": 36, "amount": 14, "date": 13}
    for col, f in enumerate(items, start=1):
        ws.column_dimensions[chr(64 + col)].width = widths.get(f.name, 16)
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    fit_to_page_width(ws, f"A1:{chr(64 + last_col)}{row - 1}", repeat=f"{header_row}:{header_row}")

    lists = wb.create_sheet(LISTS_SHEET)
    for i, s in enumerate(FORMAT.sections, start=1):
        lists.cell(i, 1, s.label)
    categories = [c.short for s in FORMAT.sections for c in s.categories]
    for i, name in enumerate(categories, start=1):
        lists.cell(i, 2, name)
    lists.sheet_state = "hidden"
    col_of = {f.name: chr(64 + i) for i, f in enumerate(items, start=1)}
    for name, source_col, count in (
        ("section", "A", len(FORMAT.sections)),
        ("category", "B", len(categories)),
    ):
        dv = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${source_col}$1:${source_col}${count}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从下拉列表中选择",
            error="请从下拉列表中选择统一格式中的项目。",
        )
        ws.add_data_validation(dv)
        dv.add(f"{col_of[name]}{first}:{col_of[name]}{last}")

    _write_guide(wb.create_sheet(GUIDE_SHEET))
    save_workbook(wb, path)
    return path


def _write_guide(ws):
    from openpyxl.styles import Font

    ws.append([f"{FORMAT.title}（{FORMAT.subtitle}）填表说明"])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([])
    ws.append(
        [
            FORMAT.label("items.section"),
            f"{FORMAT.label('items.category')}（下拉选择）",
            "完整名称",
            "说明",
        ]
    )
    for s in FORMAT.sections:
        for c in s.categories:
            ws.append([s.label, c.short, c.label, s.description])
    ws.append([])
    ws.append(["项目", "是否必填", "说明"])
    for table in ("statements", "items"):
        for f in FORMAT.tables[table].fields:
            if f.name not in ITEM_IMPLIED or table == "statements":
                ws.append([f.label, "必填" if f.required else "选填", f.description])
    for col, width in zip("ABCD", (14, 18, 60, 50), strict=True):
        ws.column_dimensions[col].width = width
    fit_to_page_width(ws, f"A1:D{ws.max_row}", landscape=True)


def write_csv_templates(out: Path) -> list[Path]:
    """Blank CSVs with the Chinese headers, UTF-8 with BOM so Excel opens them right: the
    batch statements and items, and the contracts register (ledgers/contracts.csv)."""
    paths = []
    for table in ("statements", "items", "contracts"):
        path = out / f"{table}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        labels = [f.label for f in FORMAT.tables[table].fields]
        path.write_text(",".join(labels) + "\n", encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_blank(folder: Path = BLANK) -> list[Path]:
    """The blank statement templates (.xlsx and CSV) into `folder`."""
    return [write_template(folder / "statement-template.xlsx"), *write_csv_templates(folder)]
