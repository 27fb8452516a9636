"""The state of every ledger item as of the data's date: closed (销号), open, overdue; and the
ledgers grouped by community for pages and exports of any grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Dataset
from ..schema import FORMAT

LEDGERS = ("rectifications", "inspections", "complaints")


def _order(name: str, rows: list[dict]) -> list[dict]:
    """Open items first, overdue before the rest; then newest first."""
    arose = FORMAT.tables[name].ledger.date
    rows.sort(key=lambda r: r[arose] or "", reverse=True)
    rows.sort(key=lambda r: (r.get("closed", True), not r.get("overdue")))
    return rows


def ledger_rows(data: Dataset, name: str) -> list[dict]:
    """Valid rows of a ledger, with `closed`, `overdue` and the community's name, in order."""
    rows = []
    closed = FORMAT.tables[name].ledger.closed
    for r in data.valid_rows(name):
        row = dict(r.values)
        c = data.communities.get(r["community_id"])
        row["community_name"] = c.name if c else r["community_id"]
        row["closed"] = closed is not None and row.get("status") == closed
        deadline = row.get("deadline")
        row["overdue"] = not row["closed"] and deadline is not None and deadline < data.as_of
        rows.append(row)
    return _order(name, rows)


class LedgerIndex:
    """The ledgers read once and grouped by community, for pages of any grouping."""

    def __init__(self, data: Dataset):
        self.rows = {name: ledger_rows(data, name) for name in LEDGERS}
        self.by_community: dict[str, dict[str, list[dict]]] = {name: {} for name in LEDGERS}
        for name, rows in self.rows.items():
            for r in rows:
                self.by_community[name].setdefault(r["community_id"], []).append(r)

    def of(self, name: str, community_id: str) -> list[dict]:
        return self.by_community[name].get(community_id, [])

    def view(self, communities=None) -> LedgerView:
        """The ledgers of these communities (all of them when None)."""
        if communities is None:
            return LedgerView(*(self.rows[name] for name in LEDGERS))
        return LedgerView(
            *(
                _order(name, [r for cid in sorted(communities) for r in self.of(name, cid)])
                for name in LEDGERS
            )
        )


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
