"""Entry points behind the invoke tasks, kept here so they are importable and testable.

Exit codes of `validate`: 0 no errors, 1 errors found, 2 cannot run.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from .load import CannotRun
from .report import render_json, render_text
from .validate import validate_folder

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2


def run_validate(
    data: str | Path,
    strict: bool = False,
    json_file: str | None = None,
    as_of: date | None = None,
    out=None,
) -> int:
    out = out or sys.stdout
    try:
        dataset = validate_folder(data, strict=strict, as_of=as_of)
    except CannotRun as exc:
        print(f"无法校验：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    out.write(render_text(dataset))
    if json_file:
        Path(json_file).parent.mkdir(parents=True, exist_ok=True)
        Path(json_file).write_text(render_json(dataset), encoding="utf-8")
    return EXIT_OK if dataset.report.ok else EXIT_ERRORS
