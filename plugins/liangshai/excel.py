"""The Excel serialization: the blank template a property company fills in, and its reader.

The layout (title row, header block, item table, footer) is written and read here only, and
every label in it comes from the format definition.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from .cells import PARSERS
from .load import Columns, Draft, Record, Source, cell_text, parse_cell
from .problems import Report
from .schema import FORMAT, normalize_name

SHEET = "公示表"
LISTS_SHEET = "代码表"
GUIDE_SHEET = "填表说明"
ITEM_ROWS = 40
FOOTER = ("编制人：", "审核人：", "填表日期：", "业主委员会意见：")
_FOOTER_NAMES = tuple(normalize_name(f.rstrip("：")) for f in FOOTER)
ITEM_IMPLIED = ("community_id", "quarter")  # given by the header block

# openpyxl raises many kinds of errors on a file that is not a real workbook; all of them mean
# "this is not the template" to the person who uploaded it.
_NOT_A_WORKBOOK = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    IndexError,
    SyntaxError,
    AttributeError,
    EOFError,
)


def item_fields():
    return [f for f in FORMAT.tables["items"].fields if f.name not in ITEM_IMPLIED]


# The blank templates, made by `invoke docs` (write_blank) and published with every build.
BLANK = Path(__file__).with_name("blank")


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


_EPOCH = datetime(2024, 1, 1)


def save_workbook(wb, path: Path) -> None:
    """Save with fixed timestamps, so the same template is the same bytes every build."""
    wb.properties.created = _EPOCH
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps the current time into docProps/core.xml and the zip
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_EPOCH.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, data)


def _write_guide(ws):
    from openpyxl.styles import Font

    ws.append([f"{FORMAT.title}（{FORMAT.subtitle}）填表说明"])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([])
    ws.append(["类别", "科目（下拉选择）", "完整名称", "说明"])
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


def read_excel_statement(path: Path, root: Path, report: Report) -> Draft | None:
    """Read one filled-in template: the header block, then item rows until the footer."""
    from openpyxl import load_workbook

    source = Source(path, root, report)
    if source.read_bytes() is None:
        return None
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    except _NOT_A_WORKBOOK as exc:
        detail = f"不是有效的 Excel（.xlsx）文件（{type(exc).__name__}）"
        source.problem("file-unreadable", details={"detail": detail})
        return None
    return _draft_from_rows(rows, source)


def _draft_from_rows(rows: list[list], source: Source) -> Draft | None:
    statements = FORMAT.tables["statements"]
    start = len(source.report.problems)
    values, seen_rows = {}, {}
    columns = None
    items: list[Record] = []
    section_name = normalize_name(FORMAT.tables["items"].field("section").label)
    for number, cells in enumerate(rows, start=1):
        first = normalize_name(cell_text(cells[0]).rstrip(":：")) if cells else ""
        if columns is None:
            if first == section_name:
                columns = Columns(
                    FORMAT.tables["items"], cells, source, row=number, implied=ITEM_IMPLIED
                )
                continue
            f = statements.field_for_header(first) if first else None
            raw = cells[1] if len(cells) > 1 else None
            if f is not None:
                values[f.name] = parse_cell(f, raw, PARSERS[f.type], {}, source, number)
                seen_rows[f.name] = number
            elif first and cell_text(raw):
                source.problem(
                    "extra-column",
                    row=number,
                    value=cell_text(cells[0]),
                    details={"known": "、".join(x.label for x in statements.fields)},
                )
            continue
        if first.startswith(_FOOTER_NAMES):
            break
        if any(cell_text(c) for c in cells):
            items.append(columns.record(cells, number))
    if columns is None:
        labels = "、".join(f.label for f in item_fields())
        source.problem("structure", details={"detail": f"找不到明细表头（{labels}）"})
        return None
    for f in statements.fields:
        if f.required and f.name not in seen_rows:
            source.problem(
                "missing-column",
                field=f.name,
                label=f.label,
                details={"aliases": "、".join(f.names()[1:])},
            )
    header = Record(
        values, source.name, seen_rows.get("community_id"), source.report.problems[start:]
    )
    for item in items:
        item.values.update(community_id=values.get("community_id"), quarter=values.get("quarter"))
    return Draft(header, items)


def write_csv_templates(out: Path) -> list[Path]:
    """Blank batch CSVs with the Chinese headers, UTF-8 with BOM so Excel opens them right."""
    paths = []
    for table in ("statements", "items"):
        path = out / f"{table}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        labels = [f.label for f in FORMAT.tables[table].fields]
        path.write_text(",".join(labels) + "\n", encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_blank(folder: Path = BLANK) -> list[Path]:
    """The blank statement templates (.xlsx and CSV) into `folder`."""
    return [write_template(folder / "statement-template.xlsx"), *write_csv_templates(folder)]
