"""Problems are data: a check code, a location and details, collected into one Report.

Modelled on frictionless: nothing here raises; every check appends to the report and the
caller decides at the end (exit code, 数据有误 on a page, --strict).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from .numbers import money
from .schema import FORMAT, Check

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2  # done; the data has errors; cannot run


class CannotRun(Exception):
    """The run cannot start at all (missing data folder, unreadable settings): exit code 2."""


class Placeholders(dict):
    """format_map context where a missing placeholder reads as empty, never KeyError."""

    def __missing__(self, key):
        return ""


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    file: str | None = None
    row: int | None = None  # as a spreadsheet user counts: the header is row 1
    field: str | None = None  # the field's name in the format (English)
    label: str | None = None  # the field's Chinese label
    value: str | None = None
    community_id: str | None = None
    quarter: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    sheet: str | None = None  # the worksheet, for a problem in a workbook
    column: int | None = None  # 0-based; only where no field names the column (a header)

    @property
    def check(self) -> Check:
        return FORMAT.checks[self.code]

    @property
    def severity(self) -> str:
        return self.check.severity

    def _fill(self, template: str) -> str:
        ctx = Placeholders(self.details)
        ctx.update(value=self.value or "", label=self.label or "")
        ctx.setdefault("community", self.community_id or "")
        ctx.setdefault("quarter", self.quarter or "")
        return template.format_map(ctx)

    @property
    def message(self) -> str:
        return self._fill(self.check.message)

    @property
    def hint(self) -> str:
        return self._fill(self.check.hint)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.check.title,
            "message": self.message,
            "hint": self.hint,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "label": self.label,
            "value": self.value,
            "community_id": self.community_id,
            "quarter": self.quarter,
        }


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class SheetLayout:
    """Where a statement sheet holds its fields, to name a problem's cell as Excel does
    (公示表!E17): a header field's value in column B of its own row, an item field in its
    column below the item table's header row."""

    sheet: str
    head: int  # the item table's header row
    header_rows: dict[str, int]  # statement field -> its row
    columns: dict[str, int]  # item field -> its column (0-based)

    def ref(self, row: int, column: int | None = None) -> str:
        name = self.sheet
        if not re.fullmatch(r"[^\W\d]\w*", name):  # Excel quotes names with spaces and the like
            name = "'" + name.replace("'", "''") + "'"
        if column is None:
            return f"{name}!{row}:{row}"  # the whole row, as Excel writes it
        return f"{name}!{column_letter(column)}{row}"

    def position(self, p: Problem) -> tuple[int, int | None] | None:
        """The row and column (None: the whole row) a problem is about; None for a problem
        of the whole statement (no items, a sealed statement changed)."""
        if p.field in self.header_rows and (p.row is None or p.row < self.head):
            return self.header_rows[p.field], 1
        if p.row is None or (p.row < self.head and p.column is None):
            return None
        column = p.column
        if column is None and p.row > self.head:
            column = self.columns.get(p.field)
        return p.row, column

    def cell(self, p: Problem) -> str | None:
        """The cell (or, when no column is known, the row) a problem is about, if any."""
        position = self.position(p)
        return self.ref(*position) if position else None


def _text(value) -> str:
    """Details as they read in a message: amounts with thousands separators."""
    return money(value) if isinstance(value, Decimal) else str(value)


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    strict: bool = False
    # The inventory: every file read, and every one ignored by a rule (name, reason). With
    # the problems, which name the rest, it accounts for everything under the data folder.
    read: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    # Each statement sheet's layout by (file, sheet), to name the cell of a problem in it.
    layouts: dict[tuple[str, str], SheetLayout] = field(default_factory=dict)

    def merge(self, other: Report) -> None:
        self.problems += other.problems
        self.read += other.read
        self.ignored += other.ignored
        self.layouts.update(other.layouts)

    def cell(self, problem: Problem) -> str | None:
        """Where in a workbook a problem is, as Excel names it (公示表!E17), if it is in one."""
        layout = self.layouts.get((problem.file, problem.sheet))
        return layout.cell(problem) if layout else None

    def add(self, code: str, **kw) -> Problem:
        if code not in FORMAT.checks:  # a programming error, not a data error
            raise KeyError(f"unknown check code {code!r}")
        details = kw.pop("details", None) or {}
        problem = Problem(
            code, details=tuple(sorted((k, _text(v)) for k, v in details.items())), **kw
        )
        self.problems.append(problem)
        return problem

    def is_error(self, problem: Problem) -> bool:
        return self.strict or problem.severity == "error"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if self.is_error(p)]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not self.is_error(p)]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> Counter:
        return Counter(p.code for p in self.problems)

    def flatten(self, keys=("file", "row", "field", "code")) -> list[tuple]:
        """Problems as tuples, for tests that read like a table of expected errors."""
        return [tuple(getattr(p, k) for k in keys) for p in self.problems]
