"""View models: what each page shows, assembled from the model, statuses and metrics.

Templates only lay these out; every decision (which quarter is "latest", what an owner is told)
is made here, where it can be tested without rendering HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from ..assess.ledgers import LedgerIndex, LedgerView
from ..assess.metrics import Metrics
from ..assess.status import RedFlag, Status, red_flags
from ..model import ZERO, Community, Dataset, District, Statement
from ..numbers import money
from ..problems import Placeholders, Problem
from ..quarter import Quarter
from ..schema import FORMAT


@dataclass(slots=True)  # one per community and quarter
class QuarterView:
    quarter: Quarter
    status: Status
    statement: Statement | None
    flags: tuple[RedFlag, ...] = ()

    @property
    def shown(self) -> bool:
        """Figures are shown only for a valid statement."""
        return self.statement is not None and self.statement.valid

    @property
    def errors(self) -> list[Problem]:
        if self.statement is None:
            return []
        return [p for p in self.statement.problems if p.severity == "error"]


CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a community's Atom feed: a published statement, or a correction of one."""

    title: str
    quarter: Quarter
    anchor: str  # with the page's URL, the entry's id: stable, and new when figures change
    stamp: datetime
    summary: str


SUMMED = ("income", "cost", "use")  # the sections whose sums summarise a statement
_WORD = {  # the labels a summary and the report e-mail use, looked up once
    **{code: FORMAT.label(f"sections.{code}") for code in SUMMED},
    "closing_balance": FORMAT.label("statements.closing_balance"),
    "verification_code": FORMAT.label("published.statements.verification_code"),
    "district": FORMAT.label("communities.district"),
    "quarter": FORMAT.label("statements.quarter"),
}


def summary(s: Statement) -> str:
    """A statement in one sentence: its sums, its closing balance and its code."""
    totals = s.totals
    sums = [f"{_WORD[code]} {money(totals[code])} 元" for code in SUMMED]
    closing = f"{_WORD['closing_balance']} {money(s.closing_balance)} 元"
    code = f"{_WORD['verification_code']} {s.verification_code}"
    return f"{'，'.join([*sums, closing])}。{code}"


@dataclass(frozen=True)
class Share:
    """A quarter's income and closing balance per household, to the yuan (SPEC §3.4)."""

    households: int
    income: Decimal
    closing: Decimal


@dataclass(frozen=True)
class YearView:
    """A year whose four quarters are all shown: its sums, and whether they add up."""

    year: int
    totals: dict[str, Decimal]  # SUMMED sections
    net: Decimal  # 本期: income − cost − use over the year
    opening: Decimal  # the first quarter's opening balance
    closing: Decimal  # the fourth quarter's closing balance (累计)
    gap: Decimal  # opening + net − closing: 0 when the year adds up


@dataclass(frozen=True)
class ContractLine:
    """A contract in force in a quarter: what it brings, and what was reported under it."""

    contract: object  # validate.completeness.Contract
    due: Decimal
    reported: Decimal


def years_of(shown: list) -> list[YearView]:
    """Each year whose four quarters are among the shown quarter views, newest first."""
    by_year: dict[int, list] = {}
    for qv in shown:
        by_year.setdefault(qv.quarter.year, []).append(qv)
    out = []
    for year, qvs in sorted(by_year.items(), reverse=True):
        if len(qvs) < 4:
            continue
        statements = [qv.statement for qv in sorted(qvs, key=lambda qv: qv.quarter)]
        totals = {code: sum((s.totals[code] for s in statements), ZERO) for code in SUMMED}
        net = totals["income"] - totals["cost"] - totals["use"]
        opening, closing = statements[0].opening_balance, statements[-1].closing_balance
        out.append(YearView(year, totals, net, opening, closing, opening + net - closing))
    return out


def contract_lines(contracts: list, s: Statement) -> list[ContractLine]:
    """The contracts in force in the statement's quarter (or reported under in it)."""
    out = []
    for k in contracts:
        due = k.due(s.quarter)
        linked = (i.amount or ZERO for i in s.items if i.section == "income" and i.contract == k.id)
        reported = sum(linked, ZERO)
        if due or reported:
            out.append(ContractLine(k, due, reported))
    return out


def _per(amount: Decimal, households: int) -> Decimal:
    return (amount / households).quantize(Decimal(1), ROUND_HALF_UP)


@dataclass
class CommunityView:
    community: Community
    district: District
    quarters: list[QuarterView]  # newest first
    rectifications: list[dict]
    inspections: list[dict]
    complaints: list[dict]
    hotline: str
    as_of: object
    contracts: list = field(default_factory=list)  # the community's Contracts

    @property
    def share(self) -> Share | None:
        """The latest shown quarter per household, when the registry gives 户数."""
        latest, households = self.latest, self.community.households
        if not households or latest is None or not latest.shown:
            return None
        s = latest.statement
        return Share(
            households, _per(s.totals["income"], households), _per(s.closing_balance, households)
        )

    @property
    def questions(self) -> list[str]:
        """Questions for owners to put to the company about the latest quarter (a figure
        far below the district's, say): never accusations, so not red flags."""
        latest = self.latest
        if latest is None or latest.statement is None:
            return []
        return [
            p.check.ask.format_map(Placeholders(p.details, value=p.value))
            for p in latest.statement.problems
            if p.check.ask
        ]

    @property
    def years(self) -> list[YearView]:
        """Each year whose four quarters are shown, newest first."""
        return years_of(self.with_figures)

    @property
    def contract_lines(self) -> list[ContractLine]:
        """The contracts in force in the latest shown quarter, with what each brings."""
        latest = self.latest
        if latest is None or not latest.shown:
            return []
        return contract_lines(self.contracts, latest.statement)

    @property
    def latest(self) -> QuarterView | None:
        """The newest quarter that is due, or that already has a statement."""
        for qv in self.quarters:
            if qv.status is not Status.NOT_DUE or qv.statement is not None:
                return qv
        return None

    @property
    def with_figures(self) -> list[QuarterView]:
        return [qv for qv in self.quarters if qv.shown]

    def digest(self) -> tuple:
        """Everything the community's files are made from, compactly: a statement counts by
        its fingerprint (which covers every printed figure and word) and its problems."""
        quarters = [
            (
                qv.quarter,
                qv.status,
                qv.flags,
                (qv.statement.fingerprint, qv.statement.problems, qv.statement.corrections)
                if qv.statement
                else None,
            )
            for qv in self.quarters
        ]
        return (
            self.community,
            self.district,
            quarters,
            self.rectifications,
            self.inspections,
            self.complaints,
            self.hotline,
            self.as_of,
            [
                (k.id, k.counterparty, k.asset, k.start, k.end, k.amount, k.period)
                for k in self.contracts
            ],
        )

    @property
    def feed_entries(self) -> list[FeedEntry]:
        """Oldest first: each shown statement (at 09:00 on the day it was published) and each
        of its corrections (at 10:00 on the day it was made)."""
        entries = []
        for qv in reversed(self.with_figures):
            s, label = qv.statement, qv.quarter.label
            entries.append(
                FeedEntry(
                    f"{label}公示表（{qv.status.label}）",
                    qv.quarter,
                    f"q-{qv.quarter}-{s.fingerprint}",
                    datetime.combine(s.published_on, time(9), CHINA),
                    summary(s),
                )
            )
            for fix in s.corrections:
                changes = "；".join(f"{c.label} {c.old} → {c.new}" for c in fix.changes)
                entries.append(
                    FeedEntry(
                        f"更正：{label}公示表",
                        qv.quarter,
                        f"fix-{qv.quarter}-{fix.new_code}",
                        datetime.combine(fix.corrected_on, time(10), CHINA),
                        f"{fix.reason}。{changes}。核验码由 {fix.old_code} 改为 {fix.new_code}。",
                    )
                )
        return entries

    @property
    def report_mailto(self) -> str:
        """A 报告问题 e-mail to the district bureau, pre-filled with what identifies the page."""
        c, latest = self.community, self.latest
        quarter = latest.quarter.label if latest else ""
        code = latest.statement.verification_code if latest and latest.shown else "无"
        subject = f"报告问题：{c.name}（{c.id}）{quarter}公共收益公示"
        body = (
            f"小区：{c.name}（编号 {c.id}）\n"
            f"{_WORD['district']}：{self.district.full_name} {c.street}\n"
            f"{_WORD['quarter']}：{quarter}\n"
            f"{_WORD['verification_code']}：{code}\n\n我发现的问题：\n"
        )
        return f"mailto:{self.district.email}?subject={quote(subject)}&body={quote(body)}"


def community_view(
    data: Dataset, metrics: Metrics, community: Community, ledgers: LedgerIndex | None = None
) -> CommunityView:
    ledgers = ledgers or LedgerIndex(data)
    quarters = []
    for q in reversed(data.quarters):
        if not community.active_in(q):
            continue
        statement = data.statements.get((community.id, q))
        status = metrics.statuses[(community.id, q)]
        flags = red_flags(community, statement) if status is not Status.INVALID else ()
        quarters.append(QuarterView(q, status, statement, flags))
    return CommunityView(
        community=community,
        district=data.districts[community.district],
        quarters=quarters,
        rectifications=ledgers.of("rectifications", community.id),
        inspections=ledgers.of("inspections", community.id),
        complaints=ledgers.of("complaints", community.id),
        hotline=str(data.settings["hotline"]),
        as_of=data.as_of,
        contracts=data.contracts.get(community.id, []),
    )


def all_views(
    data: Dataset, metrics: Metrics, ledgers: LedgerIndex | None = None
) -> dict[str, CommunityView]:
    ledgers = ledgers or LedgerIndex(data)
    return {
        cid: community_view(data, metrics, c, ledgers)
        for cid, c in sorted(data.communities.items())
    }


@dataclass
class CompanyView:
    code: str
    name: str
    views: list[CommunityView]
    ledgers: LedgerView


def company_views(views: dict[str, CommunityView], ledgers: LedgerIndex) -> dict[str, CompanyView]:
    """Property companies by unified social credit code, with their communities."""
    groups: dict[str, list[CommunityView]] = {}
    for view in views.values():
        if view.community.company_code:
            groups.setdefault(view.community.company_code, []).append(view)
    return {
        code: CompanyView(
            code,
            members[0].community.company or code,
            members,
            ledgers.view({v.community.id for v in members}),
        )
        for code, members in sorted(groups.items())
    }


@dataclass
class ListedCommunity:
    community: Community
    latest: QuarterView | None


def district_list(views: list[CommunityView]) -> list[ListedCommunity]:
    return [ListedCommunity(v.community, v.latest) for v in views]


def search_entries(data: Dataset) -> list[dict]:
    """The static search index: what a resident might type to find their community."""
    out = []
    for c in sorted(data.communities.values(), key=lambda c: c.id):
        d = data.districts.get(c.district)
        out.append(
            {
                "i": c.id,
                "n": c.name,
                "f": " ".join(c.former_names),
                "o": " ".join(c.former_ids),
                "s": c.street,
                "a": c.address,
                "d": d.full_name if d else "",
            }
        )
    return out
