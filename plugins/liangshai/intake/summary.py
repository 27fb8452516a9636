"""The summary of an intake run: one line per submission, printed, and as CSV and XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

from ..exports.safe import append_row, neutral
from ..exports.xlsx import fit_to_page_width, save_workbook
from ..model import Dataset
from ..problems import Report
from ..schema import FORMAT
from .submissions import OUTCOMES, Submission

COLUMNS = (
    ("序号", 6),
    ("文件", 40),
    ("收件结果", 16),
    (FORMAT.label("statements.community_id"), 18),
    ("小区", 16),
    (FORMAT.label("statements.quarter"), 8),
    ("错误", 6),
    ("警告", 6),
    ("说明", 50),
    ("入库为", 40),
    ("替换的旧文件", 40),
    ("回执", 30),
    ("SHA-256", 20),
)


def summary_rows(submissions: list[Submission], data: Dataset, receipts: dict) -> list[list]:
    report = data.report
    rows = []
    for sub in submissions:
        errors = [p for p in sub.problems if report.is_error(p)]
        ids = [s.community_id or "" for s in sub.statements]
        names = [c.name for i in ids if (c := data.communities.get(i))]
        first = errors[0].message if errors else ""
        rows.append(
            [
                sub.number,
                " + ".join(sub.names),
                OUTCOMES[sub.outcome],
                "、".join(ids),
                "、".join(names),
                "、".join(str(q) for q in sub.quarters),
                len(errors),
                len(sub.problems) - len(errors),
                sub.note or first,
                " + ".join(sub.filed),
                " + ".join(sub.replaced),
                " + ".join(p.name for p in receipts.get(sub.number, [])),
                sub.digest,
            ]
        )
    return rows


def write_summary(rows: list[list], run: Path) -> list[Path]:
    """summary.csv (UTF-8 with BOM, for Excel) and summary.xlsx, printable on A4."""
    from openpyxl import Workbook

    header = [name for name, _ in COLUMNS]
    path = run / "summary.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([neutral(v) for v in row] for row in rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "收件汇总"
    append_row(ws, header)
    for row in rows:
        append_row(ws, row)
    for k, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(65 + k)].width = width
    ws.freeze_panes = "A2"
    fit_to_page_width(ws, f"A1:{chr(64 + len(COLUMNS))}{ws.max_row}", repeat="1:1", landscape=True)
    save_workbook(wb, run / "summary.xlsx")
    return [path, run / "summary.xlsx"]


def summary_text(submissions: list[Submission], report: Report) -> str:
    """What the clerk reads at the end of a run: each file and what became of it."""
    lines = []
    for sub in submissions:
        errors = [p for p in sub.problems if report.is_error(p)]
        line = f"{sub.number:02d} {OUTCOMES[sub.outcome]}  {' + '.join(sub.names)}"
        if sub.filed:
            line += " → " + " + ".join(sub.filed)
        if sub.replaced:
            line += "（替换 " + " + ".join(sub.replaced) + "）"
        if sub.note:
            line += f"：{sub.note}"
        elif errors:
            more = f"（共 {len(errors)} 个错误，见回执）" if len(errors) > 1 else ""
            line += f"：{errors[0].message}{more}"
        lines.append(line)
    counts = {label: sum(s.outcome == key for s in submissions) for key, label in OUTCOMES.items()}
    shown = "，".join(f"{label} {n} 份" for label, n in counts.items() if n)
    lines.append(f"收件 {len(submissions)} 份：{shown or '收件箱是空的'}。")
    return "\n".join(lines) + "\n"
