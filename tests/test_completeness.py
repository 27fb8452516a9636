"""Is all the money there? Contracts, assets and peers against what statements report, as an
owner and the bureau see it: on the community page, the poster, the district page and the
list of 通报 candidates."""

from __future__ import annotations

import csv
import html
import io
import pickle
import re
import shutil
from datetime import date
from decimal import Decimal

import pytest

from conftest import build
from liangshai.assess.metrics import compute
from liangshai.quarter import Quarter
from liangshai.validate.completeness import Contract
from liangshai.validate.folder import validate_folder

Q1 = Quarter(2024, 1)  # 91 days


def contract(**kw) -> Contract:
    values = dict(
        id="HT-1",
        community_id="x",
        category="advertising",
        counterparty="某广告公司",
        asset="电梯广告位",
        start=date(2023, 1, 1),
        end=None,
        amount=Decimal("3000.00"),
        period="季",
        row=None,
    )
    return Contract(**{**values, **kw})


@pytest.mark.parametrize(
    "kw, due",
    [
        ({}, "3000.00"),
        ({"period": "月", "amount": Decimal("1000.00")}, "3000.00"),
        ({"period": "年", "amount": Decimal("12000.00")}, "3000.00"),
        ({"start": date(2024, 2, 15)}, "1516.48"),  # 46 of 91 days
        ({"end": date(2024, 1, 31)}, "1021.98"),  # 31 of 91 days
        ({"end": date(2023, 12, 31)}, "0"),
        ({"period": "一次性", "start": date(2024, 3, 1)}, "3000.00"),
        ({"period": "一次性", "start": date(2023, 3, 1)}, "0"),
    ],
)
def test_what_a_contract_brings_in_a_quarter(kw, due):
    assert contract(**kw).due(Q1) == Decimal(due)


def _rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write(path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _text(path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_an_under_reported_contract_shows_on_page_poster_and_district(sample_copy, tmp_path):
    """The bar: a contract for a community's advertising worth more than it reported."""
    data = tmp_path / "data"
    shutil.copytree(sample_copy, data)
    quiet = {r["community_id"] for r in _rows(data / "scenarios.csv")}
    latest = sorted(p.name for p in (data / "statements").iterdir())[-1]
    items = _rows(data / "statements" / latest / "items.csv")
    line = next(
        i
        for i in items
        if i["category"] == "advertising" and i["community_id"] not in quiet and i["contract"]
    )
    cid, reported = line["community_id"], Decimal(line["amount"])
    # the contract the line is reported under is worth 5,000 元 more than was reported
    contracts = _rows(data / "ledgers" / "contracts.csv")
    signed = next(k for k in contracts if k["id"] == line["contract"])
    due = reported + Decimal("5000.00")
    signed.update(amount=f"{due:.2f}", period="季", end="")
    _write(data / "ledgers" / "contracts.csv", contracts)

    found = validate_folder(data).report.flatten()
    assert any(code == "contract-short" for *_, code in found)
    site = tmp_path / "publish"
    assert build(data, site) == 0
    page = _text(site / "c" / cid / "index.html")
    want = f"应收 {due:,.2f} 元，公示表只报了 {reported:,.2f} 元，少了 5,000.00 元"
    assert want in page and "合同收入少报" in page
    district = next(r["district"] for r in _rows(data / "communities.csv") if r["id"] == cid)
    counted = re.search(r"合同收入少报\s+(\d+)\s+个", _text(site / "d" / district / "index.html"))
    assert counted and int(counted.group(1)) >= 1
    watch = _text(site / "watch" / latest / "index.html")
    assert "合同收入少报" in watch.split(district_name(data, district), 1)[1]

    from liangshai.assess.metrics import compute
    from liangshai.site.posters import poster_data
    from liangshai.site.views import community_view

    dataset = validate_folder(data)
    view = community_view(dataset, compute(dataset), dataset.communities[cid])
    flags = poster_data(view, "https://example/", draft=False)["flags"]
    assert any(want in f for f in flags), flags


def district_name(data, slug: str) -> str:
    text = (data / "districts.yaml").read_text(encoding="utf-8")
    block = text.split(f"slug: {slug}", 1)[1]
    return re.search(r"full_name: (\S+)", block).group(1)


def test_owners_see_their_share_and_the_whole_year(sample_site, sample_copy):
    registry = {r["id"]: r for r in _rows(sample_copy / "communities.csv")}
    assert all(r["households"] for r in registry.values())
    for cid in registry:
        page = _text(sample_site / "c" / cid / "index.html")
        latest = re.search(r"(\d{4}年第.季度)：", page)
        if latest is None or "公示表（" not in page:
            continue
        if "每户约" not in page:  # only a quarter without figures (未公示、数据有误) has none
            assert "仍未公示" in page or "数据有误" in page, cid
            continue
        assert f"（按 {registry[cid]['households']} 户计）" in page
    # the sample's 2024 has four quarters for every community active all year
    page = _text(sample_site / "c" / next(iter(registry)) / "index.html")
    assert "全年合计" in page and "2024 年" in page and "相符：年初结余" in page
    assert "本季度收支（本期）" in page and "期末结余（累计" in page


def test_peers_below_the_district_median_are_a_question_not_a_flag(sample_site, sample_copy):
    planted = {r["community_id"] for r in _rows(sample_copy / "scenarios.csv")}
    low = {
        r["community_id"]
        for r in _rows(sample_copy / "scenarios.csv")
        if r["scenario"] == "parking_low"
    }
    data = validate_folder(sample_copy)
    latest = data.quarters[-1]
    asked = {p.community_id for p in data.report.warnings if p.code == "below-peers"}
    assert asked and asked <= low <= planted  # only the planted ones are asked about
    shown = [
        cid
        for cid in asked
        if any(p.code == "below-peers" for p in data.statement(cid, latest).problems)
    ]
    assert shown, "a planted community asked about in the latest quarter"
    page = _text(sample_site / "c" / shown[0] / "index.html")
    assert re.search(
        r"可以问问物业.*每个公共车位每月的停车费约 [\d.]+ 元，同区县 \d+ 个小区一般约", page, re.S
    )
    flags = page.split("需要注意", 1)[1].split("可以问问物业", 1)[0] if "需要注意" in page else ""
    assert "停车费" not in flags  # a question, not a red flag


def test_a_contracts_register_from_excel_with_one_bad_row_spoils_only_that_row(
    sample_copy, tmp_path
):
    """Saved by Excel or WPS: GBK, Chinese headers, a Chinese category name, another file
    name; one period mistyped. That row is named; no statement turns 数据有误 because of it."""
    from liangshai.schema import FORMAT

    data = tmp_path / "data"
    shutil.copytree(sample_copy, data)
    rows = _rows(data / "ledgers" / "contracts.csv")
    (data / "ledgers" / "contracts.csv").unlink()
    table = FORMAT.tables["contracts"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f.label for f in table.fields])
    for k, r in enumerate(rows):
        r = {**r, "category": "广告费" if r["category"] == "advertising" else r["category"]}
        r["period"] = "季度" if k == 0 else r["period"]
        w.writerow([r[f.name] for f in table.fields])
    (data / "ledgers" / "合同台账（终版）.csv").write_bytes(buf.getvalue().encode("gbk"))
    found = validate_folder(data)
    errors = [(p.code, p.file.rsplit("/", 1)[-1], p.row) for p in found.report.errors]
    assert errors == [("invalid-choice", "合同台账（终版）.csv", 2)]
    assert all(s.valid for s in found.statements.values())
    assert sum(len(v) for v in found.contracts.values()) == len(rows) - 1


def test_the_median_of_the_others_is_the_statistics_median():
    import random
    import statistics
    from decimal import Decimal

    from liangshai.validate.completeness import median_without

    rng = random.Random(7)
    for size in range(2, 40):
        values = [Decimal(rng.randint(0, 50)) / 7 for _ in range(size)]  # repeats included
        ordered = sorted(values)
        for k, value in enumerate(values):
            others = values[:k] + values[k + 1 :]
            assert median_without(ordered, value) == Decimal(statistics.median(others))


def test_cached_completeness_finds_what_a_fresh_run_finds_in_the_same_order(demo_200, tmp_path):
    """Each quarter's findings are kept in the cache; they come back exactly, and a changed
    contract or statement is checked again. Only the latest version of a quarter's findings
    is kept; another data folder's stay beside them."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    shutil.copytree(demo_200, data)
    validate_folder(shutil.copytree(demo_200, tmp_path / "other"), cache=cache)
    theirs = set((cache / "completeness").glob("*.pickle"))
    assert len(theirs) == 4  # one per quarter

    def kept():
        ours = set((cache / "completeness").glob("*.pickle")) - theirs
        assert len(ours) == 4 and theirs <= set((cache / "completeness").glob("*.pickle"))

    def same(a, b):
        assert [repr(p) for p in a.report.problems] == [repr(p) for p in b.report.problems]
        assert {k: s.problems for k, s in a.statements.items()} == {
            k: s.problems for k, s in b.statements.items()
        }

    fresh = validate_folder(data)
    found = {p.code for p in fresh.report.problems}
    assert {"contract-short", "below-peers", "asset-no-income"} <= found  # something to keep
    validate_folder(data, cache=cache)
    kept()
    assert len(list((cache / "completeness/statements").glob("*.pickle"))) == 4  # and its parts
    same(validate_folder(data, cache=cache), fresh)

    # a contract's amount doubled: every quarter it runs in is checked again
    path = data / "ledgers/contracts.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["amount"] = f"{Decimal(rows[0]['amount']) * 2:.2f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    changed = validate_folder(data)
    assert [repr(p) for p in changed.report.problems] != [repr(p) for p in fresh.report.problems]
    same(validate_folder(data, cache=cache), changed)
    kept()

    # the same statements under other file names: the findings name the new files
    latest = sorted((data / "statements").iterdir())[-1]
    for name in ("statements", "items"):
        (latest / f"{name}.csv").rename(latest / f"batch.{name}.csv")
    moved = validate_folder(data)
    assert any(p.file.endswith("batch.statements.csv") for p in moved.report.problems)
    same(validate_folder(data, cache=cache), moved)
    kept()


def test_a_quarter_checked_again_reads_only_the_statements_that_changed(
    demo_200, tmp_path, monkeypatch
):
    """After one statement is filed, its quarter's findings are made again: that statement
    is checked against its contracts and assets, the others get what was found for them last
    time, and the peers are compared anew. The same findings, in the same order, as a run
    with no cache; and the income of every other statement comes from the cache too."""
    from liangshai.demo.bench import change_one_statement
    from liangshai.validate import completeness

    data, cache = tmp_path / "data", tmp_path / "cache"
    shutil.copytree(demo_200, data)
    validate_folder(data, cache=cache)
    changed = change_one_statement(data, 3)
    fresh = validate_folder(data)

    checked, summed = [], []
    for name, log in (("_check_contracts", checked), ("income_by_category", summed)):
        real = getattr(completeness, name)
        monkeypatch.setattr(
            completeness, name, lambda *a, real=real, log=log: log.append(a) or real(*a)
        )
    again = validate_folder(data, cache=cache)
    assert [repr(p) for p in again.report.problems] == [repr(p) for p in fresh.report.problems]
    assert {k: s.problems for k, s in again.statements.items()} == {
        k: s.problems for k, s in fresh.statements.items()
    }
    assert [a[1].community_id for a in checked] == [changed]
    assert [a[0].community_id for a in summed] == [changed]

    # the record of the last version belongs to its contracts: change them, all are read
    path = data / "ledgers/contracts.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")  # one contract fewer
    checked.clear()
    fewer = validate_folder(data)
    every = len(checked)
    checked.clear()
    again = validate_folder(data, cache=cache)
    assert [repr(p) for p in again.report.problems] == [repr(p) for p in fewer.report.problems]
    assert len(checked) == every > 700

    # a record that is not ours (or cut short) is not used: the quarter is read whole
    change_one_statement(data, 4)
    quarter = sorted((data / "statements").iterdir())[-1].name
    last = cache / f"completeness/statements/{quarter}.pickle"
    common = pickle.loads(last.read_bytes())[0]  # the record as written, for a forged one
    for damage in (pickle.dumps((common, ["x"])), pickle.dumps([1, 2]), last.read_bytes()[:-5]):
        for found in (cache / "completeness").glob("*.pickle"):  # the quarters' findings
            found.unlink()
        last.write_bytes(damage)
        checked.clear()
        again = validate_folder(data, cache=cache)
        assert len([a for a in checked if a[1].quarter == Quarter.parse(quarter)]) > 100
        fresh = validate_folder(data)
        assert [repr(p) for p in again.report.problems] == [repr(p) for p in fresh.report.problems]


@pytest.mark.parametrize("which", ["sample_copy", "demo_200"])
def test_the_candidates_from_the_views_are_those_of_each_quarter(which, request):
    """The site lists each quarter's 通报 candidates from its community views' judgments;
    they are the ones candidates() finds from the data (as the monthly export does)."""
    from liangshai.assess.ledgers import LedgerIndex
    from liangshai.assess.watch import candidates, candidates_of
    from liangshai.site.views import all_views

    data = validate_folder(request.getfixturevalue(which))
    metrics = compute(data)
    views = all_views(data, metrics, LedgerIndex(data))
    found = candidates_of(views.values(), metrics.quarters)
    assert list(found) == metrics.quarters
    assert found == {q: candidates(data, metrics.statuses, q) for q in metrics.quarters}
    assert sum(len(x.flags) > 0 for q in found for x in found[q]) > 0
    assert sum(x.status.value == "missing" for q in found for x in found[q]) > 0
