"""Files as people really hand them in: re-saved by other programs, renamed, copied, typed in
a hurry, or crafted. Every file and row is read or named; one bad row or file harms nobody
else; nothing hangs, nothing is echoed from outside the data folder."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as ILLEGAL
from openpyxl.cell.cell import MergedCell

from conftest import soffice
from liangshai.exports.templates import write_template
from liangshai.load.workbook import SHEET
from liangshai.quarter import Quarter
from liangshai.validate.report import render_text

Q1 = "statements/2024Q1"
Q1_HEAD, Q1_ITEMS = f"{Q1}/statements.csv", f"{Q1}/items.csv"
Q1_ = Quarter(2024, 1)


def canonical(data):
    return {k: s.canonical() for k, s in sorted(data.statements.items()) if s.valid}


# ----------------------------------------------------------------------------- the folder


def test_lock_files_hidden_files_and_notes_are_ignored_by_rule(folder):
    baseline = canonical(folder.validate())
    for rel in (
        f"{Q1}/~$items.xlsx",  # Excel's lock file: 165 bytes of nothing useful
        f"{Q1}/.~lock.items.csv#",  # LibreOffice's
        f"{Q1}/.DS_Store",
        "statements/Thumbs.db",
        "README.md",
        "ledgers/说明.md",
    ):
        folder.write(rel, b"\x00\x01 whatever")
    data = folder.validate()
    assert data.report.problems == [] and canonical(data) == baseline


def test_every_other_file_and_folder_is_named(folder):
    folder.write("communities (1).csv", folder.path("communities.csv").read_bytes())
    folder.write("backup/communities.csv", "id\n")
    folder.write("statements/rongyin.yaml", "community_id: rongyin-huayuan\n")
    folder.write(f"{Q1}/old/items.csv", "x\n")
    folder.write("ledgers/notes.csv", "随手记\n")
    folder.write("seals/2024Q1 (1).jsonl", "{}\n")
    found = {(p.file, p.code) for p in folder.validate().report.problems}
    assert found == {
        (folder.name("communities (1).csv"), "unknown-file"),
        (folder.name("backup"), "unknown-folder"),
        (folder.name("statements/rongyin.yaml"), "unknown-file"),
        (folder.name(f"{Q1}/old"), "unknown-folder"),
        (folder.name("ledgers/notes.csv"), "unknown-file"),
        (folder.name("seals/2024Q1 (1).jsonl"), "unknown-file"),
    }


def test_csv_in_other_letter_case_or_under_another_name_is_read(folder):
    baseline = canonical(folder.validate())
    folder.path(Q1_ITEMS).rename(folder.path(f"{Q1}/Items.CSV"))
    folder.path(Q1_HEAD).rename(folder.path(f"{Q1}/2024年一季度公示表.csv"))
    folder.path("ledgers/complaints.csv").rename(folder.path("ledgers/投诉线索台账.CSV"))
    data = folder.validate()
    assert data.report.problems == [] and canonical(data) == baseline
    assert len(data.ledgers["complaints"]) == 1


def test_a_copy_of_a_quarter_folder_leaves_the_original_valid(folder):
    baseline = canonical(folder.validate())
    shutil.copytree(folder.path(Q1), folder.path("statements/2024q1"))
    shutil.copytree(folder.path(Q1), folder.path("statements/2024Q1.bak"))
    data = folder.validate()
    assert [(p.file, p.code) for p in data.report.problems] == [
        (folder.name("statements/2024Q1.bak"), "unknown-folder"),
        (folder.name("statements/2024q1"), "unknown-folder"),
    ]
    assert "只读取 2024Q1" in data.report.problems[1].message
    assert canonical(data) == baseline  # no duplicate-statement, nothing 数据有误


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧版 Excel（.xls）"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
        (b"%PDF-1.7\n%...", "PDF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "图片"),
    ],
)
def test_unsupported_formats_say_how_to_convert(folder, content, what):
    folder.write(f"{Q1}/东湖湾2024年一季度公示表（终版）.xls", content)
    (p,) = folder.validate().report.problems
    assert p.code == "unsupported-format" and what in p.message and p.hint


def test_files_saved_by_libreoffice_as_xls_and_ods_are_named(folder, tmp_path):
    items = folder.path(Q1_ITEMS)
    for fmt in ("xls", "ods"):
        made = soffice(items, fmt, tmp_path / fmt)
        shutil.copy(made, folder.path(f"{Q1}/items.{fmt}"))
    found = {(p.file, p.code) for p in folder.validate().report.problems}
    assert found == {
        (folder.name(f"{Q1}/items.xls"), "unsupported-format"),
        (folder.name(f"{Q1}/items.ods"), "unsupported-format"),
    }


def test_a_template_resaved_by_libreoffice_reads_the_same(folder, tmp_path):
    from test_excel import HEADER, ITEMS, fill

    path = tmp_path / "rongyin-huayuan.xlsx"
    write_template(path)
    formula_items = [["收入", "停车费", "地面停车费", "=5000*2"], *ITEMS[1:]]
    fill(path, HEADER, formula_items)  # a formula that only a spreadsheet program computes
    resaved = soffice(path, "xlsx", tmp_path / "lo")
    assert load_workbook(resaved, data_only=True)[SHEET]["D13"].value == 10000
    shutil.copy(resaved, folder.path("statements/2024Q2/rongyin-huayuan.xlsx"))
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(0, 5)))
    data = folder.validate()
    assert data.report.problems == []
    s = data.statement("rongyin-huayuan", Quarter(2024, 2))
    assert s.valid and s.total("income") == 12000


# ----------------------------------------------------------------------------- text


def test_a_few_undecodable_lines_are_named_and_the_rest_is_read(folder):
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    data = text.encode("gbk").replace("地面停车费".encode("gbk"), b"\x81\x30\xff", 1)
    folder.write(Q1_ITEMS, data)
    result = folder.validate()
    bad = [p for p in result.report.problems if p.code == "undecodable-line"]
    assert [(p.row, p.file) for p in bad] == [(2, folder.name(Q1_ITEMS))]
    assert "GBK" in bad[0].message
    # the row's statement is shown as 数据有误, never with an income line missing …
    assert not result.statement("rongyin-huayuan", Q1_).valid
    # … and the other community's, in the same file, is read whole
    assert result.statement("minjiang-xincun", Q1_).valid


def test_utf8_with_one_stray_byte_is_not_read_as_gbk(folder):
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    data = text.encode().replace("电梯广告".encode(), b"\xe7\x94", 1)  # half a character
    folder.write(Q1_ITEMS, data)
    result = folder.validate()
    assert [p.code for p in result.report.problems] == ["undecodable-line"]
    assert result.statement("minjiang-xincun", Q1_).valid


def test_excel_unicode_text_utf16_is_read(folder):
    baseline = canonical(folder.validate())
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8").replace(",", "\t")
    folder.write(Q1_ITEMS, text.encode("utf-16"))  # Excel's 另存为 "Unicode 文本"
    data = folder.validate()
    assert data.report.problems == [] and canonical(data) == baseline


# ----------------------------------------------------------------------------- hostile files


def test_a_yaml_alias_bomb_is_refused_at_once(folder):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    folder.write(f"{Q1}/bomb.yaml", bomb)  # 9^9 = 387 million nodes if expanded
    problems = [p for p in folder.validate().report.problems if p.file.endswith("bomb.yaml")]
    assert [p.code for p in problems] == ["yaml-alias"]


def test_deep_yaml_is_refused(folder):
    folder.write(f"{Q1}/deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    problems = [p for p in folder.validate().report.problems if p.file.endswith("deep.yaml")]
    assert [p.code for p in problems] == ["structure"] and "嵌套" in problems[0].message


def test_links_out_of_the_folder_and_devices_are_never_read(folder, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("community_id,quarter\n机密内容,2024Q1\n", encoding="utf-8")
    os.symlink(secret, folder.path(f"{Q1}/more.csv"))
    os.symlink("/dev/zero", folder.path(f"{Q1}/zero.csv"))  # stat() says size 0
    os.symlink("/etc", folder.path("statements/2024Q3"))
    os.symlink(folder.path(Q1_HEAD), folder.path("ledgers/inside.csv"))  # inside: fine to read
    data = folder.validate()
    found = {(p.file, p.code) for p in data.report.problems}
    assert {
        (folder.name(f"{Q1}/more.csv"), "not-regular-file"),
        (folder.name(f"{Q1}/zero.csv"), "not-regular-file"),
        (folder.name("statements/2024Q3"), "not-regular-file"),
    } <= found
    assert "机密" not in render_text(data)


def test_a_mistyped_quarter_never_stretches_the_timeline(folder):
    folder.write(
        "site.yaml",
        "first_quarter: 2024Q1\n" + folder.path("site.yaml").read_text(encoding="utf-8"),
    )
    baseline = folder.validate().quarters
    folder.edit(Q1_HEAD, lambda rows: rows[0].update(quarter="2015Q1"))  # typed in a hurry
    data = folder.validate()
    assert data.quarters == baseline
    assert "quarter-mismatch" in data.report.counts()
    # shown where it was handed in, as 数据有误, and the other community is untouched
    assert not data.statement("rongyin-huayuan", Q1_).valid
    assert data.statement("minjiang-xincun", Q1_).valid


def test_an_extra_column_spoils_no_row(folder):
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    lines = text.splitlines()
    lines = [lines[0] + ",经办人"] + [line + ",张三" for line in lines[1:]]
    folder.write(Q1_ITEMS, "\n".join(lines) + "\n")
    data = folder.validate()
    assert [(p.code, p.severity) for p in data.report.problems] == [("extra-column", "warning")]
    assert all(s.valid for s in data.statements.values())


def test_a_yaml_list_where_text_belongs_raises_no_false_flag(folder):
    folder.write(
        "statements/2024Q2/rongyin-huayuan.yaml",
        "community_id: rongyin-huayuan\nquarter: 2024Q2\npublished_on: 2024-07-20\n"
        "prepared_by: 业委会\nopening_balance: 7900.00\nclosing_balance: 7800.00\n"
        "account_balance: 7800.00\n"
        "use:\n  - category: repair\n    description: 屋面修缮\n    amount: 100.00\n"
        "    approval_ref: {文号: 业主大会决议〔2024〕2号}\n",
    )
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(0, 5)))
    data = folder.validate()
    codes = [p.code for p in data.report.problems]
    assert codes == ["wrong-shape"] and "use-without-approval" not in codes
    assert not data.statement("rongyin-huayuan", Quarter(2024, 2)).valid


def test_a_broken_zip_named_xlsx_is_unreadable_not_an_archive(folder):
    folder.write(f"{Q1}/x.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    (p,) = folder.validate().report.problems
    assert p.code == "file-unreadable"
    with zipfile.ZipFile(folder.path(f"{Q1}/x.zip"), "w") as z:
        z.writestr("a.txt", "x")
    codes = {p.file: p.code for p in folder.validate().report.problems}
    assert codes[folder.name(f"{Q1}/x.zip")] == "unsupported-format"


# ----------------------------------------------------------------------------- properties

NAMES = st.sampled_from(
    [
        "items.csv",
        "statements.csv",
        "Items.CSV",
        "x.yaml",
        "x.xlsx",
        "x.xls",
        "notes.txt",
        "~$x.xlsx",
        ".DS_Store",
        "README.md",
        "公示表（终版）.csv",
        "a b",
        "2024Q1",
        "2024q1",
        "2024Q1 (1)",
        "rectifications.csv",
        "old",
    ]
)
CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(["items", "statements", "yaml", "xlsx", "empty", "dir"]),
)
PLACES = st.sampled_from(["", "statements/", f"{Q1}/", "statements/2024Q2/", "ledgers/", "seals/"])


def _content(folder, kind, tmp):
    if isinstance(kind, bytes):
        return kind
    if kind == "empty":
        return b""
    if kind == "yaml":
        return b"community_id: rongyin-huayuan\nquarter: 2024Q1\nincome: []\n"
    if kind == "xlsx":
        path = write_template(tmp / "t.xlsx", "rongyin-huayuan", "2024Q1")
        return path.read_bytes()
    return folder.path(f"{Q1}/{kind}.csv").read_bytes()


def accounted(data, folder, rel) -> bool:
    """Read, ignored by rule, or named by a problem (the entry or a folder it is in)."""
    names = {folder.name(rel)}
    parts = rel.split("/")
    names |= {folder.name("/".join(parts[:k])) for k in range(1, len(parts))}
    report = data.report
    return bool(
        folder.name(rel) in report.read
        or names & {f for f, _ in report.ignored}
        or names & {p.file for p in report.problems}
    )


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(PLACES, NAMES, CONTENTS), min_size=1, max_size=6))
def test_every_entry_of_any_folder_layout_is_accounted_for(tmp_path_factory, entries):
    from conftest import write_baseline

    root = tmp_path_factory.mktemp("layout")
    folder = write_baseline(root / "data")
    made = []
    for place, name, kind in entries:
        rel = place + name
        path = folder.path(rel)
        if path.exists() or rel in ("site.yaml", "districts.yaml", "communities.csv"):
            continue
        if kind == "dir":
            path.mkdir(parents=True)
        else:
            folder.write(rel, _content(folder, kind, root))
        made.append(rel)
    data = folder.validate()  # never raises
    for rel in made:
        if folder.path(rel).is_dir() and not any(folder.path(rel).iterdir()):
            continue  # an empty folder holds nothing to lose
        if folder.path(rel).is_dir():
            rels = [p.relative_to(folder.root).as_posix() for p in folder.path(rel).rglob("*")]
            assert all(accounted(data, folder, r) for r in rels if folder.path(r).is_file())
        else:
            assert accounted(data, folder, rel), (rel, data.report.flatten())
    for p in data.report.problems:
        assert p.message and p.hint and p.file


CELLS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["收入", "停车费", "=1+1", "2024Q1", "编制人：", "类别", "#DIV/0!"]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(1, 70), st.integers(1, 8), CELLS), max_size=40))
def test_any_cells_in_a_template_load_as_data_or_errors(tmp_path_factory, cells):
    """Whatever a clerk types anywhere in the template, every filled item row below the
    item header is read as an item, or named by a problem with its row."""
    from liangshai.load.workbook import read_excel_statement
    from liangshai.problems import Report

    root = tmp_path_factory.mktemp("wb")
    path = write_template(root / "x.xlsx", "rongyin-huayuan", "2024Q1")
    wb = load_workbook(path)
    ws = wb[SHEET]
    for row, col, value in cells:
        cell = ws.cell(row, col)
        if isinstance(cell, MergedCell) or (isinstance(value, str) and ILLEGAL.search(value)):
            continue  # Excel itself would not let anyone type there, or that
        cell.value = value
    wb.save(path)
    report = Report()
    drafts = read_excel_statement(path, root, report)
    assert drafts or report.problems
    named = {p.row for p in report.problems}
    for draft in drafts:
        read = {item.row for item in draft.items}
        for row in range(14, 71):
            values = [ws.cell(row, c).value for c in range(1, 9)]
            first = str(values[0] or "")
            if any(str(v).strip() for v in values if v is not None) and not first.startswith(
                ("编制人", "审核人", "填表日期", "业主委员会意见")
            ):
                assert row in read or row in named or row <= 13, (row, values)


def test_a_workbook_of_too_many_parts_is_refused_before_it_is_opened(folder):
    with zipfile.ZipFile(folder.path(f"{Q1}/x.xlsx"), "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        for k in range(2001):
            z.writestr(f"xl/media/{k}.bin", "")
    (p,) = folder.validate().report.problems
    assert p.code == "file-too-large" and "部件" in p.message


def test_a_former_id_cannot_escape_its_url(folder, tmp_path):
    from conftest import build

    folder.edit("communities.csv", lambda rows: rows[0].update(former_ids="ok-old;../../d/gulou"))
    found = folder.validate().report.flatten()
    assert (folder.name("communities.csv"), 2, "former_ids", "invalid-id") in found
    assert build(folder.root, tmp_path / "site") == 1  # the registry is not sound: no site
    assert not (tmp_path / "d").exists()


def test_a_build_passes_fifos_and_dangling_links_by(folder, tmp_path):
    from conftest import build

    os.mkfifo(folder.path(f"{Q1}/pipe.csv"))
    os.symlink(tmp_path / "gone.csv", folder.path(f"{Q1}/gone.csv"))
    os.symlink("/dev/zero", folder.path("communities-2.csv"))
    assert build(folder.root, tmp_path / "site") == 0  # named in the report, never opened
    found = {(p.file, p.code) for p in folder.validate().report.problems}
    assert (folder.name(f"{Q1}/gone.csv"), "not-regular-file") in found
    assert (folder.name(f"{Q1}/pipe.csv"), "not-regular-file") in found


def test_a_stray_copy_in_a_quarter_folder_harms_nobody(folder):
    baseline = canonical(folder.validate())
    for name in ("statements", "items"):
        shutil.copy(folder.path(f"{Q1}/{name}.csv"), folder.path(f"{Q1}/{name} - 副本.csv"))
    data = folder.validate()
    assert {p.code for p in data.report.problems} == {"duplicate-file"}
    assert canonical(data) == baseline  # no duplicate-statement, no doubled items


def test_a_witness_that_is_not_there_cannot_run(folder, tmp_path):
    from conftest import build

    code = build(folder.root, tmp_path / "site", LIANGSHAI_SEAL_WITNESS=str(tmp_path / "gone"))
    assert code == 2


def test_a_renamed_ledger_with_a_bad_line_is_read_once_and_named_once(folder):
    path = folder.path("ledgers/complaints.csv")
    data = path.read_bytes().replace("停车费去向不明".encode(), b"\xff\xfe", 1)
    path.unlink()
    folder.write("ledgers/投诉线索台账.csv", data)
    report = folder.validate().report
    bad = [(p.code, p.row) for p in report.problems if p.code == "undecodable-line"]
    assert bad == [("undecodable-line", 2)]  # said once, though the header was read to know it
    assert report.read.count(folder.name("ledgers/投诉线索台账.csv")) == 1
