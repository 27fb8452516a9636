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
    # Completeness (SPEC §3.4): money that was never reported
    "under_reported": (0.04, ("contract-short",)),
    "lifts_no_ads": (0.03, ("asset-no-income",)),
    "parking_low": (0.03, ("below-peers",)),
    "unfiled": (0.04, ("contract-not-filed",)),
}
EVERY_QUARTER = {"no_account", "lifts_no_ads", "parking_low", "unfiled"}  # not one quarter
MIN_PEERS = 6  # a district with fewer communities compares nothing (metrics.yaml, peers)
LAST_QUARTER = Quarter(2025, 2)
AS_OF = date(2025, 8, 15)
CENT = Decimal("0.01")


@dataclass
class Plan:
    community: dict
    scenarios: dict[str, Quarter | None] = field(default_factory=dict)
    contracts: list[dict] = field(default_factory=list)  # rows of ledgers/contracts.csv


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
                "_opening": rng.uniform(0, 60000),
            }
            _base_data(c, rng)
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
    for plan in plans:
        make_contracts(plan, quarters[0], rng)
    return plans


def _base_data(c: dict, rng: random.Random) -> None:
    """Households, floor area, parking spaces, lifts (SPEC §3.4), and who manages."""
    households = rng.randint(200, 2400)
    company, committee, council = FORMAT.tables["communities"].field("manager").values
    roll = rng.random()
    manager = company
    if roll < 0.04:
        manager = council
    elif roll < 0.14 and c["committee"] == "已成立":
        manager = committee
    c.update(
        manager=manager,
        households=households,
        floor_area=round(households * rng.uniform(85, 115)),
        parking_spaces=round(households * rng.uniform(0.25, 0.6)),
        lifts=max(2, households // 45),
        ad_positions=0,
    )


# The income lines a community has under contract, decided once: (category, share of
# communities, counterparty, asset, quarterly amount range, per lift or for the whole).
_CONTRACTED = [
    ("advertising", 1.0, "福州楼宇传媒有限公司", "{lifts} 部电梯轿厢广告位", (420, 560), True),
    ("advertising", 0.6, "福州道闸广告有限公司", "出入口道闸广告位 2 个", (600, 2400), False),
    ("entry_fee", 0.7, "福州丰收智能快递柜有限公司", "智能快递柜场地", (300, 1500), False),
    ("base_station", 0.35, "中国铁塔股份有限公司福州市分公司", "屋面通信基站", (1500, 4500), False),
    ("rent", 0.3, "福州便民超市", "架空层（便民超市）", (2000, 9000), False),
]
_DESCRIPTIONS = {
    "福州楼宇传媒有限公司": "电梯广告（{lifts} 部）",
    "福州道闸广告有限公司": "道闸广告",
    "福州丰收智能快递柜有限公司": "智能快递柜进场费",
    "中国铁塔股份有限公司福州市分公司": "移动通信基站占地费",
    "福州便民超市": "架空层出租（便民超市）",
}


def make_contracts(plan: Plan, first: Quarter, rng: random.Random) -> None:
    """The community's contracts, most of its income under them; a planted community has
    no lift advertising contract (lifts_no_ads) or one contract not filed (unfiled)."""
    c = plan.community
    no_ads = "lifts_no_ads" in plan.scenarios
    for k, (category, share, counterparty, asset, (low, high), per_lift) in enumerate(
        _CONTRACTED, start=1
    ):
        if rng.random() >= share or (category == "advertising" and no_ads):
            continue
        amount = rng.uniform(low, high) * (c["lifts"] if per_lift else 1)
        start = first.start - timedelta(days=rng.randint(30, 700))
        plan.contracts.append(
            {
                "id": f"{c['id']}-ht{k}",
                "community_id": c["id"],
                "category": category,
                "counterparty": counterparty,
                "asset": asset.format(**c),
                "start": start.isoformat(),
                "end": "",
                "amount": f"{money(amount):.2f}",
                "period": "季",
                "filed_ref": f"榕房备〔{start.year}〕{rng.randint(1, 99)}号",
                "note": "",
            }
        )
    if any(x["counterparty"] == "福州道闸广告有限公司" for x in plan.contracts):
        c["ad_positions"] = 2
    if "unfiled" in plan.scenarios and plan.contracts:
        plan.contracts[0]["filed_ref"] = ""


def _rename(c: dict, rng: random.Random) -> None:
    """Give a community a former id and name, as when a development is renamed."""
    c["former_ids"] = f"{c['district']}-{c['id']}"
    c["former_names"] = f"{rng.choice(REFERENCE['road_names'])}{c['name'][-2:]}"


def _plant(plans: list[Plan], quarters: list[Quarter], rng: random.Random) -> None:
    """Give a controlled share of communities one planted problem each (a low-parking one
    only where its district has peers enough to compare with)."""
    free = [i for i, p in enumerate(plans) if not p.community["active_from"]]  # active throughout
    rng.shuffle(free)
    sizes: dict[str, int] = {}
    for p in plans:
        sizes[p.community["district"]] = sizes.get(p.community["district"], 0) + 1
    for scenario, (share, _) in SCENARIOS.items():
        count = max(1, round(share * len(plans))) if len(plans) >= 20 else 0
        eligible = [
            i
            for i in free
            if scenario != "parking_low" or sizes[plans[i].community["district"]] > MIN_PEERS
        ]
        for i in eligible[:count]:
            free.remove(i)
            plan = plans[i]
            # continuity needs a quarter before it; others may hit any quarter
            choices = quarters[1:] if scenario == "continuity" else quarters
            plan.scenarios[scenario] = None if scenario in EVERY_QUARTER else rng.choice(choices)
            if scenario == "no_account":
                plan.community.update(account_type="", account_bank="", account_no="")


def _income(plan: Plan, q: Quarter, rng: random.Random) -> list[tuple]:
    """(category, description, amount, contract id) of a quarter's income: the contracts'
    amounts as agreed (60 % of the first, when under-reported this quarter), parking by the
    spaces (a tenth of the usual when planted low), interest."""
    c = plan.community
    low = "parking_low" in plan.scenarios
    per_space = rng.uniform(3, 4.5) if low else rng.uniform(30, 45)
    lines = [("parking", "公共道路及地面停车位使用费", money(c["parking_spaces"] * per_space), "")]
    for k, contract in enumerate(plan.contracts):
        amount = Decimal(contract["amount"])
        if k == 0 and plan.scenarios.get("under_reported") == q:
            amount = money(float(amount) * 0.6)
        text = _DESCRIPTIONS[contract["counterparty"]].format(**c)
        lines.append((contract["category"], text, amount, contract["id"]))
    lines.append(("interest", "专户利息", money(rng.uniform(5, 80)), ""))
    return lines


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
    income = _income(plan, q, rng)
    total_in = sum(line[2] for line in income)
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
    items = [("income", cat, text, amt, "", contract) for cat, text, amt, contract in income]
    items += [("cost", cat, text, amt, "", "") for cat, text, amt in costs]
    items += [(*use, "") for use in uses]
    if deposited > 0 and c["account_type"]:
        items.append(("deposit", "special_account", "公共收益转存专户", deposited, "", ""))
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
            "contract": contract,
            "note": "",
        }
        for s, cat, text, amt, ref, contract in items
    ]
    return header, rows, closing
