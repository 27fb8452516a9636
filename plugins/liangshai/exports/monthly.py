"""The bureau's monthly export (双台账): ledgers and district metrics as of a month's end.

Districts send it by the 20th of each month. One .xlsx (a sheet per ledger plus the district
metrics, Chinese headers) and the same tables as CSV (UTF-8 with BOM, for Excel). Figures come
from metrics.compute, so they equal what the site shows for the same date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

import pandas as pd

from ..assess.ledgers import ledger_rows
from ..assess.metrics import CITY, compute
from ..assess.watch import candidates, counts, reason_labels
from ..model import Dataset
from ..schema import FORMAT
from .safe import append_row, neutral
from .xlsx import fit_to_page_width, save_workbook

LEDGERS = ("rectifications", "inspections", "complaints")
SHEETS = {
    **{name: FORMAT.label(f"tables.{name}") for name in LEDGERS},
    "metrics": "区县指标",
    "watch": "通报候选",
    "watch_counts": "通报候选统计",
    "left_out": "未列入",
}
DISTRICT, NAME = FORMAT.label("communities.district"), FORMAT.label("communities.name")
LEFT_OUT_COLUMNS = [
    "台账",
    "文件",
    "行",
    "编号",
    FORMAT.label("statements.community_id"),
    "未列入的原因",
]
METRIC_COLUMNS = [
    DISTRICT,
    FORMAT.label("statements.quarter"),
    "指标",
    "分子",
    "分母",
    "比率",
    "目标",
    "统计截至",
]


def month_end(month: str) -> date:
    """'2024-06' → 2024-06-30; ValueError for anything else."""
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, calendar.monthrange(year, mon)[1])


def ledger_frame(data: Dataset, name: str, end: date) -> pd.DataFrame:
    """A ledger's rows known by `end`, with their state on that day and Chinese headers."""
    table = FORMAT.tables[name]
    rows = []
    for r in ledger_rows(data, name):
        if r[table.ledger.date] > end:
            continue
        c = data.communities.get(r["community_id"])
        row = {f.label: r.get(f.name) for f in table.fields}
        row[NAME] = r["community_name"]
        row[DISTRICT] = data.districts[c.district].full_name if c else ""
        if "status" in r:  # the state on the month's last day, not today's
            closed = r.get("closed_on") is not None and r["closed_on"] <= end
            status = table.field("status")
            still_open = next(v for v in status.values if v != table.ledger.closed)
            row[status.label] = table.ledger.closed if closed else still_open
            row[table.field("closed_on").label] = r["closed_on"] if closed else None
            deadline = r.get("deadline")
            row["逾期"] = "是" if not closed and deadline and deadline < end else "否"
        rows.append(row)
    columns = [DISTRICT, NAME, *(f.label for f in table.fields)]
    if "status" in table.columns:
        columns.append("逾期")
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values([DISTRICT, columns[3]], kind="stable").reset_index(drop=True)


def left_out_frame(data: Dataset, end: date) -> pd.DataFrame:
    """Every ledger row the export does not list, and why: it has errors, or it was
    recorded after the month's end. Nothing is left out silently."""
    rows = []
    for name in LEDGERS:
        table = FORMAT.tables[name]
        field = table.ledger.date
        for r in data.ledgers.get(name, []):
            errors = [p.message for p in r.problems if p.severity == "error"]
            if errors:
                why = "有错误：" + "；".join(dict.fromkeys(errors))
            elif r[field] is not None and r[field] > end:
                why = f"{table.field(field).label} {r[field]} 在 {end} 之后"
            else:
                continue
            rows.append(
                dict(
                    zip(
                        LEFT_OUT_COLUMNS,
                        (table.label, r.file, r.row, r["id"], r["community_id"], why),
                        strict=True,
                    )
                )
            )
    return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS)


def watch_frames(data: Dataset, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 通报 candidates of the last quarter ended by `end` (as the data stood then), one
    row each; and their counts by reason, per district and per property company."""
    metrics = compute(data, as_of=end)
    reasons = reason_labels()
    found = candidates(data, metrics.statuses, metrics.quarters[-1]) if metrics.quarters else []
    company = FORMAT.label("communities.company")
    quarter = FORMAT.label("statements.quarter")
    columns = [DISTRICT, FORMAT.label("communities.id"), NAME, company, quarter, "原因"]
    rows = [
        (
            data.districts[x.community.district].full_name,
            x.community.id,
            x.community.name,
            x.community.company or "",
            str(x.quarter),
            "、".join(x.reasons),
        )
        for x in found
    ]
    groups: dict[tuple[str, str], list] = {}
    for x in found:
        groups.setdefault((DISTRICT, data.districts[x.community.district].full_name), []).append(x)
        groups.setdefault((company, x.community.company or "—"), []).append(x)
    tally = [(kind, name, *counts(members).values()) for (kind, name), members in groups.items()]
    tally.sort(key=lambda r: (r[0] != DISTRICT, r[1]))
    frame = pd.DataFrame(rows, columns=columns)
    return frame, pd.DataFrame(tally, columns=["分组", "区县或企业", *reasons.values()])


def metrics_frame(data: Dataset, end: date) -> pd.DataFrame:
    metrics = compute(data, as_of=end)
    rows = []
    names = {slug: d.full_name for slug, d in data.districts.items()} | {CITY: "全市"}
    for q in metrics.quarters:
        for key, name in names.items():
            for rate in metrics.get(key, q).values():
                rows.append(
                    (
                        name,
                        str(q),
                        rate.definition.label,
                        rate.numerator,
                        rate.denominator,
                        rate.percent,
                        f"{rate.definition.target:.0%}",
                        rate.as_of.isoformat(),
                    )
                )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def _xlsx_value(v):
    """A cell as Excel users need it: dates as dates, 87.5% as the number 0.875, a rate with
    nothing to count ("—") empty, so that the column sorts and sums as numbers."""
    if v is None or v == "—" or (not isinstance(v, str | date) and pd.isna(v)):
        return None
    if isinstance(v, str) and (m := _PERCENT.match(v)):
        return float(m.group(1)) / 100
    return v


def _format_sheet(ws) -> None:
    """Column widths from the content, number formats, frozen header, a filter, A4 wide."""
    for column in ws.iter_cols():
        width = max(_display_width(c.value) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(8, width + 2))
        for c in column[1:]:
            if isinstance(c.value, date):
                c.number_format = "yyyy-mm-dd"
            elif isinstance(c.value, float):
                c.number_format = "0.0%"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    fit_to_page_width(ws, ws.dimensions, repeat="1:1", landscape=True)


def _display_width(value) -> int:
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_report(data: Dataset, month: str, out: Path) -> tuple[list[Path], list[dict]]:
    """The export's files, and the ledger rows it does not list (with why)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    end = month_end(month)
    frames = {name: ledger_frame(data, name, end) for name in LEDGERS}
    frames["metrics"] = metrics_frame(data, end)
    frames["watch"], frames["watch_counts"] = watch_frames(data, end)
    frames["left_out"] = left_out_frame(data, end)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in frames.items():
        ws = wb.create_sheet(SHEETS[name])
        append_row(ws, frame.columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            append_row(ws, [_xlsx_value(v) for v in row])
        _format_sheet(ws)
        csv_path = out / f"{name}-{month}.csv"
        frame.map(neutral).to_csv(csv_path, index=False, encoding="utf-8-sig")
        paths.append(csv_path)
    xlsx = out / f"双台账-{month}.xlsx"
    save_workbook(wb, xlsx)
    return [xlsx, *paths], frames["left_out"].to_dict("records")
