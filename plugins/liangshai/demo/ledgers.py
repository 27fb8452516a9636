"""The supervision ledgers of the demo data: rectifications found and closed, inspections,
complaints, each tied to a planned community."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ..schema import FORMAT
from .plan import AS_OF


def make_ledgers(plans: list, rng: random.Random):
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
