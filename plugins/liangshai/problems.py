"""Problems are data: a check code, a location and details, collected into one Report.

Modelled on frictionless: nothing here raises; every check appends to the report and the
caller decides at the end (exit code, 数据有误 on a page, --strict).
"""

from __future__ import annotations

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

    def merge(self, other: Report) -> None:
        self.problems += other.problems
        self.read += other.read
        self.ignored += other.ignored

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
