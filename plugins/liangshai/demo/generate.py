"""Deterministic synthetic data in the unified format, at any scale.

`invoke demo-data` writes a complete data folder: settings, districts, the community registry,
quarterly batch CSVs (and, with `mixed`, some YAML and Excel statements), ledgers, and
`scenarios.csv`, the list of problems that were planted on purpose. The shipped sample in data/
is made by this module; benchmarks and scale tests use it too.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from ..quarter import Quarter
from ..schema import FORMAT
from .ledgers import make_ledgers
from .plan import (
    AS_OF,
    LAST_QUARTER,
    REFERENCE,
    SCENARIOS,
    make_communities,
    money,
    statement_for,
)
from .write import write_csv, write_excel_statement, write_yaml_statement

SCENARIO_TEXT = {  # for data/README.md
    "corrected": (
        "a sealed figure corrected, with a correction record",
        "更正说明 with old and new figures; a new verification code",
    ),
    "late": ("published after the deadline", FORMAT.label("statuses.late")),
    "missing": ("no statement", FORMAT.label("statuses.missing")),
    "over_cap": ("costs over 30 % of income", "warning `cost-over-cap`, red flag"),
    "no_approval": (
        "a use without an owners' approval reference",
        "warning `use-without-approval`, red flag",
    ),
    "not_deposited": (
        "part of the balance not in the special account",
        "warning `not-deposited`, red flag",
    ),
    "continuity": (
        "opening balance ≠ last quarter's closing balance",
        "warning `continuity-broken`, red flag",
    ),
    "no_account": (
        "no special account registered, so no balance is in one",
        "warnings `no-special-account`, `not-deposited` every quarter, red flags",
    ),
    "under_reported": (
        "lift advertising reported at 60 % of what its contract brings in one quarter",
        "warning `contract-short` with both amounts, red flag 「合同收入少报」",
    ),
    "lifts_no_ads": (
        "lifts registered, no advertising contract and advertising income 0",
        "warning `asset-no-income` every quarter, red flag 「有资产却没有收入」",
    ),
    "parking_low": (
        "parking income per space a tenth of the district's other communities",
        "warning `below-peers` every quarter, a question for owners to ask (no red flag)",
    ),
    "unfiled": (
        "an advertising contract without its filing (报备) number",
        "warning `contract-not-filed` on the contracts register",
    ),
}


def settings_for(city_quarters: list[Quarter]) -> dict:
    return {
        "city": "福州市",
        "bureau": "福州市住房保障和房产管理局",
        "hotline": "12345",
        "as_of": AS_OF,
        "site_url": "https://liangshai.fuzhou.example",
        "campaign": {
            "title": "深化整治物业服务企业侵占业主公共收益、收入及分配不公开等问题",
            "targets": {"demonstration_total": 30},  # the rates' targets: metrics.yaml
            "schedule": [
                {"stage": "动员部署", "until": date(2024, 5, 10)},
                {"stage": "自查自纠", "until": date(2024, 5, 31)},
                {"stage": "交叉督导", "until": date(2024, 8, 31)},
                {"stage": "总结验收", "until": date(2024, 10, 31)},
            ],
        },
        "first_quarter": str(city_quarters[0]),
        # What a government site must show on every page; the numbers here are placeholders.
        "footer": {
            "sponsor": "福州市住房保障和房产管理局",
            "organizer": "福州市住房保障和房产管理局物业管理处",
            "site_code": "3501000000（示例）",
            "icp": "闽ICP备00000000号（示例）",
            "police": "闽公网安备 35010000000000号（示例）",
            "contact": "0591-00000000 · fgj@fuzhou.example",
            "report_error": "https://zfwzzc.www.gov.cn/",
        },
    }


def generate(
    out: Path, communities: int = 48, quarters: int = 6, seed: int = 2024, mixed: bool = False
) -> dict:
    """Write a data folder; returns counts. `mixed` also writes some YAML and Excel statements."""
    rng = random.Random(seed)
    qs = [LAST_QUARTER]
    while len(qs) < quarters:
        qs.insert(0, qs[0].prev())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = settings_for(qs)
    (out / "site.yaml").write_text(
        yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    districts = [
        {
            "slug": d["slug"],
            "name": d["name"],
            "full_name": d["full_name"],
            "bureau": f"{d['full_name']}住房和城乡建设局",
            "phone": f"0591-0000{i:04d}",
            "email": f"{d['slug']}@fuzhou.example",
            "address": f"{d['full_name']}人民政府行政服务中心",
            "demo_target": d["target"],
        }
        for i, d in enumerate(REFERENCE["districts"], start=1)
    ]
    (out / "districts.yaml").write_text(
        yaml.safe_dump(districts, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    plans = make_communities(communities, qs, rng)
    write_csv(out / "communities.csv", "communities", [p.community for p in plans])

    per_quarter = {q: ([], []) for q in qs}
    standalone = []
    for plan in plans:
        c = plan.community
        opening = money(c["_opening"])
        for q in qs:
            if c["active_from"] and q < Quarter.parse(c["active_from"]):
                continue
            header, items, closing = statement_for(plan, q, opening, rng)
            opening = closing
            if plan.scenarios.get("missing") == q:
                continue
            if mixed and q == qs[-1] and len(standalone) < 3 and not plan.scenarios:
                standalone.append((header, items))
                continue
            per_quarter[q][0].append(header)
            per_quarter[q][1].extend(items)
    for q, (headers, items) in per_quarter.items():
        folder = out / "statements" / str(q)
        write_csv(folder / "statements.csv", "statements", headers)
        write_csv(folder / "items.csv", "items", items)
    for k, (header, items) in enumerate(standalone):
        folder = out / "statements" / header["quarter"]
        if k == 0:
            write_excel_statement(folder / f"{header['community_id']}.xlsx", header, items)
        else:
            write_yaml_statement(folder / f"{header['community_id']}.yaml", header, items)

    rect, insp, comp = make_ledgers(plans, rng)
    ledgers = out / "ledgers"
    write_csv(ledgers / "rectifications.csv", "rectifications", rect)
    write_csv(ledgers / "inspections.csv", "inspections", insp)
    write_csv(ledgers / "complaints.csv", "complaints", comp)
    write_csv(ledgers / "contracts.csv", "contracts", [x for p in plans for x in p.contracts])
    write_csv(ledgers / "corrections.csv", "corrections", [])
    corrected = _seal_and_correct(out, qs, per_quarter, plans) if mixed else []
    planted = corrected + [
        {
            "community_id": p.community["id"],
            "scenario": name,
            "quarter": str(q) if q else "",
            "checks": " ".join(SCENARIOS[name][1]),
        }
        for p in plans
        for name, q in sorted(p.scenarios.items())
    ]
    with (out / "scenarios.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(
            f, fieldnames=["community_id", "scenario", "quarter", "checks"], lineterminator="\n"
        )
        w.writeheader()
        w.writerows(planted)
    return {
        "communities": len(plans),
        "quarters": len(qs),
        "planted": len(planted),
        "statements": sum(len(h) for h, _ in per_quarter.values()) + len(standalone),
    }


def _seal_and_correct(out: Path, qs, per_quarter, plans) -> list[dict]:
    """Seal every quarter (as the bureau does once statements are out), then correct one
    published figure with a correction record, so the sample shows a 更正说明."""
    from ..validate.folder import validate_folder
    from ..validate.seals import append_seals, seal_quarter

    data = validate_folder(out)
    for q in qs:
        append_seals(out, q, seal_quarter(data, q, AS_OF)[0])
    quiet = {p.community["id"] for p in plans if not p.scenarios}
    q = qs[-1]
    headers, items = per_quarter[q]
    header = next(h for h in headers if h["community_id"] in quiet)
    item = next(
        i
        for i in items
        if i["community_id"] == header["community_id"] and i["category"] == "advertising"
    )
    extra = Decimal("200.00")
    item["amount"] = f"{Decimal(item['amount']) + extra:.2f}"
    for name in ("closing_balance", "account_balance"):
        header[name] = f"{Decimal(header[name]) + extra:.2f}"
    folder = out / "statements" / str(q)
    write_csv(folder / "statements.csv", "statements", headers)
    write_csv(folder / "items.csv", "items", items)
    reason = f"漏记一笔电梯广告收入 {extra} 元，补记后相应调整本期结余和专户余额"
    write_csv(
        out / "ledgers" / "corrections.csv",
        "corrections",
        [
            {
                "community_id": header["community_id"],
                "quarter": str(q),
                "corrected_on": AS_OF.isoformat(),
                "reason": reason,
            }
        ],
    )
    return [
        {
            "community_id": header["community_id"],
            "scenario": "corrected",
            "quarter": str(q),
            "checks": "",
        }
    ]


def planted_table(planted: list[dict]) -> str:
    """The planted problems as a Markdown table, in scenario order."""
    order = list(SCENARIO_TEXT)
    lines = ["| community | quarter | planted problem | what the site shows |", "|---|---|---|---|"]
    for row in sorted(planted, key=lambda r: (order.index(r["scenario"]), r["community_id"])):
        what, shown = SCENARIO_TEXT[row["scenario"]]
        lines.append(f"| {row['community_id']} | {row['quarter'] or 'all'} | {what} | {shown} |")
    return "\n".join(lines)
