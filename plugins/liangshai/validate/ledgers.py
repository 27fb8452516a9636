"""The supervision ledgers (rectifications, inspections, complaints, corrections), row by row."""

from __future__ import annotations

from ..load.rows import Record
from ..model import Dataset
from ..schema import FORMAT
from .registry import first_of_each


def check_ledger(name: str, records: list[Record], data: Dataset) -> list[Record]:
    """A ledger's rows: ids unique, communities known, closed items complete (what closing
    needs and which dates come first are the table's `ledger` in format.yaml)."""
    table = FORMAT.tables[name]
    meaning, report = table.ledger, data.report
    keep = (
        list(first_of_each(records, "id", report, "duplicate-record"))
        if "id" in table.key
        else records
    )

    def problem(r, code, **kw):
        r.problems.append(report.add(code, file=r.file, row=r.row, **kw))

    for r in keep:
        cid = r["community_id"]
        if cid in data.aliases:
            r.values["community_id"] = cid = data.aliases[cid]
        if cid is not None and cid not in data.communities:
            problem(r, "unknown-community", field="community_id", value=cid)
        if meaning.closed is not None and r["status"] == meaning.closed:
            for needed in meaning.closing_needs:
                if r[needed] in (None, ""):
                    code = (
                        "closed-without-date" if needed == "closed_on" else "closed-without-measure"
                    )
                    label = table.field(needed).label
                    problem(r, code, field=needed, label=label)
        for early, late in meaning.date_order:
            if r[early] and r[late] and r[late] < r[early]:
                problem(
                    r,
                    "date-order",
                    field=late,
                    label=table.field(late).label,
                    value=str(r[late]),
                    details={"other_label": table.field(early).label, "other": r[early]},
                )
        if (
            name == "corrections"
            and cid
            and r["quarter"]
            and ((cid, r["quarter"]) not in data.statements)
        ):
            problem(r, "unknown-statement", community_id=cid, quarter=str(r["quarter"]))
    return keep


def check_cases(data: Dataset, articles: set[str]) -> None:
    """A 典型案例 link must name an article of the column (by slug); one that does not is an
    error, and the link is not made (the rectification itself is still shown)."""
    for r in data.ledgers.get("rectifications", []):
        if r["case"] and r["case"] not in articles:
            data.report.add("unknown-case", file=r.file, row=r.row, field="case", value=r["case"])
            r.values["case"] = None
