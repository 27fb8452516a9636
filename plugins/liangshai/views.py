"""View models: what each page shows, assembled from the model, statuses and metrics.

Templates only lay these out; every decision (which quarter is "latest", what an owner is told)
is made here, where it can be tested without rendering HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from .metrics import Metrics
from .model import Community, Dataset, District, Item, Statement
from .problems import Problem
from .quarter import Quarter
from .schema import FORMAT, Section
from .status import RedFlag, Status, red_flags


@dataclass
class SectionView:
    section: Section
    items: list[Item]
    total: Decimal

    def label(self, item: Item) -> str:
        category = FORMAT.category(self.section.code, item.category or "")
        return category.short if category else (item.category or "")


@dataclass
class QuarterView:
    quarter: Quarter
    status: Status
    statement: Statement | None
    flags: list[RedFlag] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        """Figures are shown only for a valid statement."""
        return self.statement is not None and self.statement.valid

    @property
    def sections(self) -> list[SectionView]:
        s = self.statement
        return [
            SectionView(sec, [i for i in s.items if i.section == sec.code], s.total(sec.code))
            for sec in FORMAT.sections
        ]

    @property
    def errors(self) -> list[Problem]:
        if self.statement is None:
            return []
        return [p for p in self.statement.problems if p.severity == "error"]


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

    @property
    def report_mailto(self) -> str:
        """A 报告问题 e-mail to the district bureau, pre-filled with what identifies the page."""
        c, latest = self.community, self.latest
        quarter = latest.quarter.label if latest else ""
        code = latest.statement.verification_code if latest and latest.statement else "无"
        subject = f"报告问题：{c.name}（{c.id}）{quarter}公共收益公示"
        body = (
            f"小区：{c.name}（编号 {c.id}）\n区县：{self.district.full_name} {c.street}\n"
            f"季度：{quarter}\n核验码：{code}\n\n我发现的问题：\n"
        )
        return f"mailto:{self.district.email}?subject={quote(subject)}&body={quote(body)}"


def community_view(data: Dataset, metrics: Metrics, community: Community) -> CommunityView:
    quarters = []
    for q in reversed(data.quarters):
        if not community.active_in(q):
            continue
        statement = data.statements.get((community.id, q))
        status = metrics.statuses[(community.id, q)]
        flags = red_flags(community, statement) if status is not Status.INVALID else []
        quarters.append(QuarterView(q, status, statement, flags))
    return CommunityView(
        community=community,
        district=data.districts[community.district],
        quarters=quarters,
        rectifications=ledger_rows(data, "rectifications", community.id),
        inspections=ledger_rows(data, "inspections", community.id),
        complaints=ledger_rows(data, "complaints", community.id),
        hotline=str(data.settings["hotline"]),
        as_of=data.as_of,
    )


def all_views(data: Dataset, metrics: Metrics) -> dict[str, CommunityView]:
    return {cid: community_view(data, metrics, c) for cid, c in sorted(data.communities.items())}


def ledger_rows(
    data: Dataset, name: str, community_id: str | None = None, communities: set[str] | None = None
) -> list[dict]:
    """Valid ledger rows (of one community, or of a set), with `closed`, `overdue` and the
    community's name. Open items first, overdue before the rest; then newest first."""
    rows = []
    for r in data.ledgers.get(name, []):
        if any(p.severity == "error" for p in r.problems):
            continue
        cid = r["community_id"]
        if (community_id is not None and cid != community_id) or (
            communities is not None and cid not in communities
        ):
            continue
        row = dict(r.values)
        c = data.communities.get(cid)
        row["community_name"] = c.name if c else cid
        row["closed"] = row.get("status") == "已销号"
        deadline = row.get("deadline")
        row["overdue"] = not row["closed"] and deadline is not None and deadline < data.as_of
        rows.append(row)
    first = {"rectifications": "found_on", "complaints": "received_on", "inspections": "date"}
    rows.sort(key=lambda r: r[first.get(name, "community_id")] or "", reverse=True)
    rows.sort(key=lambda r: (r.get("closed", True), not r.get("overdue")))
    return rows


@dataclass
class LedgerView:
    """The supervision ledgers of a district, a company or the whole city."""

    rectifications: list[dict]
    inspections: list[dict]
    complaints: list[dict]

    @staticmethod
    def counts(rows: list[dict]) -> dict[str, int]:
        return {
            "all": len(rows),
            "closed": sum(r["closed"] for r in rows),
            "open": sum(not r["closed"] for r in rows),
            "overdue": sum(r["overdue"] for r in rows),
        }

    @property
    def credit_deductions(self) -> int:
        return sum(r.get("credit_deduction") or 0 for r in self.rectifications)


def ledger_view(data: Dataset, communities: set[str] | None = None) -> LedgerView:
    return LedgerView(
        *(
            ledger_rows(data, name, communities=communities)
            for name in ("rectifications", "inspections", "complaints")
        )
    )


@dataclass
class CompanyView:
    code: str
    name: str
    views: list[CommunityView]
    ledgers: LedgerView


def company_views(data: Dataset, views: dict[str, CommunityView]) -> dict[str, CompanyView]:
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
            ledger_view(data, {v.community.id for v in members}),
        )
        for code, members in sorted(groups.items())
    }


def verification_index(data: Dataset) -> dict[str, list]:
    """Every verification code ever printed, current or corrected: code → [id, quarter, now]."""
    index: dict[str, list] = {}
    for (cid, q), s in sorted(data.statements.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if not s.valid:
            continue
        for correction in s.corrections:
            index.setdefault(correction.old_code, [cid, str(q), False])
        index[s.verification_code] = [cid, str(q), True]
    return index


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
