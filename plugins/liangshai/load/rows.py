"""Rows into records: a header row mapped to a table's fields, and cells parsed by type.

Shared by every reader (CSV, YAML, Excel). A record keeps the problems met reading it, so a
statement built from it knows it was not read whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..quarter import Quarter
from ..schema import Field, Table
from .cells import PARSERS, CellError
from .files import Source

ITEM_CONTEXT = ("community_id", "quarter", "section")  # given by the statement around an item


@dataclass(slots=True)
class Record:
    values: dict
    file: str
    row: int | None
    problems: list = field(default_factory=list)  # problems met reading this row or its file

    def __getitem__(self, name):
        return self.values.get(name)

    @property
    def valid(self) -> bool:
        """No error was met reading or checking this row (warnings leave it valid)."""
        return not any(p.severity == "error" for p in self.problems)


@dataclass
class Draft:
    """One statement as read from any serialization, before the rules are applied."""

    header: Record
    items: list[Record] = field(default_factory=list)
    folder: Quarter | None = None  # the quarter folder it was found in
    sheet: str | None = None  # the worksheet it was read from, for a workbook
    items_lost: list = field(default_factory=list)  # problems that kept items from being read

    @property
    def key(self) -> tuple:
        return (self.header["community_id"], self.header["quarter"])


@dataclass(frozen=True)
class Unread:
    """A cell whose value could not be read as one (a YAML list, a formula without its
    result): parsing it reports `code` on the cell's field instead of a value."""

    code: str
    value: str = ""
    details: dict = field(default_factory=dict)


class Columns:
    """Maps a header row to the table's fields and parses data rows into records."""

    def __init__(
        self, table: Table, headers: list, source: Source, row: int | None = 1, implied=()
    ):
        self.table, self.source = table, source
        start = len(source.report.problems)
        self.slots: list[tuple[int, Field, callable, dict]] = []
        self.width = len(headers)
        seen: dict[str, int] = {}
        for index, header in enumerate(headers):
            text = "" if header is None else str(header).strip()
            f = table.field_for_header(text) if text else None
            if f is None:
                if text:
                    known = "、".join(x.label for x in table.fields)
                    source.problem(
                        "extra-column", row=row, column=index, value=text, details={"known": known}
                    )
                continue
            if f.name in seen:
                source.problem(
                    "duplicate-column", row=row, column=index, field=f.name, label=f.label
                )
                continue
            seen[f.name] = index
            self.slots.append((index, f, PARSERS[f.type], {}))
        for f in table.fields:
            if f.required and f.name not in seen and f.name not in implied:
                aliases = "、".join(f.names()[1:])
                source.problem(
                    "missing-column",
                    row=row,
                    field=f.name,
                    label=f.label,
                    details={"aliases": aliases},
                )
        # A header error concerns every row of the file: each record carries it. (A column
        # that is not the format's is only a warning: it is named, and spoils no row.)
        new = source.report.problems[start:]
        self.header_problems = [p for p in new if p.severity == "error"]

    def record(self, cells: list, row: int | None) -> Record:
        problems = self.source.report.problems
        start = len(problems)
        values = {}
        n = len(cells)
        for index, f, parser, memo in self.slots:
            raw = cells[index] if index < n else None
            # Fast path: most cells repeat a text already parsed in this column.
            hit = memo.get(raw, _MISS) if raw.__class__ is str else _MISS
            if hit is _MISS or hit.__class__ is CellError:
                hit = parse_cell(f, raw, parser, memo, self.source, row)
            values[f.name] = hit
        if n > self.width and any(str(c).strip() for c in cells[self.width :] if c is not None):
            self.source.problem("cell-count", row=row, details={"count": n, "expected": self.width})
        own = problems[start:] if len(problems) > start else []
        return Record(values, self.source.name, row, self.header_problems + own)


_MISS = object()


def parse_cell(f: Field, raw, parser, memo: dict, source: Source, row: int | None):
    """Parse one cell; report a problem and return None when it is blank-but-required or bad."""
    if raw.__class__ is Unread:
        source.problem(
            raw.code, row=row, field=f.name, label=f.label, value=raw.value, details=raw.details
        )
        return None
    key = raw if raw.__class__ is str else (raw.__class__, raw)
    hit = memo.get(key, _MISS)
    if hit is _MISS:
        text = cell_text(raw)
        if not text:
            hit = CellError("required-value") if f.required else None
        else:
            try:
                hit = parser(text, f)
            except CellError as err:
                hit = err
        memo[key] = hit
    if hit.__class__ is CellError:
        source.problem(
            hit.code, row=row, field=f.name, label=f.label, value=hit.value, details=hit.details
        )
        return None
    return hit


def cell_text(raw) -> str:
    """A cell as stripped text, whether it came from CSV, YAML or an Excel cell value."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):  # Excel stores numbers as binary floats
        return f"{round(raw, 6):.6f}".rstrip("0").rstrip(".")
    if isinstance(raw, date):
        return raw.isoformat()[:10]
    return str(raw).strip()
