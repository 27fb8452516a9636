"""Presenting a validation Report: a text report grouped by file, and a JSON document.

The JSON shape is documented in docs/validation-report.md; bump REPORT_VERSION on any change.
"""

from __future__ import annotations

import json
from itertools import groupby

from ..model import Dataset
from ..problems import Problem, Report

REPORT_VERSION = 3


def _location(p: Problem) -> tuple:
    return (p.file or "", p.row or 0, p.field or "", p.code)


def fold(problems: list[Problem]) -> list[tuple[Problem, list[Problem]]]:
    """Group repeats of the same check on the same field of one file: (first, the others)."""
    groups: dict[tuple, list[Problem]] = {}
    for p in sorted(problems, key=_location):
        groups.setdefault((p.file, p.code, p.field), []).append(p)
    return sorted(((g[0], g[1:]) for g in groups.values()), key=lambda x: _location(x[0]))


def located(report: Report, p: Problem) -> str:
    """Where one problem is, in a word: its cell, its sheet, its row, or "" (the file)."""
    if cell := report.cell(p):
        return cell
    if p.sheet:
        return f"工作表「{p.sheet}」"
    return f"第 {p.row} 行" if p.row else ""


def where(first: Problem, others: list[Problem], cell: str | None = None) -> str:
    """Where a problem (and its repeats) is: the cell as Excel names it, or the row."""
    parts = []
    if cell:
        parts.append(cell + (f" 及另外 {len(others)} 处" if others else "") + " ")
    elif first.sheet:  # a problem of the whole statement on that sheet
        parts.append(f"工作表「{first.sheet}」")
    elif first.row:
        parts.append(f"第 {first.row} 行" + (f"及另外 {len(others)} 行" if others else ""))
    elif others:
        parts.append(f"共 {len(others) + 1} 处")
    if first.community_id and not others:
        parts.append(f"（{first.community_id} {first.quarter or ''}".rstrip() + "）")
    if first.label:
        parts.append(f"「{first.label}」")
    return "".join(parts)


def problem_lines(report: Report, problems: list[Problem]) -> list[str]:
    """The problems by file, repeats folded: two lines each (what is wrong, how to fix it)."""
    lines = []
    for file, group in groupby(sorted(problems, key=_location), key=lambda p: p.file):
        group = list(group)
        errors = sum(report.is_error(p) for p in group)
        lines.append(f"{file or '（整体）'}：{errors} 个错误，{len(group) - errors} 个警告")
        for first, others in fold(group):
            mark = "✗" if report.is_error(first) else "!"
            severity = "错误" if report.is_error(first) else "警告"
            at = where(first, others, report.cell(first))
            lines.append(f"  {mark} {severity} {at} [{first.code}] {first.message}")
            lines.append(f"      → {first.hint}")
        lines.append("")
    return lines


def render_text(data: Dataset) -> str:
    report = data.report
    lines = problem_lines(report, report.problems)
    lines.append(inventory(report))
    lines.append(summary(data))
    return "\n".join(lines) + "\n"


def inventory(report: Report) -> str:
    """How many files were read, and which were ignored by rule (the rest are named above)."""
    line = f"读取 {len(set(report.read))} 个文件"
    if report.ignored:
        names = "、".join(name for name, _ in sorted(report.ignored)[:5])
        more = f"等 {len(report.ignored)} 个" if len(report.ignored) > 5 else ""
        line += f"；按规则忽略 {names}{more}（见 docs/data-dictionary.md）"
    return line + "。"


def summary(data: Dataset) -> str:
    report = data.report
    statements = len(data.statements) + len(data.rejected)
    invalid = sum(not s.valid for s in data.statements.values()) + len(data.rejected)
    verdict = "通过" if report.ok else "未通过"
    strict = "（严格模式：警告按错误计）" if report.strict else ""
    return (
        f"校验{verdict}{strict}：{len(data.communities)} 个小区，{statements} 份公示表"
        f"（{invalid} 份有误），{len(report.errors)} 个错误，{len(report.warnings)} 个警告。"
    )


def render_json(data: Dataset) -> str:
    report: Report = data.report
    doc = {
        "report_version": REPORT_VERSION,
        "valid": report.ok,
        "strict": report.strict,
        "as_of": data.as_of.isoformat(),
        "stats": {
            "communities": len(data.communities),
            "statements": len(data.statements) + len(data.rejected),
            "invalid_statements": sum(not s.valid for s in data.statements.values())
            + len(data.rejected),
            "errors": len(report.errors),
            "warnings": len(report.warnings),
        },
        "files": {
            "read": sorted(set(report.read)),
            "ignored": [{"file": f, "reason": r} for f, r in sorted(report.ignored)],
        },
        "problems": [
            {
                **p.as_dict(),
                "severity": "error" if report.is_error(p) else "warning",
                "sheet": p.sheet,
                "cell": report.cell(p),
            }
            for p in sorted(report.problems, key=_location)
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
