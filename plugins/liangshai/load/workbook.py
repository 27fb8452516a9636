"""The statement workbook as filled in: its layout, and its reader.

The layout (title row, header block, item table, footer) is defined here and written by
exports/templates.py; every label in it comes from the format definition.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from ..problems import Report, SheetLayout
from ..schema import FORMAT, normalize_name
from . import files
from .cells import PARSERS
from .files import Source, workbook_problem
from .rows import Columns, Draft, Record, Unread, cell_text, parse_cell

SHEET = "公示表"
LISTS_SHEET = "代码表"
GUIDE_SHEET = "填表说明"
RECEIPT_SHEET = "问题清单"  # the first sheet of a receipt (intake), if it comes back filled in
ITEM_ROWS = 40
FOOTER = ("编制人：", "审核人：", "填表日期：", "业主委员会意见：")
_FOOTER_NAMES = tuple(normalize_name(f.rstrip("：")) for f in FOOTER)
ITEM_IMPLIED = ("community_id", "quarter")  # given by the header block

# openpyxl raises many kinds of errors on a file that is not a real workbook; all of them mean
# "this is not the template" to the person who uploaded it.
NOT_A_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,  # a part's compressed data damaged (a bad disk, a mail gateway)
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


def read_excel_statement(path: Path, root: Path, report: Report) -> list[Draft]:
    return read_workbook(Source(path, root, report))


def read_workbook(source: Source) -> list[Draft]:
    """Every statement of a filled-in workbook: one per sheet that holds one (the template's
    own code and guide sheets aside); any other sheet with content is named."""
    before = len(source.report.problems)
    sheets = _sheets(source)
    drafts = []
    for title, rows, truncated in sheets:
        if title in (LISTS_SHEET, GUIDE_SHEET, RECEIPT_SHEET):
            continue
        if _item_header_row(rows) is None:
            if any(_filled(r) for r in rows):
                source.problem("sheet-not-read", details={"sheet": title})
            continue
        start = len(source.report.problems)
        source.sheet = title
        if truncated:
            source.problem(
                "too-many-rows", details={"sheet": title, "limit": files.LIMITS.sheet_rows}
            )
        draft = _draft_from_rows(rows, source, start)
        source.sheet = None
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
    except NOT_A_WORKBOOK as exc:
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
                column=0,
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
    item_columns = {f.name: index for index, f, *_ in columns.slots}
    layout = SheetLayout(source.sheet, head + 1, seen_rows, item_columns)
    source.report.layouts[(source.name, source.sheet)] = layout
    return Draft(header, items, sheet=source.sheet)
