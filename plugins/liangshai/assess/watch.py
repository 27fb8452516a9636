"""The bureau's quarterly list of 通报 candidates: communities that did not disclose (未公示),
disclosed late (逾期公示), or whose statement shows money missing (a contract under-reported
or with no income, an asset earning nothing: the checks marked `watch` in format.yaml), by
district and property company. Counted the same way on district pages and in the export.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Community, Dataset
from ..quarter import Quarter
from ..schema import FORMAT
from .status import RedFlag, Status, red_flags

LISTED = (Status.MISSING, Status.LATE)  # statuses that put a community on the list
WATCHED = tuple(c.code for c in FORMAT.checks.values() if c.watch)  # flags that do


@dataclass(frozen=True)
class Candidate:
    community: Community
    quarter: Quarter
    status: Status
    flags: tuple[RedFlag, ...]  # the watched red flags of the quarter

    @property
    def reasons(self) -> list[str]:
        """What puts it on the list, in words: its status, then its flags."""
        shown = [self.status.label] if self.status in LISTED else []
        return shown + [f.label for f in self.flags]


def candidates(data: Dataset, statuses: dict, quarter: Quarter) -> list[Candidate]:
    """The quarter's candidates, by district, company and community id."""
    out = []
    for cid, c in data.communities.items():
        status = statuses.get((cid, quarter))
        if status is None:
            continue
        statement = data.statements.get((cid, quarter))
        judged = statement is not None and status is not Status.INVALID
        found = _candidate(c, quarter, status, statement, red_flags(c, statement) if judged else ())
        if found:
            out.append(found)
    return sorted(out, key=_listed)


def candidates_of(views, quarters: list[Quarter]) -> dict[Quarter, list[Candidate]]:
    """Each quarter's candidates, as candidates() finds them, from what the community views
    (site.views.CommunityView) judged already: each active quarter's status, statement and
    red flags (made once for the pages, not again for every quarter's list)."""
    out: dict[Quarter, list[Candidate]] = {q: [] for q in quarters}
    for view in views:
        for qv in view.quarters:
            listed = out.get(qv.quarter)
            if listed is None:  # not a quarter the metrics judge
                continue
            found = _candidate(view.community, qv.quarter, qv.status, qv.statement, qv.flags)
            if found:
                listed.append(found)
    return {q: sorted(found, key=_listed) for q, found in out.items()}


def _candidate(community, quarter, status, statement, flags) -> Candidate | None:
    """A candidate if the quarter's status lists it, or a watched red flag of its statement
    does (a statement not judged, 数据有误, raises none); else None."""
    if statement is None or status is Status.INVALID:
        flags = ()
    watched = tuple(f for f in flags if f.code in WATCHED)
    return Candidate(community, quarter, status, watched) if status in LISTED or watched else None


def _listed(x: Candidate) -> tuple:
    return (x.community.district, x.community.company or "", x.community.id)


def counts(found: list[Candidate]) -> dict[str, int]:
    """How many candidates for each reason: each status listed, each watched flag."""
    out = {s.value: 0 for s in LISTED} | {code: 0 for code in WATCHED}
    for x in found:
        if x.status in LISTED:
            out[x.status.value] += 1
        for f in x.flags:
            out[f.code] += 1
    return out


def contract_counts(data: Dataset, communities) -> tuple[int, int]:
    """(contracts registered, of which without a filing number) for these communities."""
    mine = [k for c in communities for k in data.contracts.get(c.id, [])]
    return len(mine), sum(not k.row["filed_ref"] for k in mine)


def reason_labels() -> dict[str, str]:
    """The words for each key of counts(), in its order."""
    return {s.value: s.label for s in LISTED} | {c: FORMAT.checks[c].flag for c in WATCHED}
