"""The Excel template: generated from the format, filled in with openpyxl, read back."""

from __future__ import annotations

import csv
from datetime import date

from openpyxl import load_workbook

from liangshai.excel import (
    FOOTER,
    LISTS_SHEET,
    SHEET,
    item_fields,
    write_csv_templates,
    write_template,
)
from liangshai.schema import FORMAT


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


def test_not_a_workbook(folder):
    folder.write("statements/2024Q2/x.xlsx", b"PK\x03\x04 this is not a zip")
    found = folder.validate().report.flatten()
    assert (folder.name("statements/2024Q2/x.xlsx"), None, None, "file-unreadable") in found


def test_csv_templates_have_chinese_headers_and_bom(tmp_path):
    (items,) = [p for p in write_csv_templates(tmp_path) if p.name == "items.csv"]
    assert items.read_bytes().startswith(b"\xef\xbb\xbf")
    with items.open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f)) == [f.label for f in FORMAT.tables["items"].fields]
