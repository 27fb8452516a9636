"""Quarters as a small value type, and the disclosure deadline rule."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

LABEL = "{}年第{}季度"  # how a quarter reads on pages: 2024年第一季度
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-_/ ]?\s*[qQ]([1-4])$"),  # 2024Q1, 2024-Q1, 2024 q1
    re.compile(r"^(\d{4})\s*年?\s*第?\s*([1-4一二三四])\s*季度?$"),  # 2024年第一季度, 2024年1季度
)


@cache  # asked for every contract of every statement: a few hundred thousand times
def _bounds(year: int, q: int) -> tuple[date, date]:
    """The first and the last day of a quarter."""
    month = 3 * q
    return date(year, month - 2, 1), date(year, month, calendar.monthrange(year, month)[1])


@cache  # asked for every community in every quarter
def _due(year: int, q: int) -> date:
    """Statements are due by the last day of the first month of the next quarter."""
    year, month = (year + 1, 1) if q == 4 else (year, 3 * q + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse '2024Q1' and the usual Chinese spellings; ValueError otherwise."""
        s = unicodedata.normalize("NFKC", str(text)).strip()
        for pattern in _PATTERNS:
            m = pattern.match(s)
            if m:
                q = m.group(2)
                return cls(int(m.group(1)), _CN_DIGITS.get(q) or int(q))
        raise ValueError(f"not a quarter: {text!r}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        return LABEL.format(self.year, "一二三四"[self.q - 1])

    @property
    def start(self) -> date:
        return _bounds(self.year, self.q)[0]

    @property
    def end(self) -> date:
        return _bounds(self.year, self.q)[1]

    @property
    def due(self) -> date:
        """Statements are due by the last day of the first month of the next quarter."""
        return _due(self.year, self.q)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def range_to(self, last: Quarter) -> list[Quarter]:
        """This quarter through `last`, inclusive."""
        out, q = [], self
        while q <= last:
            out.append(q)
            q = q.next()
        return out
