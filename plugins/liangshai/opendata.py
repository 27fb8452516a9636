"""Open data: all statements and items as CSV (UTF-8 with BOM, for Excel) and JSON.

The columns are the format's own, plus what a reader needs to use a row on its own
(community name, district, status, fingerprint). Invalid statements are listed with their
status and without figures: they are never published as if they were valid.
"""

from __future__ import annotations

import csv
import io
import json

from .metrics import Metrics
from .model import Community, Dataset, Statement
from .schema import FORMAT

STATEMENT_EXTRA = ["community_name", "district", "status", "verification_code", "fingerprint"]
ITEM_EXTRA = ["category_label"]


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


def to_csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def to_json(doc) -> str:
    # Compact separators keep the C encoder (json ignores it when indenting).
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def statements_csv(es: list[dict]) -> str:
    return to_csv(es, statement_columns())


def items_csv(es: list[dict]) -> str:
    items = []
    for e in es:
        for item in e.get("items", ()):
            category = FORMAT.category(item["section"], item["category"])
            items.append(
                {
                    **item,
                    "community_id": e["community_id"],
                    "quarter": e["quarter"],
                    "category_label": category.label if category else "",
                }
            )
    return to_csv(items, item_columns())


def statements_json(data: Dataset, es: list[dict], **extra) -> str:
    return to_json(
        {
            "format_version": FORMAT.version,
            "as_of": data.as_of.isoformat(),
            **extra,
            "statements": es,
        }
    )


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
