"""What the demo data is made of: communities planned at random from Fuzhou's reference
figures (fuzhou.yaml), their statements quarter by quarter, ledgers, and the problems planted
on purpose (SCENARIOS).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

from ..load.cells import CREDIT_CHARS, credit_code_with_checksum
from ..quarter import Quarter
from ..schema import FORMAT

REFERENCE = yaml.safe_load(Path(__file__).with_name("fuzhou.yaml").read_text(encoding="utf-8"))
DISTRICT_WEIGHTS = {
    "gulou": 12,
    "taijiang": 10,
    "cangshan": 12,
    "jinan": 12,
    "mawei": 5,
    "changle": 6,
    "gaoxin": 5,
    "fuqing": 8,
    "minhou": 6,
    "lianjiang": 4,
    "luoyuan": 3,
    "yongtai": 3,
    "minqing": 3,
}
# Planted problems: share of communities, and the checks each should trigger.
SCENARIOS = {  # name: (share of communities, checks it triggers)
    "late": (0.08, ()),
    "missing": (0.06, ()),
    "over_cap": (0.05, ("cost-over-cap",)),
    "no_approval": (0.05, ("use-without-approval",)),
    "not_deposited": (0.05, ("not-deposited",)),
    "continuity": (0.03, ("continuity-broken",)),
    "no_account": (0.03, ("no-special-account", "not-deposited")),
}
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
}
LAST_QUARTER = Quarter(2025, 2)
AS_OF = date(2025, 8, 15)
CENT = Decimal("0.01")


@dataclass
class Plan:
    community: dict
    scenarios: dict[str, Quarter | None] = field(default_factory=dict)


def money(x: float) -> Decimal:
    return Decimal(str(round(x, 2))).quantize(CENT)


def _district_counts(n: int) -> dict[str, int]:
    total = sum(DISTRICT_WEIGHTS.values())
    counts = {
        d: max(1 if n >= len(DISTRICT_WEIGHTS) else 0, math.floor(n * w / total))
        for d, w in DISTRICT_WEIGHTS.items()
    }
    for d in sorted(DISTRICT_WEIGHTS, key=DISTRICT_WEIGHTS.get, reverse=True):
        if sum(counts.values()) >= n:
            break
        counts[d] += 1
    while sum(counts.values()) > n:  # only when n < 13
        d = max(counts, key=counts.get)
        counts[d] -= 1
    return counts


def make_communities(n: int, quarters: list[Quarter], rng: random.Random) -> list[Plan]:
    districts = {d["slug"]: d for d in REFERENCE["districts"]}
    companies, names = [], set()
    codes = [d["code"] for d in REFERENCE["districts"]]
    while len(companies) < max(3, n // 3):
        name = "福州{}{}物业服务有限公司".format(*rng.sample(REFERENCE["company_words"], 2))
        if name in names:
            name = name.replace("福州", f"福州{rng.choice(REFERENCE['company_words'])}")
            if name in names:
                continue
        names.add(name)
        body = "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
        companies.append((name, credit_code_with_checksum(f"91{rng.choice(codes)}{body}")))
    plans, used = [], set()
    for slug, count in _district_counts(n).items():
        d = districts[slug]
        demo_left = math.ceil(d["target"] * rng.uniform(0.6, 1.3))
        for _ in range(count):
            (p_cn, p_py), (s_cn, s_py) = (
                rng.choice(REFERENCE["name_prefixes"]),
                rng.choice(REFERENCE["name_suffixes"]),
            )
            base, k = f"{p_py}-{s_py}", 1
            cid = base
            while cid in used:
                k += 1
                cid = f"{base}-{k}"
            used.add(cid)
            name = f"{p_cn}{s_cn}" + (f"{k}期" if k > 1 else "")
            company, code = rng.choice(companies)
            committee = rng.choices(["已成立", "筹备中", "未成立"], [60, 15, 25])[0]
            account = "业主大会（业委会）专户" if committee == "已成立" else "专项维修资金专户"
            c = {
                "id": cid,
                "name": name,
                "district": slug,
                "street": rng.choice(d["streets"]),
                "address": f"{d['full_name']}{rng.choice(REFERENCE['road_names'])}"
                f"{rng.randint(1, 399)}号",
                "company": company,
                "company_code": code,
                "committee": committee,
                "account_type": account,
                "account_bank": rng.choice(REFERENCE["banks"]),
                "account_no": f"{rng.randint(6210, 6229)}****{rng.randint(1000, 9999)}",
                "demonstration": "是" if demo_left > 0 and rng.random() < 0.5 else "否",
                "active_from": "",
                "active_to": "",
                "former_ids": "",
                "former_names": "",
                "_households": rng.randint(200, 2400),
                "_opening": rng.uniform(0, 60000),
            }
            demo_left -= c["demonstration"] == "是"
            if rng.random() < 0.05 and len(quarters) > 2:
                c["active_from"] = str(rng.choice(quarters[1:]))
                c["_opening"] = 0
            if rng.random() < 0.03:
                _rename(c, rng)
            plans.append(Plan(c))
    if plans and not any(p.community["former_ids"] for p in plans):
        _rename(plans[len(plans) // 2].community, rng)  # always show one renamed community
    _plant(plans, quarters, rng)
    return plans


def _rename(c: dict, rng: random.Random) -> None:
    """Give a community a former id and name, as when a development is renamed."""
    c["former_ids"] = f"{c['district']}-{c['id']}"
    c["former_names"] = f"{rng.choice(REFERENCE['road_names'])}{c['name'][-2:]}"


def _plant(plans: list[Plan], quarters: list[Quarter], rng: random.Random) -> None:
    """Give a controlled share of communities one planted problem each."""
    order = [i for i, p in enumerate(plans) if not p.community["active_from"]]  # active throughout
    rng.shuffle(order)
    start = 0
    for scenario, (share, _) in SCENARIOS.items():
        count = max(1, round(share * len(plans))) if len(plans) >= 20 else 0
        for i in order[start : start + count]:
            plan = plans[i]
            # continuity needs a quarter before it; others may hit any quarter
            choices = quarters[1:] if scenario == "continuity" else quarters
            plan.scenarios[scenario] = None if scenario == "no_account" else rng.choice(choices)
            if scenario == "no_account":
                plan.community.update(account_type="", account_bank="", account_no="")
        start += count


def _income(rng, households):
    lifts = max(2, households // 45)
    lines = [("parking", "公共道路及地面停车位使用费", households * rng.uniform(6, 16))]
    lines.append(("advertising", f"电梯广告（{lifts} 部）", lifts * rng.uniform(420, 560)))
    if rng.random() < 0.6:
        lines.append(("advertising", "道闸广告", rng.uniform(600, 2400)))
    if rng.random() < 0.7:
        lines.append(("entry_fee", "智能快递柜进场费", rng.uniform(300, 1500)))
    if rng.random() < 0.3:
        lines.append(("entry_fee", "自助售水机进场费", rng.uniform(150, 600)))
    if rng.random() < 0.35:
        lines.append(("base_station", "移动通信基站占地费", rng.uniform(1500, 4500)))
    if rng.random() < 0.3:
        lines.append(("rent", "架空层出租（便民超市）", rng.uniform(2000, 9000)))
    lines.append(("interest", "专户利息", rng.uniform(5, 80)))
    return [(c, d, money(a)) for c, d, a in lines]


def _costs(rng, income, share):
    parts = [
        ("labor", "停车管理员工资分摊", 0.45),
        ("utilities", "广告灯箱及道闸电费", 0.1),
        ("tax", "增值税及附加", 0.2),
        ("management_fee", FORMAT.category("cost", "management_fee").label, 0.25),
    ]
    total = float(income) * share
    return [(c, d, money(total * w * rng.uniform(0.85, 1.0))) for c, d, w in parts]


_USES = [
    ("repair", "{n} 号楼外墙及屋面修缮"),
    ("repair", "小区路灯及监控更换"),
    ("offset_fees", "抵扣公共区域水电公摊"),
    ("committee_funds", "业委会工作经费"),
    ("audit", "年度公共收益审计费"),
    ("maintenance_fund", FORMAT.category("use", "maintenance_fund").label),
]


def statement_for(plan: Plan, q: Quarter, opening: Decimal, rng: random.Random):
    """One statement and its items as rows of the batch format; and the true closing balance."""
    c = plan.community
    income = _income(rng, c["_households"])
    total_in = sum(a for _, _, a in income)
    share = (
        rng.uniform(0.35, 0.5) if plan.scenarios.get("over_cap") == q else rng.uniform(0.12, 0.26)
    )
    costs = _costs(rng, total_in, share)
    total_cost = sum(a for _, _, a in costs)
    uses = []
    available = opening + total_in - total_cost
    unapproved = plan.scenarios.get("no_approval") == q
    if unapproved or (available > 5000 and rng.random() < 0.45):
        category, text = rng.choice(_USES)
        ref = "" if unapproved else f"业主大会决议〔{q.year}〕{rng.randint(1, 9)}号"
        amount = money(float(available) * rng.uniform(0.2, 0.6))
        uses.append(("use", category, text.format(n=rng.randint(1, 18)), amount, ref))
    total_use = sum(u[3] for u in uses)
    reported_opening = opening
    if plan.scenarios.get("continuity") == q:
        reported_opening = opening - money(rng.choice([500, 1000, 1200, 2000]))
    closing = reported_opening + total_in - total_cost - total_use
    account = closing if c["account_type"] else Decimal("0.00")
    if plan.scenarios.get("not_deposited") == q:
        account = closing - money(float(total_in - total_cost) * rng.uniform(0.3, 0.7))
    deposited = max(Decimal("0.00"), total_in - total_cost - total_use - (closing - account))
    late = plan.scenarios.get("late") == q
    published = (
        q.due + timedelta(days=rng.randint(3, 40))
        if late
        else q.due - timedelta(days=rng.randint(2, 25))
    )
    published = max(min(published, AS_OF), q.end + timedelta(days=1))
    header = {
        "community_id": c["id"],
        "quarter": str(q),
        "published_on": published.isoformat(),
        "prepared_by": c["company"] if c["committee"] != "已成立" else f"{c['name']}业主委员会",
        "opening_balance": f"{reported_opening:.2f}",
        "closing_balance": f"{closing:.2f}",
        "account_balance": f"{account:.2f}",
        "note": "",
    }
    items = [("income", cat, text, amt, "") for cat, text, amt in income]
    items += [("cost", cat, text, amt, "") for cat, text, amt in costs]
    items += uses
    if deposited > 0 and c["account_type"]:
        items.append(("deposit", "special_account", "公共收益转存专户", deposited, ""))
    day = q.end - timedelta(days=rng.randint(0, 20))
    rows = [
        {
            "community_id": c["id"],
            "quarter": str(q),
            "section": s,
            "category": cat,
            "description": text,
            "amount": f"{amt:.2f}",
            "date": day.isoformat(),
            "approval_ref": ref,
            "contract": "",
            "note": "",
        }
        for s, cat, text, amt, ref in items
    ]
    return header, rows, closing


def _ledgers(plans, rng):
    space = FORMAT.tables["rectifications"].field("problem_type").values
    rect, insp, comp = [], [], []
    for plan in plans:
        c = plan.community
        if rng.random() < 0.12:
            found = date(2024, 5, 1) + timedelta(days=rng.randint(0, 400))
            deadline = found + timedelta(days=rng.choice([30, 60, 90]))
            closed = deadline < AS_OF and rng.random() < 0.8
            closed_on = found + timedelta(days=rng.randint(7, (deadline - found).days))
            rect.append(
                {
                    "id": f"ZG-{found.year}-{len(rect) + 1:04d}",
                    "community_id": c["id"],
                    "problem_type": rng.choice(space[:9]),
                    "description": "排查发现公共空间被占用或用途改变",
                    "source": rng.choice(["自查", "抽查", "投诉", "12345"]),
                    "found_on": found.isoformat(),
                    "deadline": deadline.isoformat(),
                    "measure": "已清退并恢复原用途" if closed else "",
                    "responsible": c["company"],
                    "status": "已销号" if closed else "整改中",
                    "closed_on": closed_on.isoformat() if closed and closed_on <= AS_OF else "",
                }
            )
            if rect[-1]["status"] == "已销号" and not rect[-1]["closed_on"]:
                rect[-1].update(status="整改中", measure="")
            if rect[-1]["source"] in ("抽查", "投诉") and rng.random() < 0.5:
                rect[-1]["credit_deduction"] = str(rng.choice([2, 3, 5]))
                if not any(r.get("case") for r in rect) and rect[-1]["status"] == "已销号":
                    rect[-1]["case"] = "case-occupied-ground-floor"
        if rng.random() < 0.6:
            day = date(2024, 6, 1) + timedelta(days=rng.randint(0, 420))
            insp.append(
                {
                    "community_id": c["id"],
                    "date": day.isoformat(),
                    "unit": f"{c['street']}办事处",
                    "note": "",
                    "result": rng.choices(["合格", "基本合格", "不合格"], [70, 20, 10])[0],
                }
            )
        if rng.random() < 0.08:
            got = date(2024, 3, 1) + timedelta(days=rng.randint(0, 500))
            closed = rng.random() < 0.75
            closed_on = got + timedelta(days=rng.randint(3, 40))
            closed = closed and closed_on <= AS_OF
            comp.append(
                {
                    "id": f"TS-{got.year}-{len(comp) + 1:04d}",
                    "received_on": got.isoformat(),
                    "deadline": (got + timedelta(days=15)).isoformat(),
                    "channel": rng.choice(["投诉", "信访", "12345"]),
                    "community_id": c["id"],
                    "topic": rng.choice(
                        [
                            "停车费去向不明",
                            "电梯广告收入未公示",
                            "架空层被出租",
                            "公共收益未转存专户",
                        ]
                    ),
                    "status": "已销号" if closed else "办理中",
                    "closed_on": closed_on.isoformat() if closed else "",
                    "outcome": "已督促物业公司补充公示并向业主说明" if closed else "",
                }
            )
    return rect, insp, comp
