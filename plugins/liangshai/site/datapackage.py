"""Open data as a Frictionless Data Package: publish/data/datapackage.json.

Every CSV of /data/ gets a Table Schema derived from format.yaml (types, enums, patterns,
primary and foreign keys), and the reference tables that make the published rates
recomputable are published beside the statements: the registry (without account numbers),
the districts, the ledgers (valid rows) and the status of every community in every quarter
(未公示 included).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from ..assess.ledgers import ledger_rows
from ..exports.safe import neutral
from ..load.layout import LEDGERS
from ..model import Dataset
from ..schema import FORMAT, Field
from .opendata import STATUS_COLUMNS, to_json

WITHHELD = {"communities": ("account_no",)}  # never published whole
_PATTERNS = {
    "id": r"^[a-z0-9][a-z0-9-]{2,40}$",
    "slug": r"^[a-z][a-z0-9-]{1,30}$",
    "quarter": r"^\d{4}Q[1-4]$",
    "credit_code": r"^[0-9A-HJ-NPQRTUWXY]{18}$",
}
_TYPES = {"date": "date", "amount": "number", "integer": "integer", "flag": "boolean"}


def _field_schema(f: Field, required: bool) -> dict:
    out = {"name": f.name, "title": f.label, "type": _TYPES.get(f.type, "string")}
    if f.description:
        out["description"] = f.description
    constraints: dict = {}
    if f.type in _PATTERNS:
        constraints["pattern"] = _PATTERNS[f.type]
    if f.type == "choice":
        constraints["enum"] = list(f.values)
    elif f.type == "section":
        constraints["enum"] = [s.code for s in FORMAT.sections]
    elif f.type == "category":
        constraints["enum"] = sorted({c.code for s in FORMAT.sections for c in s.categories})
    elif f.type == "email":
        out["format"] = "email"
    elif f.type == "flag":
        out.update(trueValues=["是"], falseValues=["否"])
    if required:
        constraints["required"] = True
    if constraints:
        out["constraints"] = constraints
    return out


def _published(table: str, enums: dict) -> list[dict]:
    """The columns the open data adds to a table (format.yaml, `published`)."""
    out = []
    for f in FORMAT.published[table]:
        schema = _field_schema(f, required=False)
        if (table, f.name) in enums:
            schema["constraints"] = {"enum": enums[(table, f.name)]}
        out.append(schema)
    return out


def _table_fields(table: str, required: bool) -> list[dict]:
    return [
        _field_schema(f, required and f.required)
        for f in FORMAT.tables[table].fields
        if f.name not in WITHHELD.get(table, ())
    ]


def _foreign_key(table: str = "communities", fields=("community_id",), ref=("id",)) -> dict:
    """A foreign key: by default, a row's community_id names a community of the registry."""
    return {"fields": list(fields), "reference": {"resource": table, "fields": list(ref)}}


def resources() -> list[dict]:
    """The package's resources, in the order /data/ lists them."""
    key = ["community_id", "quarter"]
    status_labels = [v["label"] for v in FORMAT.statuses.values()]
    enums = {
        ("statements", "status"): status_labels,
        ("statuses", "status"): list(FORMAT.statuses),
        ("statuses", "status_label"): status_labels,
    }
    out = [
        {
            "name": "statements",
            "path": "statements.csv",
            "title": "公示表（每个小区每个季度一行）",
            "schema": {
                "fields": [
                    *_table_fields("statements", required=False),
                    *_published("statements", enums),
                ],
                "primaryKey": key,
                "foreignKeys": [_foreign_key()],
            },
        },
        {
            "name": "items",
            "path": "items.csv",
            "title": "收支明细（只含有效公示表）",
            "schema": {
                "fields": [*_table_fields("items", required=False), *_published("items", enums)],
                "foreignKeys": [
                    {"fields": key, "reference": {"resource": "statements", "fields": key}}
                ],
            },
        },
        {
            "name": "statuses",
            "path": "statuses.csv",
            "title": "每个小区每个季度的公示状态（含未公示），可据此重算公示率",
            "schema": {
                "fields": [
                    _field_schema(FORMAT.tables["statements"].field("community_id"), True),
                    _field_schema(FORMAT.tables["statements"].field("quarter"), True),
                    *_published("statuses", enums),
                    _field_schema(FORMAT.tables["statements"].field("published_on"), False),
                ],
                "primaryKey": key,
                "foreignKeys": [_foreign_key()],
            },
        },
        {
            "name": "communities",
            "path": "communities.csv",
            "title": "小区名录（不含专户账号）",
            "schema": {
                "fields": _table_fields("communities", required=True),
                "primaryKey": ["id"],
                "foreignKeys": [_foreign_key("districts", ("district",), ("slug",))],
            },
        },
        {
            "name": "districts",
            "path": "districts.csv",
            "title": FORMAT.label("tables.districts"),
            "schema": {"fields": _table_fields("districts", required=True), "primaryKey": ["slug"]},
        },
    ]
    for name in LEDGERS:  # every ledger of the format, in its order
        table = FORMAT.tables[name]
        schema = {"fields": _table_fields(name, required=True), "foreignKeys": [_foreign_key()]}
        if "id" in table.key:
            schema["primaryKey"] = ["id"]
        out.append({"name": name, "path": f"{name}.csv", "title": table.label, "schema": schema})
    for r in out:
        r.update(profile="tabular-data-resource", format="csv", mediatype="text/csv")
        r.update(encoding="utf-8-sig", dialect={"delimiter": ",", "lineTerminator": "\r\n"})
    return out


def descriptor(data: Dataset) -> dict:
    license_text = data.settings.get("data_license", "")
    return {
        "profile": "tabular-data-package",
        "name": "liangshai-public-income",
        "title": f"{data.settings['city']}住宅小区公共收益公示（统一格式 第 {FORMAT.version} 版）",
        "description": f"数据截至 {data.as_of.isoformat()}。" + (license_text or ""),
        "version": f"{FORMAT.version}.0",
        "created": f"{data.as_of.isoformat()}T00:00:00+08:00",  # the declared "as of"
        "resources": resources(),
    }


# ----------------------------------------------------------------------------- tables


def _cell(value) -> str:
    if value.__class__ is str:  # most cells, first
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ";".join(value)
    return str(value)


def _csv_text(lines) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    return buf.getvalue()


def csv_rows(columns, rows) -> str:
    """Rows of a table (dicts) as CSV lines, without the table's head."""
    return _csv_text([neutral(_cell(r.get(c))) for c in columns] for r in rows)


def csv_table(columns, rows) -> str:
    return "\ufeff" + _csv_text([columns]) + csv_rows(columns, rows)


def _columns(table: str) -> list[str]:
    withheld = WITHHELD.get(table, ())
    return [f.name for f in FORMAT.tables[table].fields if f.name not in withheld]


# The reference tables, by file name (statements, items and statuses are written by
# opendata.py from the stored fragments).
REFERENCE = ("communities.csv", "districts.csv", *(f"{n}.csv" for n in LEDGERS), "datapackage.json")


def tables(data: Dataset) -> dict[str, str]:
    """The reference tables (REFERENCE) as CSV text, by file name: made from the registry,
    the settings and the ledgers' valid rows alone (site.units.Units.of_ledgers)."""
    communities = [{**vars(c), "district": c.district} for _, c in sorted(data.communities.items())]
    out = {
        "communities.csv": csv_table(_columns("communities"), communities),
        "districts.csv": csv_table(
            _columns("districts"), [vars(d) for d in data.districts.values()]
        ),
    }
    for name in LEDGERS:
        rows = ledger_rows(data, name) if name != "corrections" else _valid(data, name)
        out[f"{name}.csv"] = csv_table(_columns(name), rows)
    out["datapackage.json"] = to_json(descriptor(data))
    return out


def _valid(data: Dataset, name: str) -> list[dict]:
    return [r.values for r in data.valid_rows(name)]


def status_lines(view) -> str:
    """A community's rows of statuses.csv (each quarter it was active in, 未公示 included),
    as CSV lines: kept with its unit between builds, joined in community order."""
    rows = []
    for qv in reversed(view.quarters):  # oldest first
        s, status = qv.statement, qv.status
        published = s.published_on if s is not None and s.valid else None
        values = (view.community.id, str(qv.quarter), status.value, status.label, qv.quarter.due)
        rows.append(dict(zip(STATUS_COLUMNS, (*values, published), strict=True)))
    return csv_rows(STATUS_COLUMNS, rows)
