"""Is all the money there? Base data, contracts and peers against what a statement reports.

A statement can add up and still leave money out. Three things show it (SPEC §3.4):
- the contracts register (ledgers/contracts.csv): income due under a contract in a quarter,
  pro rata for the days it ran, against the income reported under it (少报), a contract with
  no income, income after a contract ended, a contract never filed (报备);
- the registry's assets (lifts, ad positions, parking spaces) with no income in their category
  and no note saying why;
- the district's other communities: income per asset and month far below their median is a
  question to ask the company, never an accusation.
Thresholds are in metrics.yaml (`completeness`); every finding is a named check of format.yaml,
attached to the statement, so that flags reach its page and poster.
"""

from __future__ import annotations

import pickle
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..cache import place, prune, replacing
from ..digest import unit_key
from ..load.rows import Record
from ..model import Community, Dataset, Statement
from ..numbers import money
from ..quarter import Quarter
from ..schema import FORMAT, METRICS_FILE, read_yaml

RULES = read_yaml(METRICS_FILE)["completeness"]
TOLERANCE = {k: Decimal(v) for k, v in RULES["contract_tolerance"].items()}
BASE_COUNTS = ("households", "floor_area", "parking_spaces", "lifts", "ad_positions")
_PER_QUARTER = {"月": Decimal(3), "季": Decimal(1), "年": Decimal("0.25")}  # periods in a quarter
CENT = Decimal("0.01")
CACHE_VERSION = 1  # bump when the checks below would find otherwise for the same inputs


@dataclass(frozen=True)
class Contract:
    id: str
    community_id: str
    category: str
    counterparty: str
    asset: str
    start: date
    end: date | None
    amount: Decimal
    period: str
    row: Record

    def due(self, q: Quarter) -> Decimal:
        """What the contract brings in quarter q, pro rata for the days it ran in it."""
        first, last = max(self.start, q.start), min(self.end or q.end, q.end)
        if last < first:
            return Decimal(0)
        if self.period == "一次性":
            return self.amount if q.start <= self.start <= q.end else Decimal(0)
        days = Decimal((last - first).days + 1) / Decimal((q.end - q.start).days + 1)
        return (self.amount * _PER_QUARTER[self.period] * days).quantize(CENT, ROUND_HALF_UP)


def check_base_data(communities: dict[str, Community], report) -> None:
    """Counts that cannot be (negative: treated as not given) or are unlikely for the number
    of households (a typo in 户数 or 电梯)."""
    table = FORMAT.tables["communities"]
    bounds = {k: tuple(Decimal(x) for x in v) for k, v in RULES["plausible_per_household"].items()}
    for c in communities.values():
        where = {"file": c.file, "row": c.row, "community_id": c.id}
        for name in BASE_COUNTS:
            value = getattr(c, name)
            if value is not None and value < 0:
                label = table.field(name).label
                c.problems.append(
                    report.add("negative-count", field=name, label=label, value=value, **where)
                )
                setattr(c, name, None)
        if not c.households:
            continue
        for name, (low, high) in bounds.items():
            value = getattr(c, name)
            per = Decimal(value or 0) / c.households
            if value is not None and not low <= per <= high:
                details = {"households": c.households, "per": f"{per:.2f}"}
                label = table.field(name).label
                c.problems.append(
                    report.add(
                        "implausible-base-data",
                        field=name,
                        label=label,
                        value=value,
                        details=details,
                        **where,
                    )
                )


def contracts_of(data: Dataset) -> dict[str, list[Contract]]:
    """The valid contracts by community; a contract whose category is not an income category
    is an error on its row (and not used)."""
    out: dict[str, list[Contract]] = {}
    for r in data.valid_rows("contracts"):

        def problem(code, field, **details):  # on this row, named by its contract id
            where = {"file": r.file, "row": r.row, "field": field, "value": r["id"]}  # noqa: B023
            where["community_id"] = r["community_id"]  # noqa: B023
            r.problems.append(data.report.add(code, **where, details=details))  # noqa: B023

        category = FORMAT.category("income", r["category"] or "")
        if category is None:
            problem("contract-not-income", "category", category=r["category"])
            continue
        if not r["filed_ref"]:
            problem("contract-not-filed", "filed_ref", counterparty=r["counterparty"])
        fields = ("id", "community_id", "counterparty", "asset", "start", "end", "amount")
        contract = Contract(
            **{f: r[f] for f in fields}, category=category.code, period=r["period"], row=r
        )
        out.setdefault(contract.community_id, []).append(contract)
    return out


def check_completeness(data: Dataset, cache: Path | None = None) -> None:
    """Each quarter's statements against the contracts, the assets and their peers. With a
    `cache` folder, a quarter whose statements, contracts and registry are as they were
    gets the problems found then (the checks look at nothing else), in the same order."""
    data.contracts = contracts = contracts_of(data)
    registered: dict[str, set[str]] = {}  # every id in the register, its row valid or not
    for r in data.ledgers.get("contracts", []):
        registered.setdefault(r["community_id"], set()).add(r["id"])
    # the statements that will be shown (Statement.errors is tallied after validation ends)
    by_quarter: dict[Quarter, list[Statement]] = {}
    for s in data.statements.values():
        if not s.problems or not any(p.severity == "error" for p in s.problems):
            by_quarter.setdefault(s.quarter, []).append(s)
    common = _common_key(data, contracts) if cache else ""
    used = []
    for quarter, shown in by_quarter.items():
        path = _cache_file(cache, common, data.root or "", quarter, shown) if cache else None
        used.append(path)
        found = _load(path) if path else None
        if found is None:
            mark = len(data.report.problems)
            last = _last_file(cache, quarter) if cache else None
            earlier = _load(last) if last else None  # (common key, findings) as written below
            ours = isinstance(earlier, tuple) and len(earlier) == 2 and earlier[0] == common
            earlier = earlier[1] if ours and isinstance(earlier[1], dict) else {}
            checked = _check_quarter(data, shown, contracts, registered, earlier)
            found = _found(shown, data.report.problems[mark:])
            if path:
                for file, kept in ((path, found), (last, (common, checked))):
                    with replacing(file) as tmp:
                        tmp.write_bytes(pickle.dumps(kept, protocol=5))
            continue
        for k, problem in found:
            shown[k].problems.append(problem)
            data.report.problems.append(problem)
    if cache:  # a quarter's earlier versions go (another data folder's after 30 days)
        places = {place(data.root or "", quarter) for quarter in by_quarter}
        prune(Path(cache) / "completeness", used, places)


Own = tuple[list, dict[str, Decimal]]  # what a statement's own checks found, and its income


def _check_quarter(
    data: Dataset, shown: list[Statement], contracts, registered, earlier: dict
) -> dict[tuple, Own]:
    """Each statement against its contracts and assets, then all against their peers. A
    statement `earlier` holds (checked as it is, where it is, against the same contracts and
    registry) gets what was found then: after one statement is filed, the quarter's other
    statements are not read again. Returns what each statement's own checks found."""
    incomes, checked, problems = {}, {}, data.report.problems
    for s in shown:
        key = (s.community_id, s.fingerprint, s.file, s.row, s.sheet)
        found = earlier.get(key)
        if found is None:
            own, mark = contracts.get(s.community_id, []), len(problems)
            income = income_by_category(s)
            _check_contracts(data, s, own, registered.get(s.community_id, set()))
            _check_assets(data, s, own, income)
            found = problems[mark:], income
        else:
            s.problems += found[0]
            problems += found[0]
        checked[key] = found
        incomes[id(s)] = found[1]
    _check_peers(data, shown, incomes)
    return checked


def _found(shown: list[Statement], added: list) -> list[tuple[int, object]]:
    """The problems just added, in the report's order, each with its statement's place."""
    place = {id(p): k for k, s in enumerate(shown) for p in s.problems}
    return [(place[id(p)], p) for p in added]


def _common_key(data: Dataset, contracts: dict[str, list[Contract]]) -> str:
    """What every quarter's checks depend on beside its statements: the registry, the
    settings and this code (Dataset.registry_key), and the contracts: the contracts
    ledger's files (their bytes make its rows and the ids registered, the registry their
    communities) and which of its rows are the valid contracts."""
    rows = [(c.row.file, c.row.row) for cid in sorted(contracts) for c in contracts[cid]]
    return unit_key(data.registry_key, CACHE_VERSION, data.ledgers_key.get("contracts"), rows)


def _cache_file(cache: Path, common: str, root, quarter: Quarter, shown: list[Statement]) -> Path:
    """The findings' file of a quarter of the data folder `root`: by its statements'
    contents and where each is (a finding names its statement's file, row and sheet)."""
    where = [(s.community_id, s.fingerprint, s.file, s.row, s.sheet) for s in shown]
    key = unit_key(common, str(quarter), where)
    return Path(cache) / "completeness" / f"{place(root, quarter)}-{key[:40]}.pickle"


def _last_file(cache: Path, quarter: Quarter) -> Path:
    """What each statement of the quarter's last version was found to have (one file a
    quarter, replaced each time the quarter is checked again)."""
    return Path(cache) / "completeness" / "statements" / f"{quarter}.pickle"


def _load(path: Path):
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None


def income_by_category(s: Statement) -> dict[str, Decimal]:
    """A statement's income by category; a category with lines but no amount read is 0."""
    out: dict[str, Decimal] = {}
    for i in s.items:
        if i.section == "income":
            out[i.category] = out.get(i.category, Decimal(0)) + (i.amount or 0)
    return out


def _problem(data: Dataset, s: Statement, code: str, **kw) -> None:
    s.problems.append(data.report.add(code, **s.where(), **kw))


def _check_contracts(data: Dataset, s: Statement, own: list[Contract], known: set[str]) -> None:
    """`own`: the community's valid contracts; `known`: every id it has in the register. An
    item naming a contract whose row has errors is not unknown: that row's error says why,
    and the statement stays shown."""
    by_id = {c.id: c for c in own}
    linked: dict[str, Decimal] = {}
    for item in s.items:
        if item.section != "income" or not item.contract:
            continue
        if item.contract in by_id:
            linked[item.contract] = linked.get(item.contract, Decimal(0)) + (item.amount or 0)
        elif known and item.contract not in known:  # a community with contracts names them
            _problem(data, s, "unknown-contract", field="contract", value=item.contract)
    note = s.note or ""
    for c in own:
        due, reported = c.due(s.quarter), linked.get(c.id, Decimal(0))
        details = {
            "contract": c.id,
            "counterparty": c.counterparty,
            "asset": c.asset,
            "due": money(due),
            "reported": money(reported),
            "diff": money(due - reported),
        }
        short = due - reported > max(due * TOLERANCE["share"], TOLERANCE["minimum"])
        if due and not reported and c.id not in note and short:
            _problem(data, s, "contract-no-income", value=c.id, details=details)
        elif due and reported and short:
            _problem(data, s, "contract-short", value=c.id, details=details)
        if reported and not due and c.end is not None and c.end < s.quarter.start:
            details["end"] = c.end
            _problem(data, s, "income-after-contract", value=c.id, details=details)


def _check_assets(
    data: Dataset, s: Statement, own: list[Contract], income: dict[str, Decimal]
) -> None:
    """A registered asset with no income in its category, no contract in force for that
    category (the contract checks speak then) and no note on the statement."""
    if (s.note or "").strip():
        return
    c = data.communities[s.community_id]
    by_category: dict[str, list[str]] = {}
    for rule in RULES["assets"]:
        count = getattr(c, rule["asset"])
        if count:
            by_category.setdefault(rule["category"], []).append(f" {count} {rule['unit']}")
    for category, assets in by_category.items():
        if any(k.category == category and k.due(s.quarter) for k in own):
            continue
        if category not in income:
            label = FORMAT.category("income", category).short
            details = {"asset": "、".join(assets), "category": label}
            _problem(data, s, "asset-no-income", details=details)


def _check_peers(data: Dataset, shown: list[Statement], incomes: dict) -> None:
    """Income per asset and month against the median of the district's other communities
    that registered the asset and published that quarter."""
    peers = RULES["peers"]
    for measure in peers["measures"]:
        groups: dict[tuple, list[tuple[Statement, Decimal]]] = {}
        for s in shown:
            c = data.communities[s.community_id]
            count = getattr(c, measure["asset"])
            if count:
                income = incomes[id(s)].get(measure["category"], Decimal(0))
                groups.setdefault((c.district, s.quarter), []).append((s, income / count / 3))
        for members in groups.values():
            if len(members) <= peers["minimum"]:
                continue
            ordered = sorted(v for _, v in members)
            for s, value in members:
                middle = median_without(ordered, value)
                if value and value < middle * Decimal(peers["below_share"]):
                    details = {
                        "what": measure["what"],
                        "median": money(middle),
                        "peers": len(ordered) - 1,
                    }
                    _problem(data, s, "below-peers", value=money(value), details=details)


def median_without(ordered: list[Decimal], value: Decimal) -> Decimal:
    """The median of the sorted values with one occurrence of `value` taken out, as
    statistics.median gives it, without a new list per member (a district of m peers would
    cost m² otherwise)."""
    gone = bisect_left(ordered, value)
    n = len(ordered) - 1

    def at(k: int) -> Decimal:  # the k-th of the values left
        return ordered[k if k < gone else k + 1]

    if n % 2:
        return Decimal(at(n // 2))
    return Decimal((at(n // 2 - 1) + at(n // 2)) / 2)
