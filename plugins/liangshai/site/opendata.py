"""Open data: all statements and items as CSV (UTF-8 with BOM, for Excel) and JSON.

The columns are the format's own, plus what a reader needs to use a row on its own
(community name, district, status, fingerprint). Invalid statements are listed with their
status and without figures: they are never published as if they were valid.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..assess.metrics import Metrics
from ..exports.safe import neutral
from ..model import Community, Dataset, Statement, canonical_json
from ..schema import FORMAT

# The columns the open data adds to the format's (format.yaml, `published`).
STATEMENT_EXTRA = [f.name for f in FORMAT.published["statements"]]
ITEM_EXTRA = [f.name for f in FORMAT.published["items"]]


def statement_columns() -> list[str]:
    return FORMAT.tables["statements"].columns + STATEMENT_EXTRA


def item_columns() -> list[str]:
    return FORMAT.tables["items"].columns + ITEM_EXTRA


def _sorted(statements) -> list[Statement]:
    return sorted(statements, key=lambda s: (s.community_id, s.quarter))


def entries(data: Dataset, metrics: Metrics, statements) -> list[dict]:
    """One JSON-ready entry per statement; figures and items only for valid ones."""
    out = []
    for s in _sorted(statements):
        c = data.communities[s.community_id]
        status = metrics.statuses.get((s.community_id, s.quarter))
        if s.valid:
            entry = s.canonical()
            del entry["format_version"]
        else:
            entry = {"community_id": s.community_id, "quarter": str(s.quarter)}
        entry.update(
            community_name=c.name,
            district=c.district,
            status=status.label if status else "",
            verification_code=s.verification_code if s.valid else "",
            fingerprint=s.fingerprint if s.valid else "",
        )
        out.append(entry)
    return out


STATUS_COLUMNS = (
    "community_id",
    "quarter",
    *(f.name for f in FORMAT.published["statuses"]),
    "published_on",
)


def to_json(doc) -> str:
    return canonical_json(doc) + "\n"


def _csv_rows(rows: list[dict], columns: list[str]) -> str:
    """These columns of the rows as CSV lines (a missing or None value is an empty cell;
    text that a spreadsheet would run as a formula is neutralised)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows([neutral(r.get(k)) for k in columns] for r in rows)
    return buf.getvalue()


def _csv_head(columns: list[str]) -> str:
    """The header line, after a BOM so that Excel reads UTF-8."""
    return "\ufeff" + _csv_rows([dict(zip(columns, columns, strict=True))], columns)


# An item row is the statement's key, then the item's own fields, then the category label.
_ITEM_OWN = FORMAT.tables["items"].columns[2:]
assert FORMAT.tables["items"].columns[:2] == ["community_id", "quarter"]
_item_own = operator.itemgetter(*_ITEM_OWN)
# Free text that anyone typed: the cells that may need neutralising (exports.py).
_ITEM_TEXT = [
    k for k, name in enumerate(_ITEM_OWN) if FORMAT.tables["items"].field(name).type == "text"
]


def _item_lines(es: list[dict]) -> str:
    """The item rows of these entries as CSV lines, in item_columns() order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for e in es:
        key = (e["community_id"], e["quarter"])
        for item in e.get("items", ()):
            category = FORMAT.category(item["section"], item["category"])
            own = list(_item_own(item))
            for k in _ITEM_TEXT:
                own[k] = neutral(own[k])
            w.writerow((*key, *own, category.label if category else ""))
    return buf.getvalue()


@dataclass(frozen=True)
class Fragment:
    """One community's share of the city-wide files, kept between builds."""

    statements: str  # CSV rows
    items: str  # CSV rows
    json: str  # JSON array members, comma-separated
    statuses: str  # CSV rows (datapackage.status_lines)
    messages: str  # JSON: its lines of the SMS and WeChat files (messages.community_lines)

    @classmethod
    def of(cls, es: list[dict], statuses: str, messages: dict[str, list[str]]) -> Fragment:
        return cls(
            _csv_rows(es, statement_columns()),
            _item_lines(es),
            ",".join(to_json(e)[:-1] for e in es),
            statuses,
            canonical_json(messages),
        )


# The files are made as a stream of pieces, so that a city's files (hundreds of MB at province
# scale) are never held in memory whole.


def items_csv(fragments: Iterable[Fragment]) -> Iterator[str]:
    yield _csv_head(item_columns())
    yield from (f.items for f in fragments)


def _json_head(data: Dataset, **extra) -> str:
    """{as_of, format_version, …extra, "statements": [ with sorted keys, up to the first one."""
    head = to_json({"as_of": data.as_of.isoformat(), "format_version": FORMAT.version, **extra})
    return f'{head[:-2]},"statements":['


def statements_json(data: Dataset, fragments: Iterable[Fragment], **extra) -> Iterator[str]:
    """The document {as_of, format_version, …extra, statements: […]} with sorted keys, made by
    joining fragments (the same bytes json.dumps would give for the whole)."""
    yield _json_head(data, **extra)
    members = (f.json for f in fragments if f.json)
    for k, member in enumerate(members):
        yield ("," if k else "") + member
    yield "]}\n"


def city_layout(data: Dataset) -> dict[str, tuple[str, str, str]]:
    """statements.csv, items.csv, statuses.csv and statements.json of the whole city: each
    file's head, separator and tail, as joined.write makes them from the fragments (the same
    bytes as the whole written at once)."""
    return {
        "statements.csv": (_csv_head(statement_columns()), "", ""),
        "items.csv": (_csv_head(item_columns()), "", ""),
        "statuses.csv": (_csv_head(STATUS_COLUMNS), "", ""),
        "statements.json": (_json_head(data), ",", "]}\n"),
    }


def city_parts(f: Fragment) -> dict[str, str]:
    """A community's pieces of those files."""
    names = ("statements.csv", "items.csv", "statuses.csv", "statements.json")
    return dict(zip(names, (f.statements, f.items, f.statuses, f.json), strict=True))


def community_facts(data: Dataset, c: Community) -> dict:
    return {
        "id": c.id,
        "name": c.name,
        "district": c.district,
        "district_name": data.districts[c.district].full_name,
        "street": c.street,
        "address": c.address,
        "company": c.company,
        "company_code": c.company_code,
        "committee": c.committee,
        "account_type": c.account_type,
        "account_bank": c.account_bank,
        "account_last4": c.account_no,
        "demonstration": c.demonstration,
        "former_ids": list(c.former_ids),
        "former_names": list(c.former_names),
    }
