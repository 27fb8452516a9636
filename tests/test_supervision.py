"""Supervision and trust: ledgers on pages, one source for every figure, companies, sealing
and corrections, and the monthly export."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from conftest import ROOT, build, seal, share_a_code
from liangshai.assess.metrics import CITY, compute
from liangshai.exports.monthly import write_report
from liangshai.quarter import Quarter

Q1, Q2 = Quarter(2024, 1), Quarter(2024, 2)


def page(site, path):
    return (site / path).read_text(encoding="utf-8")


@pytest.fixture
def site(folder, tmp_path):
    def make(**kw):
        out = tmp_path / "publish"
        code = build(folder.root, out, cache=tmp_path / "cache", **kw)
        return code, out

    return make


def test_ledgers_on_community_district_and_city_pages(folder, site):
    folder.edit(
        "ledgers/rectifications.csv",
        lambda rows: rows.append(
            dict(
                rows[0],
                id="ZG-2024-0002",
                problem_type="占用避难层",
                description="避难层堆放杂物",
                found_on="2024-07-01",
                deadline="2024-07-31",
                measure="",
                status="整改中",
                closed_on="",
                credit_deduction="3",
            )
        ),
    )
    code, out = site()
    assert code == 0
    community = page(out, "c/rongyin-huayuan/index.html")
    assert "避难层堆放杂物" in community and "已超过整改期限" in community
    assert "停车费去向不明" in page(out, "c/minjiang-xincun/index.html")
    district = page(out, "d/gulou/index.html")
    assert (
        "共 2 项：已销号 1 项，整改中 1 项，其中" in district and "1 项已超过整改期限" in district
    )
    assert "信用扣分合计 3 分" in district and "逾期未改" in district
    city = page(out, "ledgers/index.html")
    assert "避难层堆放杂物" in city and "停车费去向不明" in city and "瀛洲街道办事处" in city


def test_one_figure_everywhere(sample_copy, sample_site, tmp_path):
    from liangshai.validate.folder import validate_folder

    data = validate_folder(sample_copy)
    metrics = compute(data)
    latest = metrics.quarters[-1]
    city = metrics.get(CITY, latest)["disclosure"]
    frac = f"{city.numerator} / {city.denominator}"
    home = page(sample_site, "index.html")
    methods = page(sample_site, "methods/index.html")
    assert re.search(
        rf'rate-value">{re.escape(city.percent)}</p>\s*<p class="rate-frac">{frac}', home
    )
    assert (
        f'<strong class="rate-now">{city.percent}</strong>（<span class="rate-frac">{frac}'
        in methods
    )
    month = f"{data.as_of:%Y-%m}"
    write_report(data, month, tmp_path)
    with (tmp_path / f"metrics-{month}.csv").open(encoding="utf-8-sig") as f:
        rows = {(r["区县"], r["季度"], r["指标"]): r for r in csv.DictReader(f)}
    row = rows[("全市", str(latest), "季度公示率")]
    assert (int(row["分子"]), int(row["分母"]), row["比率"]) == (
        city.numerator,
        city.denominator,
        city.percent,
    )
    gulou = metrics.get("gulou", latest)["inspection"]
    district = page(sample_site, "d/gulou/index.html")
    assert re.search(
        rf'#inspection">抽查核实率</a></p>\s*<p class="rate-value">'
        rf'{re.escape(gulou.percent)}</p>\s*<p class="rate-frac">'
        rf"{gulou.numerator} / {gulou.denominator}",
        district,
    )
    assert f"{gulou.percent}<br><small>{gulou.numerator}/{gulou.denominator}</small>" in home
    row = rows[("鼓楼区", str(latest), "抽查核实率")]
    assert (int(row["分子"]), int(row["分母"])) == (gulou.numerator, gulou.denominator)


def test_district_without_communities_shows_a_dash(folder, site):
    assert site()[0] == 0
    out = site()[1]
    mawei = page(out, "d/mawei/index.html")
    values = re.findall(r'<p class="rate-value">([^<]*)</p>', mawei)
    assert len(values) == 7 and set(values) <= {"—"}
    assert "0%" not in mawei and "100%" not in mawei.split('class="rates"')[1].split("</div>")[0]


def test_company_page(folder, site):
    folder.edit(
        "ledgers/rectifications.csv",
        lambda rows: rows[0].update(credit_deduction="5", case="case-occupied-ground-floor"),
    )
    assert site()[0] == 0
    out = site()[1]
    data = folder.validate()
    company = data.communities["rongyin-huayuan"].company_code
    html = page(out, f"company/{company}/index.html")
    assert "福州榕安物业服务有限公司" in html and company in html
    assert "榕荫花园" in html and "badge-on_time" in html
    assert "架空层被物业出租作仓库" in html and '信用扣分合计 <strong class="warn">5 分' in html
    assert 'href="../../column/case-occupied-ground-floor/"' in html
    assert f'href="../../company/{company}/"' in page(out, "c/rongyin-huayuan/index.html")
    assert company in page(out, "company/index.html")


def test_sealed_statement_cannot_change_quietly(folder, site):
    lines, _ = seal(folder, Q1)
    assert len(lines) == 2 and seal(folder, Q1)[0] == []  # unchanged: nothing new to seal
    old_code = folder.validate().statement("rongyin-huayuan", Q1).verification_code

    def more_parking(rows):
        rows[0]["amount"] = "10200.00"

    folder.edit("statements/2024Q1/items.csv", more_parking)
    for name in ("closing_balance", "account_balance"):
        folder.edit(
            "statements/2024Q1/statements.csv", lambda rows, n=name: rows[0].update({n: "8100.00"})
        )
    folder.edit(
        "statements/2024Q2/statements.csv",
        lambda rows: rows[0].update(
            opening_balance="8100.00", closing_balance="18000.00", account_balance="18000.00"
        ),
    )
    code, out = site()
    assert code == 1 and not out.exists()
    data = folder.validate()
    (problem,) = [p for p in data.report.problems if p.code == "sealed-changed"]
    assert (problem.community_id, problem.quarter) == ("rongyin-huayuan", "2024Q1")
    assert "本期结余、专户余额、收入合计、明细：地面停车费" in problem.message
    assert seal(folder, Q1)[1]  # and it cannot be sealed over either

    folder.write(
        "ledgers/corrections.csv",
        "community_id,quarter,corrected_on,reason\n"
        "rongyin-huayuan,2024Q1,2024-08-05,停车费少计 200 元\n",
    )
    code, out = site()
    assert code == 0
    html = page(out, "c/rongyin-huayuan/index.html")
    assert "更正说明（2024年8月5日）" in html and "停车费少计 200 元" in html
    assert re.search(
        r'本期结余</th><td class="num" data-label="原公示">7,900.00</td>'
        r'<td class="num" data-label="更正后">8,100.00',
        html,
    )
    assert re.search(
        r'明细：地面停车费</th><td class="num" data-label="原公示">10,000.00</td>'
        r'<td class="num" data-label="更正后">10,200.00',
        html,
    )
    new_code = folder.validate().statement("rongyin-huayuan", Q1).verification_code
    assert new_code != old_code and f"<code>{old_code}</code>" in html and new_code in html
    feed = page(out, "c/rongyin-huayuan/feed.xml")
    assert "更正：2024年第一季度公示表" in feed and "停车费少计 200 元" in feed
    index = json.loads(page(out, "verify.json"))
    assert index[old_code] == ["rongyin-huayuan", "2024Q1", False]
    assert index[new_code] == ["rongyin-huayuan", "2024Q1", True]
    assert "核验码" in page(out, "verify/index.html")
    lines, refused = seal(folder, Q1, on=date(2024, 8, 6))  # the corrected version is sealed
    assert len(lines) == 1 and not refused
    data = folder.validate()
    assert [c.new_code for c in data.statement("rongyin-huayuan", Q1).corrections] == [new_code]


def test_a_code_two_statements_share_leads_to_both(folder, site, monkeypatch, tmp_path):
    """verify.json gives a code one statement (as it always has); the verify page's lookup
    (verify/codes/<first two digits>.json, all 256 of them) gives every statement printed
    with it, in community order, so that the owner of either finds their own."""

    def shards(out):
        files = sorted((out / "verify/codes").iterdir())
        assert [f.name for f in files] == [f"{k:02X}.json" for k in range(256)]
        return {c: v for f in files for c, v in json.loads(f.read_text(encoding="utf-8")).items()}

    code, out = site()
    assert code == 0
    index = json.loads(page(out, "verify.json"))
    assert shards(out) == {c: [v] for c, v in index.items()}  # no code shared: the same
    shared = share_a_code(folder, monkeypatch)
    out = tmp_path / "shared"  # the code is not an input: a site of its own
    assert build(folder.root, out, cache=tmp_path / "shared-cache") == 0
    both = [["minjiang-xincun", "2024Q2", True], ["rongyin-huayuan", "2024Q1", True]]
    lookup = shards(out)
    assert lookup[shared] == both
    assert json.loads(page(out, f"verify/codes/{shared[:2]}.json"))[shared] == both
    index = json.loads(page(out, "verify.json"))
    assert index[shared] == both[1] and len(index) == len(lookup) == 4 - 1  # 4 statements
    for path in ("c/minjiang-xincun/index.html", "c/rongyin-huayuan/index.html"):
        assert shared in page(out, path)


def test_deleting_a_sealed_statement_fails_the_build(folder, site):
    seal(folder, Q2)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop())
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(5, None)))
    assert site()[0] == 1


def test_a_tampered_seal_file_is_refused(folder):
    seal(folder, Q1)
    path = folder.path("seals/2024Q1.jsonl")
    path.write_text(
        path.read_text(encoding="utf-8").replace("7900.00", "7000.00", 1), encoding="utf-8"
    )
    problems = [p for p in folder.validate().report.problems if p.code == "seal-damaged"]
    assert problems and "指纹不符" in problems[0].message


def test_a_seal_line_with_half_a_character_is_refused(folder):
    # "\ud800" is valid JSON but no UTF-8 text: the line cannot be fingerprinted.
    seal(folder, Q1)
    path = folder.path("seals/2024Q1.jsonl")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"prepared_by":"', '"prepared_by":"\\ud800', 1), encoding="utf-8")
    problems = [p for p in folder.validate().report.problems if p.code == "seal-damaged"]
    assert problems and "封存记录无法读取" in problems[0].message


def test_invoke_seal(folder):
    def run(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "invoke",
                "seal",
                *args,
                "--data",
                str(folder.root),
                "--on",
                "2024-08-01",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    first = run("2024Q1")
    assert first.returncode == 0 and "新增 2 份" in first.stdout
    assert "新增 0 份" in run("2024Q1").stdout
    folder.edit("statements/2024Q1/statements.csv", lambda rows: rows[1].update(note="改了备注"))
    refused = run("2024Q1")
    assert (
        refused.returncode == 1
        and "拒绝封存" in refused.stderr
        and "minjiang-xincun" in refused.stderr
    )


def test_monthly_report(sample_copy, tmp_path):
    from liangshai.validate.folder import validate_folder

    data = validate_folder(sample_copy)
    paths, left_out = write_report(data, "2024-12", tmp_path)
    wb = load_workbook(paths[0])
    assert wb.sheetnames == [
        "整改台账",
        "抽查核实",
        "投诉线索",
        "区县指标",
        "通报候选",
        "通报候选统计",
        "未列入",
    ]
    # every ledger row is in the export or named in 未列入 with why
    listed = sum(wb[s].max_row - 1 for s in ("整改台账", "抽查核实", "投诉线索"))
    total = sum(len(data.ledgers[n]) for n in ("rectifications", "inspections", "complaints"))
    assert listed + len(left_out) == total and wb["未列入"].max_row - 1 == len(left_out)
    assert left_out and all("2024-12-31 之后" in r["未列入的原因"] for r in left_out)
    assert [c.value for c in wb["整改台账"][1]][:4] == ["区县", "小区名称", "台账编号", "小区编号"]
    for row in wb["整改台账"].iter_rows(min_row=2, values_only=True):
        header = [c.value for c in wb["整改台账"][1]]
        record = dict(zip(header, row, strict=True))
        assert record["发现日期"] <= datetime(2024, 12, 31)  # real dates, not text
        if record["状态"] == "已销号":
            assert record["销号日期"] and record["销号日期"] <= datetime(2024, 12, 31)
    for ws in wb:  # what a bureau clerk needs: widths, a filter, the header kept in view
        assert ws.auto_filter.ref and ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c].width for c in "ABC")
    rates = wb["区县指标"]
    header = [c.value for c in rates[1]]
    ratio = [r[header.index("比率")] for r in rates.iter_rows(min_row=2) if r[0].value]
    numbers = [c for c in ratio if c.value is not None]
    assert numbers and all(c.data_type == "n" and c.number_format == "0.0%" for c in numbers)
    later = [
        r
        for r in data.ledgers["rectifications"]
        if r["found_on"] <= date(2024, 12, 31)
        and r["closed_on"]
        and r["closed_on"] > date(2024, 12, 31)
    ]
    for r in later:  # closed in 2025: still open at the end of December
        with (tmp_path / "rectifications-2024-12.csv").open(encoding="utf-8-sig") as f:
            (line,) = [x for x in csv.DictReader(f) if x["台账编号"] == r["id"]]
        assert line["状态"] == "整改中"
    with (tmp_path / "metrics-2024-12.csv").open(encoding="utf-8-sig") as f:
        quarters = {x["季度"] for x in csv.DictReader(f)}
    assert quarters == {"2024Q1", "2024Q2", "2024Q3"}  # the quarters over by 31 December
    run = subprocess.run(
        [sys.executable, "-m", "invoke", "report", "--month", "2024-13"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "2024-06" in run.stderr


def test_closing_a_complaint_needs_an_outcome(folder):
    folder.edit("ledgers/complaints.csv", lambda rows: rows[0].update(outcome=""))
    found = folder.validate().report.flatten()
    assert (folder.name("ledgers/complaints.csv"), 2, "outcome", "closed-without-measure") in found


def test_sample_shows_its_correction(sample_copy, sample_site):
    with (sample_copy / "scenarios.csv").open(encoding="utf-8") as f:
        (row,) = [r for r in csv.DictReader(f) if r["scenario"] == "corrected"]
    html = page(sample_site, f"c/{row['community_id']}/index.html")
    assert "更正说明" in html and "原公示" in html and "更正后" in html


def test_each_code_leads_to_every_statement_printed_with_it():
    """verify.json's rule (a code → the last statement whose current code it is, else the
    first it was printed for) and the lookup's (→ every statement, each once, current if
    it is its current code), over codes shared by chance and corrections' old codes."""
    from types import SimpleNamespace as NS

    from liangshai.site import codes

    def statement(cid, q, code, old=()):
        fixes = [NS(old_code=c) for c in old]
        return NS(valid=True, quarter=q, verification_code=code, corrections=fixes)

    rows = {
        ("a", Q1): statement("a", Q1, "AAAA-0001", old=["OLD0-0001"]),
        ("a", Q2): statement("a", Q2, "SAME-0001", old=["SAME-0001"]),  # corrected back
        ("b", Q1): statement("b", Q1, "OLD0-0001"),  # a's old code is b's current one
        ("b", Q2): statement("b", Q2, "AAAA-0001"),  # a's current code, by chance
        ("c", Q1): statement("c", Q1, "OLD0-0001", old=["SAME-0001"]),
    }
    of = lambda cid: [s for (c, _), s in rows.items() if c == cid]  # noqa: E731
    data = NS(statements=rows, statements_of=of)
    index, shared = codes.printed(data)
    assert index == {
        "OLD0-0001": ["c", "2024Q1", True],
        "AAAA-0001": ["b", "2024Q2", True],
        "SAME-0001": ["a", "2024Q2", True],
    }
    assert shared == {
        "OLD0-0001": [["a", "2024Q1", False], ["b", "2024Q1", True], ["c", "2024Q1", True]],
        "AAAA-0001": [["a", "2024Q1", True], ["b", "2024Q2", True]],
        "SAME-0001": [["a", "2024Q2", True], ["c", "2024Q1", False]],
    }
