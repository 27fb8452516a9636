"""Metrics: every compliance rate, for every district and quarter, from the data.

Pages, the methods page and exports all read figures from here, so one figure is the same
wherever it appears. Definitions and Chinese labels live in metrics.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..model import Dataset
from ..quarter import Quarter
from ..schema import FORMAT, METRICS_FILE, read_yaml
from .status import Status, status_grid

CITY = None  # the key of city-wide figures, where a district slug would be


@dataclass(frozen=True)
class Definition:
    id: str
    label: str
    numerator: str
    denominator: str
    counted_to: str
    target: Decimal


DEFINITIONS = {
    d["id"]: Definition(**{**d, "target": Decimal(d["target"])})
    for d in read_yaml(METRICS_FILE)["rates"]
}


@dataclass(frozen=True)
class Rate:
    id: str
    numerator: int
    denominator: int
    as_of: date

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.id]

    @property
    def ratio(self) -> Decimal | None:
        if not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)

    @property
    def percent(self) -> str:
        """'87.5%', or '—' when there is nothing to count."""
        r = self.ratio
        if r is None:
            return "—"
        pct = (r * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{pct.normalize():f}%" if pct == pct.to_integral() else f"{pct}%"

    @property
    def met(self) -> bool | None:
        r = self.ratio
        return None if r is None else r >= self.definition.target


@dataclass
class Metrics:
    quarters: list[Quarter]
    table: dict[tuple[str | None, Quarter], dict[str, Rate]]
    statuses: dict[tuple[str, Quarter], Status]

    def get(self, district: str | None, quarter: Quarter) -> dict[str, Rate]:
        return self.table[(district, quarter)]

    def latest(self, district: str | None = CITY) -> dict[str, Rate]:
        return self.get(district, self.quarters[-1])


def city_demonstration_target(settings: dict) -> int:
    """The city's own target of demonstration communities (site.yaml, campaign.targets
    .demonstration_total; Fuzhou's plan says 30), 0 when it sets none."""
    return (settings.get("campaign") or {}).get("targets", {}).get("demonstration_total", 0)


def compute(data: Dataset, as_of: date | None = None) -> Metrics:
    """Every rate for every district and quarter, counted as the data stood on `as_of`
    (default: the data's own as-of date; later dates are clamped to it)."""
    as_of = min(as_of or data.as_of, data.as_of)
    quarters = [q for q in data.quarters if q.end < as_of]
    statuses = status_grid(data, as_of, quarters)
    ledger_district = {cid: c.district for cid, c in data.communities.items()}
    ledgers = {}  # (ledger, district or CITY) -> its valid rows
    for name in ("rectifications", "inspections", "complaints"):
        rows = data.valid_rows(name)
        ledgers[(name, CITY)] = rows
        for slug in data.districts:
            ledgers[(name, slug)] = []
        for r in rows:
            slug = ledger_district.get(r["community_id"])
            if slug in data.districts:
                ledgers[(name, slug)].append(r)
    table = {}
    for q in quarters:
        period_end, groups = min(q.end, as_of), _groups(data, q, statuses)
        for key, group in groups.items():
            table[(key, q)] = _rates(data, period_end, as_of, key, group, ledgers)
    return Metrics(quarters, table, statuses)


@dataclass
class _Group:
    """What a district's (or the city's) communities active in a quarter count to."""

    active: set[str]
    due: int = 0
    disclosed: int = 0
    on_time: int = 0
    with_account: int = 0
    demonstration: int = 0


def _groups(data: Dataset, q: Quarter, statuses) -> dict[str | None, _Group]:
    """Each district's group and the city's, in one pass over the communities (the city's
    counts every community, a district's those of its own)."""
    groups = {key: _Group(set()) for key in (*data.districts, CITY)}
    disclosed = (Status.ON_TIME, Status.LATE)
    for c in data.communities.values():
        if not c.active_in(q):
            continue
        status = statuses[(c.id, q)]
        due = status is not Status.NOT_DUE
        for key in (c.district, CITY) if c.district in data.districts else (CITY,):
            g = groups[key]
            g.active.add(c.id)
            if due:
                g.due += 1
                g.disclosed += status in disclosed
                g.on_time += status is Status.ON_TIME
            g.with_account += bool(c.account_type)
            g.demonstration += c.demonstration
    return groups


def _rates(data, period_end, as_of, key, group: _Group, ledgers):
    def known(ledger: str) -> list:
        """The group's rows of a ledger that had arisen by the end of the period."""
        arose = FORMAT.tables[ledger].ledger.date
        return [r for r in ledgers[(ledger, key)] if r[arose] <= period_end]

    found = known("rectifications")
    fixed = [r for r in found if r["closed_on"] and r["closed_on"] <= period_end]
    inspected = {r["community_id"] for r in known("inspections")}
    received = known("complaints")
    closed = [r for r in received if r["closed_on"] and r["closed_on"] <= period_end]
    if key is CITY:
        target = max(
            city_demonstration_target(data.settings),
            sum(d.demo_target for d in data.districts.values()),
        )
    else:
        target = data.districts[key].demo_target
    active, due = len(group.active), group.due
    return {
        "disclosure": Rate("disclosure", group.disclosed, due, as_of),
        "on_time": Rate("on_time", group.on_time, due, as_of),
        "account": Rate("account", group.with_account, active, as_of),
        "rectification": Rate("rectification", len(fixed), len(found), period_end),
        "inspection": Rate("inspection", len(inspected & group.active), active, period_end),
        "complaint": Rate("complaint", len(closed), len(received), period_end),
        # with no community in the group there is nothing to measure against the target
        "demonstration": Rate("demonstration", group.demonstration, target if active else 0, as_of),
    }
