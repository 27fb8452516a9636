"""The Excel template: generated from the format, filled in with openpyxl, read back."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from dataclasses import replace
from datetime import date

from openpyxl import load_workbook

from liangshai.exports.templates import BLANK, write_csv_templates, write_template
from liangshai.load import files
from liangshai.load.workbook import FOOTER, LISTS_SHEET, SHEET, item_fields
from liangshai.problems import SheetLayout, column_letter
from liangshai.quarter import Quarter
from liangshai.schema import FORMAT
from liangshai.validate.report import render_json, render_text


def _find(ws, text):
    return next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == text)


def fill(path, header: dict, items: list[list]):
    """Fill the template the way a clerk does: header values in column B, items below."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    labels = {f.name: f.label for f in FORMAT.tables["statements"].fields}
    for name, value in header.items():
        ws.cell(_find(ws, labels[name]), 2, value)
    first = _find(ws, FORMAT.tables["items"].field("section").label) + 1
    for r, values in enumerate(items, start=first):
        for col, value in enumerate(values, start=1):
            ws.cell(r, col, value)
    wb.save(path)
    return first


HEADER = {
    "community_id": "rongyin-huayuan",
    "quarter": "2024Q2",
    "published_on": date(2024, 7, 20),
    "prepared_by": "福州榕安物业服务有限公司",
    "opening_balance": 7900,
    "closing_balance": 17800.0,
    "account_balance": "17,800.00",
}
ITEMS = [
    ["收入", "停车费", "地面停车费", 10000.0, date(2024, 6, 30)],
    ["收入", "广告费", "电梯广告（4 部）", 2000],
    ["经营成本", "人工", "停车管理员工资分摊", 1500.0],
    ["经营成本", "税费", "增值税及附加", 600.0],
    ["转存专户", "转存专户", "转存专户", 9900.0, date(2024, 7, 5)],
]


def test_template_layout_comes_from_the_format(tmp_path):
    path = write_template(tmp_path / "t.xlsx", "rongyin-huayuan", "2024Q2")
    wb = load_workbook(path)
    ws = wb[SHEET]
    assert ws["A1"].value == FORMAT.title
    header = [c.value for c in ws[_find(ws, "类别")]][: len(item_fields())]
    assert header == [f.label for f in item_fields()]
    assert ws.cell(_find(ws, "小区编号"), 2).value == "rongyin-huayuan"
    assert _find(ws, FOOTER[0]) > _find(ws, "类别")
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    assert [c.value for (c,) in lists.iter_rows(min_col=1, max_col=1) if c.value] == [
        s.label for s in FORMAT.sections
    ]
    validations = ws.data_validations.dataValidation
    assert len(validations) == 2 and all(v.type == "list" for v in validations)
    assert all(v.formula1.startswith(f"'{LISTS_SHEET}'!") for v in validations)


def test_round_trip(folder):
    path = folder.path("statements/2024Q2/rongyin-huayuan.xlsx")
    write_template(path)
    fill(path, HEADER, ITEMS)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(0, 5)))
    data = folder.validate()
    assert data.report.problems == []
    s = data.statement("rongyin-huayuan", data.quarters[-1])
    assert s.file.endswith(".xlsx") and len(s.items) == 5
    assert str(s.closing_balance) == "17800.00" and s.items[0].category == "parking"
    assert s.items[0].date == date(2024, 6, 30)


def test_errors_point_at_excel_rows(folder):
    path = folder.path("statements/2024Q2/rongyin-huayuan.xlsx")
    write_template(path)
    bad = [*ITEMS[:2], ["经营成本", "停车费", "错科目", 1.234]]
    first = fill(path, {**HEADER, "published_on": "七月"}, bad)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    found = folder.validate().report.flatten()
    name = folder.name("statements/2024Q2/rongyin-huayuan.xlsx")
    assert (
        name,
        _find(load_workbook(path)[SHEET], "公示日期"),
        "published_on",
        "invalid-date",
    ) in found
    assert (name, first + 2, "amount", "invalid-amount") in found


def test_problems_name_their_cell_as_excel_does(folder):
    """Reading problems and the checks after reading (sums, continuity) both name the cell:
    the column of the item field, or column B of a header field's own row."""
    path = folder.path("statements/2024Q2/rongyin-huayuan.xlsx")
    write_template(path)
    bad = [*ITEMS[:2], ["经营成本", "停车费", "错科目", "约一万"], *ITEMS[3:]]
    first = fill(path, {**HEADER, "published_on": "七月", "opening_balance": 7000}, bad)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    data = folder.validate()
    ws = load_workbook(path)[SHEET]
    amount = next(k for k, f in enumerate(item_fields()) if f.name == "amount")
    cells = {p.code: data.report.cell(p) for p in data.report.problems if p.file.endswith("xlsx")}
    assert cells["invalid-amount"] == f"{SHEET}!{'ABCDEFGHIJ'[amount]}{first + 2}"
    assert cells["invalid-date"] == f"{SHEET}!B{_find(ws, '公示日期')}"
    opening = FORMAT.tables["statements"].field("opening_balance").label
    assert cells["continuity-broken"] == f"{SHEET}!B{_find(ws, opening)}"
    assert "invalid-category" in cells
    text = render_text(data)
    assert f"{SHEET}!{'ABCDEFGHIJ'[amount]}{first + 2} " in text
    doc = json.loads(render_json(data))
    problem = next(p for p in doc["problems"] if p["code"] == "invalid-amount")
    assert problem["sheet"] == SHEET and problem["cell"] == cells["invalid-amount"]


def test_a_problem_of_the_whole_statement_names_its_sheet_not_a_row(folder):
    path = folder.path("statements/2024Q2/rongyin-huayuan.xlsx")
    write_template(path)
    fill(path, HEADER, [])
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    data = folder.validate()
    (p,) = [p for p in data.report.problems if p.code == "no-items"]
    assert data.report.cell(p) is None and p.sheet == SHEET
    assert f"工作表「{SHEET}」" in render_text(data)


def test_sheet_names_are_quoted_as_excel_quotes_them():
    layout = SheetLayout("Sheet 1", 5, {"quarter": 3}, {"amount": 27})
    assert layout.ref(9, 27) == "'Sheet 1'!AB9"
    assert SheetLayout("它's", 5, {}, {}).ref(7) == "'它''s'!7:7"
    assert SheetLayout("公示表2", 5, {}, {}).ref(7, 0) == "公示表2!A7"
    assert [column_letter(k) for k in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_not_a_workbook(folder):
    folder.write("statements/2024Q2/x.xlsx", b"PK\x03\x04 this is not a zip")
    found = folder.validate().report.flatten()
    assert (folder.name("statements/2024Q2/x.xlsx"), None, None, "file-unreadable") in found


def test_csv_templates_have_chinese_headers_and_bom(tmp_path):
    (items,) = [p for p in write_csv_templates(tmp_path) if p.name == "items.csv"]
    assert items.read_bytes().startswith(b"\xef\xbb\xbf")
    with items.open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f)) == [f.label for f in FORMAT.tables["items"].fields]


# ----------------------------------------------------------------------------- as handed in

XLSX = "statements/2024Q2/rongyin-huayuan.xlsx"
BLANK_TEMPLATE = BLANK / "statement-template.xlsx"


def filled(folder, items=ITEMS, header=HEADER, rel=XLSX):
    """A filled template in place of rongyin-huayuan's 2024Q2 rows of the batch files."""
    path = folder.path(rel)
    write_template(path)
    first = fill(path, header, items)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(0, 5)))
    return path, first


def statement(folder):
    data = folder.validate()
    return data, data.statement("rongyin-huayuan", Quarter(2024, 2))


def test_a_formula_without_its_result_is_an_error_that_says_so(folder):
    # openpyxl (like any script) writes formulas without a computed result; Excel would show
    # 10000, but the file holds no number: reading it as blank would lose the income.
    _, first = filled(folder, [["收入", "停车费", "地面停车费", "=5000*2"], *ITEMS[1:]])
    data, s = statement(folder)
    found = data.report.flatten()
    assert (folder.name(XLSX), first, "amount", "formula-without-value") in found
    (p,) = [p for p in data.report.problems if p.code == "formula-without-value"]
    assert "=5000*2" in p.message and "保存" in p.hint
    assert s is not None and not s.valid  # never shown as if the figure were read


def test_rows_below_the_signature_block_are_read(folder):
    path, _ = filled(folder)
    wb = load_workbook(path)
    ws = wb[SHEET]
    footer = _find(ws, FOOTER[0])
    ws.cell(footer + 4, 1, "收入")  # a row added below the signatures, as people do
    ws.cell(footer + 4, 2, "进场费")
    ws.cell(footer + 4, 3, "快递柜进场费")
    ws.cell(footer + 4, 4, 100)
    ws.cell(footer + 6, 1, "注：以上数据经业委会核对")
    ws.cell(_find(ws, "本期结余"), 2, 17900)
    ws.cell(_find(ws, "专户余额"), 2, 17900)
    wb.save(path)
    data, s = statement(folder)
    assert s.valid and len(s.items) == 6 and s.total("income") == 12100
    assert data.report.flatten() == [(folder.name(XLSX), footer + 6, None, "row-not-read")]
    assert footer + 6 == 60  # the row test_validate's case names


def test_every_sheet_holding_a_statement_is_read(folder):
    path, _ = filled(folder)
    wb = load_workbook(path)
    second = wb.copy_worksheet(wb[SHEET])
    second.title = "闽江新村"
    second.cell(_find(second, "小区编号"), 2, "minjiang-xincun")
    second.cell(_find(second, "公示日期"), 2, date(2024, 8, 10))
    wb.create_sheet("草稿")["B3"] = "这里是草稿"
    wb.save(path)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop(0))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(0, 5)))
    data = folder.validate()
    assert data.report.flatten() == [(folder.name(XLSX), None, None, "sheet-not-read")]
    assert "草稿" in data.report.problems[0].message
    for cid in ("rongyin-huayuan", "minjiang-xincun"):
        s = data.statement(cid, Quarter(2024, 2))
        assert s.valid and s.file == folder.name(XLSX) and len(s.items) == 5


def test_rows_past_a_stale_dimension_are_read(folder):
    path, _ = filled(folder)
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B4"', xml),
    )
    data, s = statement(folder)
    assert data.report.problems == [] and len(s.items) == 5 and s.valid


def test_a_sheet_over_the_row_limit_is_named(folder, monkeypatch):
    filled(folder)
    monkeypatch.setattr(files, "LIMITS", replace(files.LIMITS, sheet_rows=30))
    found = folder.validate().report.flatten()
    assert (folder.name(XLSX), None, None, "too-many-rows") in found


def test_a_zip_bomb_is_refused_before_it_is_opened(folder):
    path = folder.path(XLSX)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (60 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    data = folder.validate()
    (p,) = [p for p in data.report.problems if p.file == folder.name(XLSX)]
    assert p.code == "file-too-large" and "解压后" in p.message


def test_a_workbook_with_damaged_compressed_data_is_named_unreadable(folder):
    """A part whose deflate stream is broken (found by fuzzing intake): zlib's own error."""
    path, _ = filled(folder)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = (
        int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    start = info.header_offset + 30 + name_length + extra_length
    data[start] = 0x07  # a final block of the reserved type 3: "invalid block type"
    path.write_bytes(bytes(data))
    found = folder.validate().report.flatten()
    assert (folder.name(XLSX), None, None, "file-unreadable") in found


def test_a_workbook_renamed_xls_is_read_as_a_workbook(folder):
    path, _ = filled(folder)
    path.rename(path.with_suffix(".xls"))
    data, s = statement(folder)
    assert data.report.problems == [] and s.valid and s.file.endswith(".xls")


def rewrite_part(path, part, change):
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[part] = change(parts[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_workbook_without_any_statement_sheet_is_named(folder):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = LISTS_SHEET  # only the template's own code sheet: nothing to read
    path = folder.path("statements/2024Q2/empty.xlsx")
    wb.save(path)
    found = folder.validate().report.flatten()
    assert (folder.name("statements/2024Q2/empty.xlsx"), None, None, "structure") in found


def test_the_template_prints_one_page_wide_with_its_signatures(folder, tmp_path):
    """Printed from LibreOffice: the statement sheet on one A4 page, all columns and the
    signature block with up to 20 items filled; the guide on a page of its own."""
    import subprocess

    from conftest import soffice

    path, _ = filled(folder, ITEMS * 4)  # 20 items
    for xlsx in (BLANK_TEMPLATE, path):
        pdf = soffice(xlsx, "pdf", tmp_path / xlsx.stem)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"Pages:\s+2\n", info), info
        first = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True
        ).stdout
        assert "类别" in first and "备注" in first and FOOTER[-1].rstrip("：") in first
