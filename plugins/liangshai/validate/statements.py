"""Statements: each draft checked (dates, items, sums) and placed in its quarter; then the
continuity of balances from quarter to quarter.
"""

from __future__ import annotations

from ..load.rows import Draft
from ..model import Dataset, Item, Statement
from ..quarter import Quarter
from ..schema import FORMAT

# ----------------------------------------------------------------------------- statements


def _statement_from(draft: Draft) -> Statement:
    h = draft.header
    problems = list(h.problems) + draft.items_lost
    items = []
    for r in draft.items:
        if r.problems:
            problems += r.problems
        v = r.values
        items.append(
            Item(
                v.get("section"),
                v.get("category"),
                v.get("description"),
                v.get("amount"),
                v.get("date"),
                v.get("approval_ref"),
                v.get("contract"),
                v.get("note"),
                r.row,
            )
        )
    return Statement(
        community_id=h["community_id"],
        quarter=h["quarter"],
        published_on=h["published_on"],
        prepared_by=h["prepared_by"],
        opening_balance=h["opening_balance"],
        closing_balance=h["closing_balance"],
        account_balance=h["account_balance"],
        note=h["note"],
        items=items,
        file=h.file,
        row=h.row,
        problems=problems,
        sheet=draft.sheet,
    )


def check_statement(data: Dataset, draft: Draft) -> Statement:
    """A statement with the rules that concern it alone (and the registry) applied."""
    s = _statement_from(draft)

    def problem(code, item_file=None, **kw):
        s.problems.append(data.report.add(code, **s.where(file=item_file or s.file, **kw)))

    if s.community_id in data.aliases:
        current = data.aliases[s.community_id]
        problem(
            "former-id-used",
            field="community_id",
            value=s.community_id,
            details={"current": current},
        )
        s.community_id = current
    community = data.communities.get(s.community_id)
    if s.community_id is not None and community is None:
        problem("unknown-community", field="community_id", value=s.community_id)
    if s.quarter is not None:
        check_dates(s, community, data, draft.folder, problem)
    item_file = draft.items[0].file if draft.items else s.file
    if not draft.items_lost:  # with its items unreadable, sums would only add noise
        check_items(s, problem, item_file)
        check_sums(s, problem)
    return s


# A statement with one of these is kept out of the site: its quarter is not one the site shows.
OUT_OF_TIME = {"quarter-out-of-range", "future-quarter"}


def file_statement(data: Dataset, s: Statement) -> None:
    """File a statement under its community and quarter, unless another is there already."""
    key = (s.community_id, s.quarter)
    if (
        s.community_id not in data.communities
        or s.quarter is None
        or any(p.code in OUT_OF_TIME for p in s.problems)
    ):
        data.rejected.append(s)
    elif key in data.statements:
        first = data.statements[key]
        for one, other in ((s, first), (first, s)):  # both are suspect: say so on each
            one.problems.append(
                data.report.add(
                    "duplicate-statement",
                    **one.where(community_id=s.community_id),
                    details={"other": _where(other)},
                )
            )
        data.rejected.append(s)
    else:
        data.statements[key] = s


def _where(s: Statement) -> str:
    return f"{s.file} 第 {s.row} 行" if s.row else s.file


def check_dates(s: Statement, community, data: Dataset, folder, problem) -> None:
    as_of = data.as_of
    if folder is not None and folder != s.quarter:
        # The folder is the stronger word: the statement is shown (as 数据有误) where it was
        # handed in, and a typo cannot put it in a quarter the site does not show.
        problem(
            "quarter-mismatch", field="quarter", value=str(s.quarter), details={"folder": folder}
        )
        s.quarter = folder
    q = s.quarter
    first, last = data.settings.get("first_quarter"), Quarter.of(as_of)
    if (first is not None and q < first) or q > last:
        span = {"first": first or "—", "last": last}
        problem("quarter-out-of-range", field="quarter", value=str(q), details=span)
        return
    if as_of <= q.end:
        problem("future-quarter", field="quarter", value=str(q), details={"as_of": as_of})
    if community is not None and not community.active_in(q):
        active = f"{community.active_from or '—'} 至 {community.active_to or '今'}"
        problem("inactive-community", field="quarter", details={"active": active})
    if s.published_on is not None:
        if s.published_on < q.end:
            problem(
                "published-too-early",
                field="published_on",
                value=str(s.published_on),
                details={"quarter_end": q.end},
            )
        elif s.published_on > as_of:
            problem(
                "published-in-future",
                field="published_on",
                value=str(s.published_on),
                details={"as_of": as_of},
            )


def unread(problems, name: str, row: int | None = None) -> bool:
    """Whether field `name` (of `row`, if given) could not be read: no check may then judge
    it blank (a red flag is never raised from a value that was not read)."""
    return any(p.field == name and (row is None or p.row == row) for p in problems)


def check_items(s: Statement, problem, item_file: str) -> None:
    fields = FORMAT.tables["items"]
    for item in s.items:
        if item.amount is not None and item.amount < 0:
            problem(
                "negative-amount",
                item_file,
                row=item.row,
                field="amount",
                label=fields.field("amount").label,
                value=str(item.amount),
            )
        if item.section is None or item.category is None:
            continue
        category = FORMAT.category(item.section, item.category)
        section = FORMAT.section_by_code(item.section)
        if category is None:
            choices = "、".join(c.short for c in section.categories)
            problem(
                "invalid-category",
                item_file,
                row=item.row,
                field="category",
                label=fields.field("category").label,
                value=item.category,
                details={"section": section.label, "choices": choices},
            )
            continue
        item.category = category.code
        if (
            section.needs_approval
            and not item.approval_ref
            and not unread(s.problems, "approval_ref", item.row)
        ):
            problem(
                "use-without-approval",
                item_file,
                row=item.row,
                field="approval_ref",
                value=item.description,
            )
    if not s.items and not s.note:
        problem("no-items")


def check_sums(s: Statement, problem) -> None:
    if any(i.amount is None or i.section is None for i in s.items):
        return  # a bad item was reported already; sums over it would only add noise
    totals = s.totals
    income, cost, use = totals["income"], totals["cost"], totals["use"]
    if s.opening_balance is not None and s.closing_balance is not None:
        expected = s.opening_balance + income - cost - use
        if expected != s.closing_balance:
            problem(
                "balance-mismatch",
                field="closing_balance",
                value=str(s.closing_balance),
                details={
                    "closing": s.closing_balance,
                    "opening": s.opening_balance,
                    "income": income,
                    "cost": cost,
                    "use": use,
                    "expected": expected,
                    "diff": s.closing_balance - expected,
                },
            )
    if cost > income * FORMAT.cost_cap:
        pct = f"{cost / income:.0%}" if income else "全部"
        problem("cost-over-cap", details={"cost": cost, "income": income, "pct": pct})
    if (
        s.account_balance is not None
        and s.closing_balance is not None
        and s.account_balance < s.closing_balance
    ):
        problem(
            "not-deposited",
            field="account_balance",
            value=str(s.account_balance),
            details={
                "account": s.account_balance,
                "closing": s.closing_balance,
                "diff": s.closing_balance - s.account_balance,
            },
        )


def check_continuity(data: Dataset) -> None:
    for (cid, q), s in data.statements.items():
        prev = data.statements.get((cid, q.prev()))
        if prev is None or prev.closing_balance is None or s.opening_balance is None:
            continue
        if prev.closing_balance != s.opening_balance:
            s.problems.append(
                data.report.add(
                    "continuity-broken",
                    **s.where(community_id=cid),
                    field="opening_balance",
                    value=str(s.opening_balance),
                    details={
                        "opening": s.opening_balance,
                        "prev_quarter": prev.quarter,
                        "prev_closing": prev.closing_balance,
                        "diff": s.opening_balance - prev.closing_balance,
                        "gap": abs(s.opening_balance - prev.closing_balance),
                    },
                )
            )
