"""Reading files: encodings, headers, broken and hostile input. Never a traceback."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liangshai.load import text
from liangshai.problems import CannotRun, Report
from liangshai.schema import FORMAT

Q1_ITEMS = "statements/2024Q1/items.csv"
Q1_HEAD = "statements/2024Q1/statements.csv"


def test_gbk_and_bom_files_load_the_same(folder):
    baseline = folder.validate()
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    for encoding in ("gbk", "gb18030", "utf-8-sig"):
        folder.write(Q1_ITEMS, text, encoding=encoding)
        data = folder.validate()
        assert data.report.problems == []
        assert [s.canonical() for s in data.statements.values()] == [
            s.canonical() for s in baseline.statements.values()
        ]


def test_chinese_headers_and_excel_style_cells(folder):
    rows = folder.rows(Q1_ITEMS)
    table = FORMAT.tables["items"]
    renamed = [{table.field(k).label: v for k, v in r.items()} for r in rows]
    renamed[0]["金额（元）"] = "¥10,000.00"
    folder.write_rows(Q1_ITEMS, renamed, encoding="gb18030")
    assert folder.validate().report.problems == []


def test_tab_separated_file(folder):
    text = folder.path(Q1_HEAD).read_text(encoding="utf-8").replace(",", "\t")
    folder.write(Q1_HEAD, text)
    assert folder.validate().report.problems == []


def test_garbage_bytes(folder):
    folder.write(Q1_ITEMS, bytes(range(256)) * 10)
    data = folder.validate()
    assert data.report.flatten() == [(folder.name(Q1_ITEMS), None, None, "file-unreadable")]
    q1 = [s for (_, q), s in data.statements.items() if str(q) == "2024Q1"]
    assert len(q1) == 2 and not any(s.valid for s in q1)
    assert q1[0].problems[0].code == "file-unreadable"


def test_empty_file(folder):
    folder.write(Q1_HEAD, "\ufeff\n")
    codes = folder.validate().report.counts()
    assert codes["file-empty"] == 1
    # the quarter's items now have no header: every row says so
    assert codes["missing-header"] == 12


def test_unbalanced_quote_does_not_swallow_rows(folder):
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    folder.write(Q1_ITEMS, text.replace("地面停车费", '"地面停车费', 1))
    data = folder.validate()
    assert not data.report.ok  # the run reports it rather than losing the rest of the file


def test_html_and_template_syntax_are_kept_as_text(folder):
    name = '<script>alert("x")</script> {{ 7*7 }} & 花园'
    folder.edit("communities.csv", lambda rows: rows[0].__setitem__("name", name))
    data = folder.validate()
    assert data.report.problems == []
    assert data.communities["rongyin-huayuan"].name == name  # escaping is the renderer's job
    assert "&lt;script&gt;" in html.escape(name)


def test_path_traversal_id_is_refused(folder):
    folder.edit("communities.csv", lambda rows: rows[1].__setitem__("id", "../../etc"))
    folder.edit(Q1_HEAD, lambda rows: rows[1].__setitem__("community_id", "../../etc"))
    data = folder.validate()
    found = data.report.flatten()
    assert (folder.name("communities.csv"), 3, "id", "invalid-id") in found
    assert (folder.name(Q1_HEAD), 3, "community_id", "invalid-id") in found
    assert all("../" not in (s.community_id or "") for s in data.statements.values())


def test_hundred_thousand_rows_every_row_accounted_for(folder):
    lines = ["community_id,quarter,section,category,description,amount"]
    lines += [f"rongyin-huayuan,2024Q1,income,parking,停车费 {i},{i % 7}.00" for i in range(50_000)]
    lines += [f"rongyin-huayuan,2024Q1,income,parking,停车费 {i},多少" for i in range(50_000)]
    folder.write(Q1_ITEMS, "\n".join(lines) + "\n")
    data = folder.validate()
    bad = [p for p in data.report.problems if p.code == "invalid-amount"]
    assert len(bad) == 50_000 and bad[0].row == 50_002 and bad[-1].row == 100_001
    statement = data.statement("rongyin-huayuan", data.quarters[0])
    assert len(statement.items) == 100_000 and not statement.valid


def test_missing_settings_cannot_run(folder):
    folder.path("site.yaml").unlink()
    try:
        folder.validate()
    except CannotRun as exc:
        assert "site.yaml" in str(exc)
    else:
        raise AssertionError("expected CannotRun")


@pytest.mark.parametrize("total", ["三十", "-1", "[30]"])
def test_a_bad_city_target_cannot_run(folder, total):
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write("site.yaml", text + f"campaign:\n  targets:\n    demonstration_total: {total}\n")
    with pytest.raises(CannotRun, match="demonstration_total"):
        folder.validate()


def test_the_city_target_sets_the_city_demonstration_rate(folder):
    from liangshai.assess.metrics import compute

    districts = folder.validate()
    district_sum = sum(d.demo_target for d in districts.districts.values())
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    big = district_sum + 40
    folder.write("site.yaml", text + f"campaign:\n  targets:\n    demonstration_total: {big}\n")
    data = folder.validate()
    assert compute(data).latest()["demonstration"].denominator == big
    folder.write("site.yaml", text)
    assert compute(folder.validate()).latest()["demonstration"].denominator == district_sum


def test_settings_with_half_a_character_cannot_run(folder):
    # "\ud800" is a valid YAML escape for half of a UTF-16 pair: no page could hold it.
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write("site.yaml", 'slogan: "\\ud800"\n' + text)
    with pytest.raises(CannotRun, match=r"site\.yaml"):
        folder.validate()


def test_yaml_statement_loads_like_csv(folder):
    rows = [r for r in folder.rows(Q1_ITEMS) if r["community_id"] == "minjiang-xincun"]
    folder.edit(Q1_HEAD, lambda r: r.pop())
    folder.edit(Q1_ITEMS, lambda r: r.__delitem__(slice(6, None)))
    lines = [
        "小区编号: minjiang-xincun",
        "季度: 2024年第一季度",
        "公示日期: 2024年4月25日",
        "编制单位: 福州榕安物业服务有限公司",
        "上期结余: 1000.00",
        "本期结余: 7,900.00",
        "专户余额: 7900.00",
        "收入:",
    ]
    for section in ("income", "cost", "use", "deposit"):
        if section != "income":
            lines.append(f"{section}:")
        for r in rows:
            if r["section"] == section:
                lines.append(
                    f"  - category: {r['category']}\n    description: {r['description']}"
                    f"\n    amount: {r['amount']}\n    approval_ref: '{r['approval_ref']}'"
                )
    folder.write("statements/2024Q1/minjiang.yml", "\n".join(lines) + "\n")
    data = folder.validate()
    assert data.report.problems == []
    s = data.statement("minjiang-xincun", data.quarters[0])
    assert s.file.endswith("minjiang.yml") and len(s.items) == 6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=2000), st.sampled_from(["items.csv", "statements.csv", "x.yaml", "x.xlsx"])
)
@example(b"#", "x.yaml")  # a YAML file of comments only once slipped through
def test_any_bytes_load_as_data_or_errors(tmp_path_factory, data, name):
    from liangshai.load.workbook import read_excel_statement

    root = tmp_path_factory.mktemp("fuzz")
    path = root / name
    path.write_bytes(data)
    report = Report()
    if name.endswith(".csv"):
        records = text.read_csv(path, FORMAT.tables[name[:-4]], root, report)
        assert records or report.problems or not data.strip(b"\xef\xbb\xbf \r\n\t,")
    elif name.endswith(".yaml"):
        draft = text.read_yaml_statement(path, root, report)
        assert draft is not None or report.problems
    else:
        draft = read_excel_statement(path, root, report)
        assert draft is not None or report.problems
    for p in report.problems:
        assert p.message and p.hint and p.file


def test_tables_read_through_the_cache_are_read_as_without_it(folder, tmp_path, monkeypatch):
    """The registry and the ledgers, taken from the cache while their bytes are as they
    were: the same records, and the same problems in the same places of the report, as
    when read (here a bad cell in the registry, a ledger in GB18030 with an undecodable
    line, and a ledger recognised by its header under another name)."""
    from liangshai.load import tables
    from liangshai.validate.folder import validate_folder

    folder.edit("communities.csv", lambda rows: rows[0].update(active_from="去年"))
    complaints = folder.path("ledgers/complaints.csv").read_text(encoding="utf-8")
    lines = complaints.splitlines()
    broken = "\n".join(lines[:2]).encode("gb18030") + b"\n\xff\xfe,bad\n"
    folder.write("ledgers/complaints.csv", broken + "\n".join(lines[2:]).encode("gb18030"))
    folder.path("ledgers/inspections.csv").rename(folder.path("ledgers/抽查记录.csv"))

    def seen(data):
        records = {
            n: [(r.file, r.row, r.values, r.problems) for r in rs] for n, rs in data.ledgers.items()
        }
        return data.report.problems, data.report.read, records, sorted(data.communities)

    fresh = seen(validate_folder(folder.root))
    assert any(p.file.endswith("communities.csv") and p.field == "active_from" for p in fresh[0])
    assert any(p.code == "undecodable-line" for p in fresh[0])
    cache = tmp_path / "cache"
    assert seen(validate_folder(folder.root, cache=cache)) == fresh
    kept = sorted((cache / "tables").iterdir())
    assert len(kept) == 1 + len(list(folder.path("ledgers").iterdir()))  # registry, ledgers

    def unread(*args):
        raise AssertionError("read again")

    monkeypatch.setattr(tables, "csv_records", unread)
    assert seen(validate_folder(folder.root, cache=cache)) == fresh
    monkeypatch.undo()

    kept[0].write_bytes(kept[0].read_bytes()[:100])  # cut short: read again, and kept again
    assert seen(validate_folder(folder.root, cache=cache)) == fresh
    assert sorted((cache / "tables").iterdir()) == kept

    folder.edit("ledgers/rectifications.csv", lambda rows: rows[0].update(measure="已整改"))
    assert (
        validate_folder(folder.root, cache=cache).ledgers["rectifications"][0]["measure"]
        == "已整改"
    )
    now = sorted((cache / "tables").iterdir())
    assert len(now) == len(kept) and len(set(now) - set(kept)) == 1  # the older version went
