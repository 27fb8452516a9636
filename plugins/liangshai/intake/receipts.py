"""Receipts (回执), one per submission: for a workbook, a copy of it with every problem cell
filled and commented and a first sheet listing the problems by cell; for every submission,
a one-page receipt to print or send, as HTML and PDF.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from markupsafe import Markup

from ..exports.safe import append_row
from ..exports.xlsx import fit_to_page_width, save_workbook
from ..load.workbook import RECEIPT_SHEET
from ..model import Dataset
from ..problems import Problem, Report
from ..site.render import environment, font_config
from ..validate.report import fold, located
from .submissions import OUTCOMES, Submission

FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's own "bad" and "neutral" colours
LIST_COLUMNS = (
    ("序号", 6),
    ("位置", 16),
    ("类型", 6),
    ("问题", 48),
    ("修改方法", 48),
    ("检查", 18),
)
SHOWN = 6  # problem groups on the printed receipt, errors first; the rest are counted


def receipt_stem(sub: Submission) -> str:
    return f"{sub.number:02d}-{sub.paths[0].stem}-回执"


def severity(report: Report, p: Problem) -> str:
    return "error" if report.is_error(p) else "warning"


def _word(report: Report, p: Problem) -> str:
    return {"error": "错误", "warning": "警告"}[severity(report, p)]


# ----------------------------------------------------------------------------- the workbook


def marked_cells(sub: Submission, report: Report) -> dict[tuple[str, int, int], list[Problem]]:
    """(sheet, row, column) -> its problems, for every problem that names a cell; a problem
    of a whole row marks the row's first cell."""
    out: dict[tuple[str, int, int], list[Problem]] = {}
    for p in sub.problems:
        layout = report.layouts.get((p.file, p.sheet))
        position = layout.position(p) if layout else None
        if position:
            row, column = position
            out.setdefault((p.sheet, row, column or 0), []).append(p)
    return out


def marked_workbook(sub: Submission, report: Report, original: bytes, target: Path) -> Path:
    """A copy of the workbook handed in: each problem cell filled (red: error, yellow:
    warning) with a comment saying what is wrong and how to fix it, and a first sheet
    listing every problem by cell, each linked to its cell."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    wb = load_workbook(io.BytesIO(original))
    if RECEIPT_SHEET in wb.sheetnames:  # a receipt sent back: its old list goes
        del wb[RECEIPT_SHEET]
    for (sheet, row, column), problems in marked_cells(sub, report).items():
        cell = wb[sheet].cell(row, column + 1)
        worst = min(severity(report, p) for p in problems)  # "error" sorts first
        cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        text = "\n".join(f"{_word(report, p)}：{p.message}\n修改：{p.hint}" for p in problems)
        cell.comment = Comment(text, "晾晒", width=320, height=40 + 60 * len(problems))
    ws = wb.create_sheet(RECEIPT_SHEET, 0)
    errors = sum(report.is_error(p) for p in sub.problems)
    ws.append([f"{sub.name} 的问题清单：{errors} 个错误，{len(sub.problems) - errors} 个警告"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [name for name, _ in LIST_COLUMNS])
    for k, p in enumerate(_in_order(sub.problems), start=1):
        cell = report.cell(p)
        at = located(report, p) or "整个文件"
        append_row(ws, [k, at, _word(report, p), p.message, p.hint, p.code])
        if cell:
            ws.cell(ws.max_row, 2).hyperlink = f"#{cell}"
            ws.cell(ws.max_row, 2).style = "Hyperlink"
    for k, (_, width) in enumerate(LIST_COLUMNS, start=1):
        ws.column_dimensions[chr(64 + k)].width = width
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = 0
    fit_to_page_width(ws, f"A1:F{ws.max_row}", repeat="2:2", landscape=True)
    save_workbook(wb, target)
    return target


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.sheet or "", p.row or 0, p.column or 0, p.code))


# ----------------------------------------------------------------------------- the receipt


def receipt_context(sub: Submission, data: Dataset, received: date, run: str) -> dict:
    """What the printed receipt says."""
    report = data.report
    errors = [p for p in sub.problems if report.is_error(p)]
    warnings = [p for p in sub.problems if not report.is_error(p)]
    statements = []
    for s in sub.statements:
        community = data.communities.get(s.community_id)
        statements.append(
            {
                "name": community.name if community else s.community_id or "（未填小区编号）",
                "id": s.community_id,
                "quarter": s.quarter,
                "code": s.verification_code if sub.outcome in ("filed", "replaced") else None,
            }
        )
    return {
        "settings": data.settings,
        "number": f"{run}-{sub.number:02d}",
        "received": received,
        "files": [(name.split("/", 1)[1], sub.digest[:16]) for name in sub.names],
        "outcome": sub.outcome,
        "outcome_label": OUTCOMES[sub.outcome],
        "note": sub.note,
        "statements": statements,
        "filed": sub.filed,
        "replaced": sub.replaced,
        "errors": (shown := _groups(report, errors)),
        "warnings": _groups(report, warnings),
        "shown_errors": min(len(shown), SHOWN),
        "shown_warnings": max(2, SHOWN - len(shown)),
    }


def _groups(report: Report, problems: list[Problem]) -> list[dict]:
    """Problems folded by check and field, each group named by where its first one is."""
    out = []
    for first, others in fold(problems):
        at = located(report, first)
        if others:
            at += f" 等 {len(others) + 1} 处"
        if first.label:
            at += f"「{first.label}」"
        out.append({"where": at or "整个文件", "message": first.message, "hint": first.hint})
    return out


# Tried in turn until the receipt is one page: the type scale, and how many error and
# warning groups are printed (None: as many as the context says). Never below 9.6 pt; what
# is left out is counted on the page and listed in the marked workbook and the HTML.
FITS = ((1.0, None, None), (0.9, None, None), (0.8, None, None), (0.8, None, 0), (0.8, 3, 0))


def write_receipt(context: dict, theme: Path, target: Path, faces: str = "") -> tuple[Path, Path]:
    """The receipt as HTML (every problem) and as a one-page A4 PDF, printed in `faces`
    (site.fonts) when given."""
    from weasyprint import HTML

    template = environment(str(theme)).get_template("receipt.html")
    for fit, errors, warnings in FITS:
        shown = {
            "shown_errors": context["shown_errors"] if errors is None else errors,
            "shown_warnings": context["shown_warnings"] if warnings is None else warnings,
        }
        html = template.render(r={**context, **shown}, fit=fit, faces=Markup(faces))
        document = HTML(string=html, base_url=str(theme)).render(font_config=font_config())
        if len(document.pages) == 1:
            break
    target.parent.mkdir(parents=True, exist_ok=True)
    page = target.with_suffix(".html")
    every = {"shown_errors": len(context["errors"]), "shown_warnings": len(context["warnings"])}
    html = template.render(r={**context, **every}, fit=1.0)  # no local font file named
    page.write_text(html, encoding="utf-8")
    pdf = target.with_suffix(".pdf")
    document.write_pdf(pdf)
    return page, pdf
