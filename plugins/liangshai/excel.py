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

from . import files
from .cells import PARSERS
from .files import Source, workbook_problem
from .problems import Report
from .rows import Columns, Draft, Record, Unread, cell_text, parse_cell
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
    fit_to_page_width(ws, f"A1:D{ws.max_row}", landscape=True)


def fit_to_page_width(ws, area: str, repeat: str | None = None, landscape=False) -> None:
    """Print on A4, every column on one page width (as many pages long as needed), the
    given rows repeated at the top of each page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_area = area
    if repeat:
        ws.print_title_rows = repeat


def read_excel_statement(path: Path, root: Path, report: Report) -> list[Draft]:
    return read_workbook(Source(path, root, report))


def read_workbook(source: Source) -> list[Draft]:
    """Every statement of a filled-in workbook: one per sheet that holds one (the template's
    own code and guide sheets aside); any other sheet with content is named."""
    before = len(source.report.problems)
    sheets = _sheets(source)
    drafts = []
    for title, rows, truncated in sheets:
        if title in (LISTS_SHEET, GUIDE_SHEET):
            continue
        if _item_header_row(rows) is None:
            if any(_filled(r) for r in rows):
                source.problem("sheet-not-read", details={"sheet": title})
            continue
        start = len(source.report.problems)
        if truncated:
            source.problem(
                "too-many-rows", details={"sheet": title, "limit": files.LIMITS.sheet_rows}
            )
        draft = _draft_from_rows(rows, source, start)
        if draft is not None:
            drafts.append(draft)
    said = any(p.severity == "error" for p in source.report.problems[before:])
    if not drafts and not said:  # no worksheet, or none with a statement: never silent
        labels = "、".join(f.label for f in item_fields())
        source.problem("structure", details={"detail": f"找不到明细表头（{labels}）"})
    return drafts


def _sheets(source: Source) -> list[tuple[str, list[list], bool]]:
    """Each worksheet's title, rows (at most the limit; a formula without a saved result as
    Unread) and whether rows were left out. Read whatever the sheet says its size is (a
    stale <dimension> would hide rows)."""
    from openpyxl import load_workbook

    data = source.read_bytes()
    if data is None:
        return []
    too_big = workbook_problem(io.BytesIO(data))
    if too_big:
        source.problem("file-too-large", details=too_big)
        return []
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        out = []
        for ws, wf in zip(values.worksheets, formulas.worksheets, strict=True):
            ws.reset_dimensions()
            wf.reset_dimensions()
            rows, truncated = [], False
            for number, (row, raw) in enumerate(
                zip(ws.iter_rows(values_only=True), wf.iter_rows(values_only=True), strict=True),
                start=1,
            ):
                if number > files.LIMITS.sheet_rows:
                    truncated = True
                    break
                rows.append([_unread_formula(v, f) for v, f in zip(row, raw, strict=True)])
            out.append((ws.title, rows, truncated))
        values.close()
        formulas.close()
    except _NOT_A_WORKBOOK as exc:
        detail = f"不是有效的 Excel（.xlsx）文件（{type(exc).__name__}）"
        source.problem("file-unreadable", details={"detail": detail})
        return []
    return out


def _unread_formula(value, raw):
    """A cell's saved value; for a formula saved without its result (a script wrote it and no
    spreadsheet program ever calculated it), Unread naming the formula."""
    if value is None and isinstance(raw, str) and raw.startswith("="):
        return Unread("formula-without-value", raw[:60])
    return value


def _first(cells: list) -> str:
    head = cells[0] if cells else None
    return normalize_name(cell_text(head).rstrip(":：")) if isinstance(head, str) else ""


def _item_header_row(rows: list[list]) -> int | None:
    section_name = normalize_name(FORMAT.tables["items"].field("section").label)
    return next((k for k, cells in enumerate(rows) if _first(cells) == section_name), None)


def _filled(cells) -> bool:
    return any(isinstance(c, Unread) or cell_text(c) for c in cells)


def _draft_from_rows(rows: list[list], source: Source, start: int) -> Draft | None:
    """The header block above the item table, and every item row below it, wherever it
    stands: rows below the signature block are read too (a lone note there is named)."""
    statements = FORMAT.tables["statements"]
    values, seen_rows = {}, {}
    head = _item_header_row(rows)
    for number, cells in enumerate(rows[:head], start=1):
        first = _first(cells)
        f = statements.field_for_header(first) if first else None
        raw = cells[1] if len(cells) > 1 else None
        if f is not None:
            values[f.name] = parse_cell(f, raw, PARSERS[f.type], {}, source, number)
            seen_rows[f.name] = number
        elif first and _filled(cells[1:2]):
            source.problem(
                "extra-column",
                row=number,
                value=cell_text(cells[0]),
                details={"known": "、".join(x.label for x in statements.fields)},
            )
    columns = Columns(
        FORMAT.tables["items"], rows[head], source, row=head + 1, implied=ITEM_IMPLIED
    )
    items: list[Record] = []
    footer = False
    for number, cells in enumerate(rows[head + 1 :], start=head + 2):
        if _first(cells).startswith(_FOOTER_NAMES):
            footer = True
            continue
        if not _filled(cells):
            continue
        if footer and not _filled(cells[1:]) and FORMAT.section(_first(cells)) is None:
            source.problem("row-not-read", row=number, value=cell_text(cells[0])[:40])
            continue
        items.append(columns.record(cells, number))
    for f in statements.fields:
        if f.required and f.name not in seen_rows:
            source.problem(
                "missing-column",
                field=f.name,
                label=f.label,
                details={"aliases": "、".join(f.names()[1:])},
            )
    problems = [p for p in source.report.problems[start:] if p.severity == "error"]
    header = Record(values, source.name, seen_rows.get("community_id"), problems)
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
