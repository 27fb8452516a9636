"""Synthetic data and the shipped sample."""

import csv
import filecmp
import json

from conftest import ROOT
from liangshai.assess.status import Status, status_of
from liangshai.demo.generate import generate, planted_table
from liangshai.demo.plan import SCENARIOS
from liangshai.validate.folder import validate_folder


def _planted(root):
    with (root / "scenarios.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sample_has_every_district_and_enough_data(sample_copy):
    data = validate_folder(sample_copy)
    assert len(data.districts) == 13
    assert {c.district for c in data.communities.values()} == set(data.districts)
    assert len(data.communities) >= 40 and len(data.quarters) >= 6
    assert {s.file.rsplit(".", 1)[1] for s in data.statements.values()} == {"csv", "yaml", "xlsx"}


def test_sample_warnings_are_exactly_the_planted_ones(sample_copy):
    """`invoke validate` on the sample: no errors, and warnings only where data/README says."""
    data = validate_folder(sample_copy)
    assert data.report.errors == []
    expected = set()
    for row in _planted(sample_copy):
        for code in row["checks"].split():
            expected.add((code, row["community_id"], row["quarter"]))
    found = {(p.code, p.community_id, p.quarter or "") for p in data.report.warnings}
    # a scenario of no one quarter (no special account, lifts without advertising, parking
    # far below peers) shows in the quarters it can: any of them counts
    found = {(c, cid, "" if (c, cid, "") in expected else q) for c, cid, q in found}
    assert found == expected
    for row in _planted(sample_copy):
        if row["scenario"] in ("late", "missing"):
            from liangshai.quarter import Quarter

            q = Quarter.parse(row["quarter"])
            status = status_of(data.statement(row["community_id"], q), q, data.as_of)
            assert status is {"late": Status.LATE, "missing": Status.MISSING}[row["scenario"]]


def test_sample_is_what_the_generator_makes(tmp_path):
    out = tmp_path / "data"
    generate(out, communities=48, quarters=6, seed=2024, mixed=True)
    for path in out.rglob("*"):
        if path.is_file():
            rel = path.relative_to(out)
            assert filecmp.cmp(path, ROOT / "data" / rel, shallow=False), f"{rel} differs"


def test_data_readme_lists_the_planted_problems():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert planted_table(_planted(ROOT / "data")) in readme


def test_deterministic_and_seeded(tmp_path):
    a, b, c = (tmp_path / n for n in "abc")
    generate(a, communities=60, quarters=3, seed=5)
    generate(b, communities=60, quarters=3, seed=5)
    generate(c, communities=60, quarters=3, seed=6)
    items = "statements/2025Q2/items.csv"
    assert (a / items).read_bytes() == (b / items).read_bytes()
    assert (a / items).read_bytes() != (c / items).read_bytes()


def test_scale_and_controlled_non_compliance(demo_200):
    data = validate_folder(demo_200)
    assert len(data.communities) == 200 and data.report.errors == []
    planted = _planted(demo_200)
    for name, (share, _) in SCENARIOS.items():
        assert sum(r["scenario"] == name for r in planted) == round(share * 200)
    amounts = [s.total("income") for s in data.statements.values()]
    assert min(amounts) > 2_000 and max(amounts) < 120_000  # a few thousand to tens of thousands
    statuses = [
        status_of(data.statement(c, q), q, data.as_of)
        for c in data.communities
        for q in data.quarters
        if data.communities[c].active_in(q)
    ]
    on_time = statuses.count(Status.ON_TIME) / len(statuses)
    assert 0.9 < on_time < 1


def test_the_bench_steps_run(folder, tmp_path):
    """`invoke bench` runs its steps as code in subprocesses: each must import and run."""
    from liangshai.demo.bench import build_code, timed, validate_code

    seconds, peak = timed(validate_code(folder.root))
    assert seconds > 0 and peak > 0
    timed(build_code(folder.root, tmp_path / "out", tmp_path / "cache"))
    assert (tmp_path / "out" / "index.html").is_file()


def test_the_bench_files_a_statement_as_intake_would(demo_200, tmp_path):
    """The bench's filed statement is a real one: read from its own file, without errors,
    for a community that had none that quarter; the quarter's batch is left as it was."""
    import shutil

    from liangshai.demo.bench import file_one_statement

    data = shutil.copytree(demo_200, tmp_path / "data")
    before = validate_folder(data)
    cid = file_one_statement(data)
    after = validate_folder(data)
    quarter = max(before.quarters)
    assert (cid, quarter) not in before.statements
    filed = after.statements[(cid, quarter)]
    assert filed.file.endswith(f"{quarter}/{cid}.yaml") and filed.errors == 0
    assert len(after.statements) == len(before.statements) + 1


def test_the_bench_measures_the_memory_of_the_step_not_of_itself():
    """A step's peak is its own and its workers': not the bench's, however much it holds
    (the kernel's ru_maxrss of a child starts from its parent's RSS)."""
    from liangshai.demo.bench import timed

    ballast = bytearray(400 * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # every page resident
    _, small = timed("pass")
    _, large = timed("b = bytearray(300 * 1024 * 1024); b[::4096] = b'\\1' * len(b[::4096])")
    _, forked = timed(
        "import os\nb = bytearray(200 * 1024 * 1024); b[::4096] = b'\\1' * len(b[::4096])\n"
        "pid = os.fork()\nif pid == 0:\n    c = bytearray(250 * 1024 * 1024)\n"
        "    c[::4096] = b'\\1' * len(c[::4096])\n    os._exit(0)\nos.waitpid(pid, 0)"
    )
    del ballast
    assert small < 100 and 300 < large < 400
    assert 450 < forked < 550  # the worker: the 200 MB it was forked with, and its own 250


def test_the_bench_builds_the_same_pages_with_hugo_and_prints_both_ratios(tmp_path):
    from liangshai.demo.bench import hugo, table

    seconds = hugo(5, tmp_path / "hugo")
    assert seconds and seconds > 0  # installed by `invoke setup --dev`, as CI does
    page = (tmp_path / "hugo" / "out" / "p3" / "index.html").read_text(encoding="utf-8")
    assert "小区 3" in page and page.count("<tr>") == 16  # the header and 15 rows
    row = {
        "scale": "5 × 1",
        "validation": 1,
        "full": 3,
        "rss": 100,
        "unchanged": 0.1,
        "one": 0.2,
        "again": 0.15,
        "filed": 0.12,
        "plain": 2.0,
        "hugo": 0.5,
    }
    printed = table([row, {**row, "plain": None, "hugo": None}], None)
    assert "| 0.20 | 0.15 | 0.12 | 2.00 | 0.50 | 1.50 | 6.00 |" in printed
    assert "| — | — | — | — |" in printed


def test_the_bench_counts_the_posters_it_renders(folder, tmp_path):
    from liangshai.demo.bench import posters_rate

    assert folder.root == tmp_path / "data"  # where the bench looks for its data
    rate, each = posters_rate(tmp_path, 2, say=lambda *_: None)
    assert rate > 0 and each > 0
    assert json.loads((tmp_path / "poster-counts.json").read_text())["rendered"] == 4  # A4 + A5
