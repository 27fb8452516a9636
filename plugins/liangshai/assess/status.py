"""Status of a community in a quarter, and its red flags, derived by rule.

按时公示 / 逾期公示 / 未公示 / 数据有误, plus 未到期 for a quarter whose deadline has not passed
(calling that 未公示 would accuse a community of something it has not done yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from ..model import Community, Dataset, Statement
from ..problems import Placeholders
from ..quarter import Quarter
from ..schema import FORMAT


class Status(Enum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    INVALID = "invalid"
    NOT_DUE = "not_due"

    @property
    def label(self) -> str:
        return FORMAT.statuses[self.value]["label"]

    @property
    def description(self) -> str:
        return FORMAT.statuses[self.value]["description"]


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str  # short, for badges
    text: str  # one sentence for an owner


def status_of(statement: Statement | None, quarter: Quarter, as_of: date) -> Status:
    if statement is None:
        return Status.MISSING if as_of > quarter.due else Status.NOT_DUE
    if not statement.valid:
        return Status.INVALID
    if statement.published_on is not None and statement.published_on <= quarter.due:
        return Status.ON_TIME
    return Status.LATE


def red_flags(community: Community, statement: Statement | None) -> tuple[RedFlag, ...]:
    """One flag per kind, in the order of the format's checks (a tuple: most have none, and
    every empty tuple is one object)."""
    problems = list(community.problems)
    if statement is not None:
        problems += statement.problems
    if not problems:
        return ()
    by_code: dict[str, list] = {}
    for p in problems:
        if p.check.flag:
            by_code.setdefault(p.code, []).append(p)
    flags = []
    for check in FORMAT.flag_checks:
        found = by_code.get(check.code)
        if found:
            first = found[0]
            text = check.owner.format_map(Placeholders(first.details, count=len(found)))
            flags.append(RedFlag(check.code, check.flag, text))
    return tuple(flags)


def status_grid(
    data: Dataset, as_of: date | None = None, quarters: list[Quarter] | None = None
) -> dict[tuple[str, Quarter], Status]:
    """The status of every active community in every quarter, judged on `as_of` (a statement
    published after that day did not exist yet)."""
    as_of = as_of or data.as_of
    grid = {}
    for cid, c in data.communities.items():
        for q in quarters or data.quarters:
            if c.active_in(q):
                s = data.statements.get((cid, q))
                if s is not None and s.published_on is not None and s.published_on > as_of:
                    s = None
                grid[(cid, q)] = status_of(s, q, as_of)
    return grid
