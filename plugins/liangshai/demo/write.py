"""Writing demo data the way other programs would: CSV (with or without BOM), YAML by hand,
workbooks through the template.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from ..schema import FORMAT


def _columns(table: str) -> list[str]:
    return FORMAT.tables[table].columns


def write_csv(path: Path, table: str, rows: list[dict], bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.DictWriter(
            f, fieldnames=_columns(table), extrasaction="ignore", lineterminator="\n"
        )
        w.writeheader()
        w.writerows(rows)


def write_yaml_statement(path: Path, header: dict, items: list[dict]) -> None:
    """A statement as one YAML file, the way a committee might keep it by hand."""
    lines = [f"{k}: {_yaml_scalar(header[k])}" for k in _columns("statements") if header[k]]
    for section in FORMAT.sections:
        rows = [i for i in items if i["section"] == section.code]
        if not rows:
            continue
        lines.append(f"{section.code}:")
        for row in rows:
            fields = [
                f
                for f in _columns("items")
                if f not in ("community_id", "quarter", "section") and row[f]
            ]
            lines.append("  - " + "\n    ".join(f"{f}: {_yaml_scalar(row[f])}" for f in fields))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _yaml_scalar(value: str) -> str:
    return value if value.replace(".", "").replace("-", "").isdigit() else f'"{value}"'


def write_excel_statement(path: Path, header: dict, items: list[dict]) -> None:
    """Fill the generated template the way a property company would (typed Excel cells)."""
    from openpyxl import load_workbook

    from ..exports.templates import write_template
    from ..exports.xlsx import save_workbook
    from ..load.workbook import SHEET, item_fields

    write_template(path)
    wb = load_workbook(path)
    ws = wb[SHEET]
    statements = FORMAT.tables["statements"]
    items_table = FORMAT.tables["items"]
    header_row = None
    for row in ws.iter_rows(min_col=1, max_col=1):
        cell = row[0]
        f = statements.field_for_header(str(cell.value or ""))
        if f is not None and header[f.name]:
            ws.cell(cell.row, 2, _typed(f.type, header[f.name]))
        elif cell.value == items_table.field("section").label:
            header_row = cell.row
    for r, item in enumerate(items, start=header_row + 1):
        for col, f in enumerate(item_fields(), start=1):
            value = item[f.name]
            if f.name == "section":
                value = next(s.label for s in FORMAT.sections if s.code == value)
            elif f.name == "category":
                value = FORMAT.category(item["section"], value).short
            ws.cell(r, col, _typed(f.type, value) if value else None)
    save_workbook(wb, path)


def _typed(kind: str, text: str):
    if kind == "amount":
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    return text
