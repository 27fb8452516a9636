"""Every named check of the format, triggered by one change to a valid data folder.

Each case asserts the problem as (file, row, field, code), the way a user finds it in a
spreadsheet. A meta-test fails when a check in format.yaml has no case here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from datetime import date

import pytest

from liangshai.load import files
from liangshai.model import canonical_json, fingerprint_of
from liangshai.schema import FORMAT

Q1 = "statements/2024Q1"
Q1_HEAD, Q1_ITEMS = f"{Q1}/statements.csv", f"{Q1}/items.csv"
Q2_HEAD = "statements/2024Q2/statements.csv"
COMM = "communities.csv"


def set_cell(rel, row, field, value):
    """Change one cell; `row` counts like a spreadsheet (header = 1, first data row = 2)."""

    def change(folder):
        folder.edit(rel, lambda rows: rows[row - 2].__setitem__(field, value))

    return change


def replace_text(rel, old, new):
    def change(folder):
        path = folder.path(rel)
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def both(*changes):
    def change(folder):
        for c in changes:
            c(folder)

    return change


def yaml_statement(
    folder,
    quarter="2024Q1",
    cid="rongyin-huayuan",
    income="income:\n  - {category: parking, description: 停车费, amount: 100.00}\n",
):
    folder.write(
        f"statements/{quarter}/{cid}.yaml",
        f"community_id: {cid}\nquarter: {quarter}\npublished_on: 2024-04-20\n"
        f"prepared_by: 业委会\nopening_balance: 0\nclosing_balance: 100.00\n"
        f"account_balance: 100.00\n{income}",
    )


def sealed(quarter="2024Q1"):
    def change(folder):
        from liangshai.quarter import Quarter
        from liangshai.validate.seals import append_seals, seal_quarter

        q = Quarter.parse(quarter)
        lines, _ = seal_quarter(folder.validate(), q, date(2024, 8, 1))
        append_seals(folder.root, q, lines)

    return change


def drop_column(rel, field):
    def change(folder):
        rows = folder.rows(rel)
        for r in rows:
            del r[field]
        folder.write_rows(rel, rows)

    return change


CONTRACTS = "ledgers/contracts.csv"


def base_data(**values):
    """Give rongyin-huayuan (row 2 of the registry) base data, e.g. lifts=4."""

    def change(folder):
        rows = folder.rows(COMM)
        rows[0].update({k: str(v) for k, v in values.items()})
        names = list(dict.fromkeys([*rows[0], *values]))
        folder.write_rows(COMM, [{n: r.get(n, "") for n in names} for r in rows])

    return change


def contract(**values):
    """A contracts register with one contract of rongyin-huayuan (advertising, 3,000 a
    quarter, filed) changed by `values`."""

    def change(folder):
        row = {
            "id": "HT-1",
            "community_id": "rongyin-huayuan",
            "category": "advertising",
            "counterparty": "福州分众广告有限公司",
            "asset": "电梯轿厢广告位 4 个",
            "start": "2023-01-01",
            "end": "",
            "amount": "3000.00",
            "period": "季",
            "filed_ref": "鼓房备〔2023〕12号",
            "note": "",
        }
        folder.write_rows(CONTRACTS, [{**row, **values}])

    return change


def link(contract_id, row=3):
    """Name a contract on an item of the 2024Q1 items (row 3: rongyin's advertising)."""
    return set_cell(Q1_ITEMS, row, "contract", contract_id)


CASES = {
    "file-missing": (lambda f: f.path(COMM).unlink(), (COMM, None, None)),
    "file-unreadable": (
        lambda f: f.write(Q1_ITEMS, b"\x01\x02garbage\x00\x00\x03"),
        (Q1_ITEMS, None, None),
    ),
    "unsupported-format": (
        lambda f: f.write(Q1_ITEMS, b"\x89PNG\r\n\x1a\n\x00\x00garbage"),
        (Q1_ITEMS, None, None),
    ),
    "file-too-large": (None, (Q1_ITEMS, None, None)),  # see test_file_too_large
    "file-empty": (lambda f: f.write(Q1_ITEMS, ""), (Q1_ITEMS, None, None)),
    "missing-column": (drop_column(Q1_ITEMS, "amount"), (Q1_ITEMS, 1, "amount")),
    "extra-column": (replace_text(Q1_ITEMS, "note\n", "note,经办人\n"), (Q1_ITEMS, 1, None)),
    "duplicate-column": (replace_text(Q1_ITEMS, ",note\n", ",金额\n"), (Q1_ITEMS, 1, "amount")),
    "cell-count": (
        replace_text(Q1_ITEMS, "地面停车费,10000.00,,,,", "地面停车费,10000.00,,,,,多"),
        (Q1_ITEMS, 2, None),
    ),
    "blank-row": (
        replace_text(
            Q1_ITEMS,
            "\nrongyin-huayuan,2024Q1,income,advertising",
            "\n,,,,,,,,,\nrongyin-huayuan,2024Q1,income,advertising",
        ),
        (Q1_ITEMS, 3, None),
    ),
    "structure": (
        lambda f: yaml_statement(f, cid="minjiang-xincun", income="income:\n  parking: 100\n"),
        (f"{Q1}/minjiang-xincun.yaml", 9, None),
    ),
    "required-value": (set_cell(Q1_ITEMS, 2, "description", "  "), (Q1_ITEMS, 2, "description")),
    "invalid-amount": (set_cell(Q1_ITEMS, 2, "amount", "一万元"), (Q1_ITEMS, 2, "amount")),
    "negative-amount": (set_cell(Q1_ITEMS, 5, "amount", "-600.00"), (Q1_ITEMS, 5, "amount")),
    "invalid-date": (
        set_cell(Q1_HEAD, 2, "published_on", "2024-04-31"),
        (Q1_HEAD, 2, "published_on"),
    ),
    "invalid-quarter": (set_cell(Q1_HEAD, 3, "quarter", "2024Q5"), (Q1_HEAD, 3, "quarter")),
    "invalid-id": (set_cell(COMM, 2, "id", "../../etc"), (COMM, 2, "id")),
    "invalid-choice": (set_cell(COMM, 3, "committee", "有"), (COMM, 3, "committee")),
    "invalid-category": (set_cell(Q1_ITEMS, 2, "category", "labor"), (Q1_ITEMS, 2, "category")),
    "invalid-credit-code": (
        set_cell(COMM, 2, "company_code", "91350102MA2XYW1230"),
        (COMM, 2, "company_code"),
    ),
    "invalid-integer": (
        replace_text("districts.yaml", "demo_target: 5", "demo_target: 五个"),
        ("districts.yaml", 1, "demo_target"),
    ),
    "invalid-email": (
        replace_text("districts.yaml", "gulou@fuzhou.example", "gulou at fuzhou"),
        ("districts.yaml", 1, "email"),
    ),
    "invalid-character": (
        lambda f: yaml_statement(
            f, income='income:\n  - {category: parking, description: "坏\\ud800字", amount: 100}\n'
        ),
        (f"{Q1}/rongyin-huayuan.yaml", 9, None),
    ),
    "text-too-long": (set_cell(Q1_HEAD, 2, "note", "很长" * 300), (Q1_HEAD, 2, "note")),
    "personal-data": (set_cell(Q1_ITEMS, 3, "note", "联系人 138 1234 5678"), (Q1_ITEMS, 3, "note")),
    "duplicate-id": (set_cell(COMM, 3, "id", "rongyin-huayuan"), (COMM, 3, "id")),
    "alias-conflict": (set_cell(COMM, 3, "former_ids", "rongyin-huayuan"), (COMM, 3, "former_ids")),
    "unknown-district": (set_cell(COMM, 2, "district", "思明"), (COMM, 2, "district")),
    "invalid-active-range": (
        both(set_cell(COMM, 2, "active_from", "2024Q3"), set_cell(COMM, 2, "active_to", "2024Q1")),
        (COMM, 2, "active_to"),
    ),
    "no-special-account": (set_cell(COMM, 3, "account_type", ""), (COMM, 3, "account_type")),
    "unknown-community": (
        set_cell(Q1_HEAD, 2, "community_id", "nobody-lives-here"),
        (Q1_HEAD, 2, "community_id"),
    ),
    "former-id-used": (
        both(
            set_cell(COMM, 2, "former_ids", "old-rongyin"),
            set_cell(Q2_HEAD, 2, "community_id", "old-rongyin"),
        ),
        (Q2_HEAD, 2, "community_id"),
    ),
    "duplicate-statement": (yaml_statement, (f"{Q1}/rongyin-huayuan.yaml", 1, None)),
    "missing-header": (set_cell(Q1_ITEMS, 8, "quarter", "2024Q2"), (Q1_ITEMS, 8, None)),
    "quarter-mismatch": (set_cell(Q1_HEAD, 2, "quarter", "2023Q4"), (Q1_HEAD, 2, "quarter")),
    "future-quarter": (None, (Q2_HEAD, 2, "quarter")),  # see test_future_quarter
    "inactive-community": (set_cell(COMM, 2, "active_from", "2024Q2"), (Q1_HEAD, 2, "quarter")),
    "published-too-early": (
        set_cell(Q1_HEAD, 2, "published_on", "2024/3/15"),
        (Q1_HEAD, 2, "published_on"),
    ),
    "published-in-future": (
        set_cell(Q2_HEAD, 2, "published_on", "2024年9月20日"),
        (Q2_HEAD, 2, "published_on"),
    ),
    "balance-mismatch": (
        set_cell(Q1_HEAD, 2, "closing_balance", "7,901.00"),
        (Q1_HEAD, 2, "closing_balance"),
    ),
    "no-items": (None, (Q1_HEAD, 3, None)),  # see test_no_items
    "continuity-broken": (
        both(
            set_cell(Q2_HEAD, 2, "opening_balance", "7800.00"),
            set_cell(Q2_HEAD, 2, "closing_balance", "17700.00"),
            set_cell(Q2_HEAD, 2, "account_balance", "17700.00"),
        ),
        (Q2_HEAD, 2, "opening_balance"),
    ),
    "cost-over-cap": (
        both(
            set_cell(Q1_ITEMS, 5, "amount", "2600.00"),
            set_cell(Q1_HEAD, 2, "closing_balance", "5900.00"),
            set_cell(Q1_HEAD, 2, "account_balance", "5900.00"),
        ),
        (Q1_HEAD, 2, None),
    ),
    "use-without-approval": (
        set_cell(Q1_ITEMS, 6, "approval_ref", ""),
        (Q1_ITEMS, 6, "approval_ref"),
    ),
    "not-deposited": (
        set_cell(Q1_HEAD, 2, "account_balance", "¥5,000"),
        (Q1_HEAD, 2, "account_balance"),
    ),
    "duplicate-record": (
        lambda f: f.edit("ledgers/complaints.csv", lambda rows: rows.append(dict(rows[0]))),
        ("ledgers/complaints.csv", 3, "id"),
    ),
    "closed-without-date": (
        set_cell("ledgers/complaints.csv", 2, "closed_on", ""),
        ("ledgers/complaints.csv", 2, "closed_on"),
    ),
    "closed-without-measure": (
        set_cell("ledgers/rectifications.csv", 2, "measure", ""),
        ("ledgers/rectifications.csv", 2, "measure"),
    ),
    "date-order": (
        set_cell("ledgers/rectifications.csv", 2, "deadline", "2024-05-01"),
        ("ledgers/rectifications.csv", 2, "deadline"),
    ),
    "sealed-changed": (
        both(sealed(), set_cell(Q1_ITEMS, 2, "description", "地面停车费（更正）")),
        (Q1_HEAD, 2, None),
    ),
    "sealed-removed": (
        both(
            sealed(),
            lambda f: f.edit(Q1_HEAD, lambda rows: rows.pop(0)),
            lambda f: f.edit(Q1_ITEMS, lambda rows: rows.__delitem__(slice(0, 6))),
        ),
        ("seals/2024Q1.jsonl", 2, None),
    ),  # lines sorted by id
    "unknown-statement": (
        lambda f: f.write(
            "ledgers/corrections.csv",
            "community_id,quarter,corrected_on,reason\n"
            "rongyin-huayuan,2023Q4,2024-05-01,录入错误\n",
        ),
        ("ledgers/corrections.csv", 2, None),
    ),
    # The data folder: every file read, ignored by rule, or named
    "not-regular-file": (
        lambda f: os.mkfifo(f.path(f"{Q1}/more.csv")),
        (f"{Q1}/more.csv", None, None),
    ),
    "duplicate-file": (
        lambda f: shutil.copy(f.path(Q1_ITEMS), f.path(f"{Q1}/items (1).csv")),
        (f"{Q1}/items (1).csv", None, None),
    ),
    "unknown-file": (
        lambda f: f.write(f"{Q1}/notes.txt", "记得下周交\n"),
        (f"{Q1}/notes.txt", None, None),
    ),
    "unknown-folder": (
        lambda f: shutil.copytree(f.path(Q1), f.path("statements/2024Q1 - 副本")),
        ("statements/2024Q1 - 副本", None, None),
    ),
    "undecodable-line": (
        lambda f: f.write(
            Q1_ITEMS,
            f.path(Q1_ITEMS).read_bytes().replace("地面停车费".encode(), b"\xff\xfe\xfd", 1),
        ),
        (Q1_ITEMS, 2, None),
    ),
    "yaml-alias": (
        lambda f: yaml_statement(
            f,
            income="income:\n  - &x {category: parking, description: 停车费, amount: 1}\n  - *x\n",
        ),
        (f"{Q1}/rongyin-huayuan.yaml", 10, None),
    ),
    # Workbooks: see test_excel.py
    "too-many-rows": (None, ("statements/2024Q2/rongyin-huayuan.xlsx", None, None)),
    "formula-without-value": (None, ("statements/2024Q2/rongyin-huayuan.xlsx", 13, "amount")),
    "sheet-not-read": (None, ("statements/2024Q2/rongyin-huayuan.xlsx", None, None)),
    "row-not-read": (None, ("statements/2024Q2/rongyin-huayuan.xlsx", 60, None)),
    "wrong-shape": (
        lambda f: yaml_statement(f, income="note: [一, 二]\n"),
        (f"{Q1}/rongyin-huayuan.yaml", 1, "note"),
    ),
    "control-character": (set_cell(COMM, 2, "name", "榕荫\x07花园"), (COMM, 2, "name")),
    "invalid-phone": (
        replace_text("districts.yaml", "phone: 0591-00000000", "phone: 0591-0000?x"),
        ("districts.yaml", 1, "phone"),
    ),
    "invalid-url": (None, ("site.yaml", None, None)),  # site.yaml: cannot run, see below
    "quarter-out-of-range": (
        both(
            replace_text("site.yaml", "city:", "first_quarter: 2024Q1\ncity:"),
            lambda f: yaml_statement(f, quarter="2015Q1"),
        ),
        ("statements/2015Q1/rongyin-huayuan.yaml", 1, "quarter"),
    ),
    "seal-damaged": (
        both(sealed(), replace_text("seals/2024Q1.jsonl", '"prev":"', '"prev":"0')),
        ("seals/2024Q1.jsonl", 1, None),
    ),
    "seal-missing": (None, ("seals/2024Q1.jsonl", 1, None)),  # needs a witness: test_seals.py
    "unknown-case": (None, ("ledgers/rectifications.csv", 2, "case")),  # at build: test_site
    "negative-count": (base_data(lifts=-1), (COMM, 2, "lifts")),
    "implausible-base-data": (base_data(households=100, lifts=90), (COMM, 2, "lifts")),
    "unknown-contract": (both(contract(), link("HT-9")), (Q1_HEAD, 2, "contract")),
    "contract-not-income": (contract(category="labor"), (CONTRACTS, 2, "category")),
    "contract-not-filed": (both(contract(filed_ref=""), link("HT-1")), (CONTRACTS, 2, "filed_ref")),
    "contract-short": (both(contract(), link("HT-1")), (Q1_HEAD, 2, None)),
    "contract-no-income": (contract(), (Q1_HEAD, 2, None)),
    "income-after-contract": (
        both(contract(end="2023-12-31", amount="2000.00"), link("HT-1")),
        (Q1_HEAD, 2, None),
    ),
    "asset-no-income": (
        both(base_data(lifts=4), set_cell(Q1_ITEMS, 3, "category", "other")),
        (Q1_HEAD, 2, None),
    ),
    "below-peers": (None, (Q1_HEAD, 2, None)),  # needs a district of peers: test_completeness
    # Handing in: checks of invoke intake and invoke check, in test_intake
    "intake-wrong-quarter": (None, (None, None, "quarter")),
    "intake-mixed-quarters": (None, (None, None, "quarter")),
    "intake-conflict": (None, (None, None, None)),
    "intake-in-batch": (None, (None, None, None)),
}


def test_every_check_has_a_case():
    assert set(CASES) == set(FORMAT.checks)


@pytest.mark.parametrize("code", sorted(c for c, (change, _) in CASES.items() if change))
def test_check(folder, code):
    change, (rel, row, field) = CASES[code]
    assert not folder.validate().report.problems
    change(folder)
    found = folder.validate().report.flatten()
    assert (folder.name(rel), row, field, code) in found, found


def test_file_too_large(folder, monkeypatch):
    text = folder.path(Q1_ITEMS).read_text(encoding="utf-8")
    folder.write(Q1_ITEMS, text + text.split("\n", 1)[1] * 5)  # larger than any other file
    monkeypatch.setattr(files, "LIMITS", replace(files.LIMITS, file_bytes=4000))
    found = folder.validate().report.flatten()
    assert (folder.name(Q1_ITEMS), None, None, "file-too-large") in found


def test_future_quarter(folder):
    data = folder.validate(as_of=date(2024, 6, 15))
    assert (folder.name(Q2_HEAD), 2, "quarter", "future-quarter") in data.report.flatten()


def test_no_items(folder):
    folder.edit(Q1_ITEMS, lambda rows: rows.__delitem__(slice(6, None)))
    set_cell(Q1_HEAD, 3, "closing_balance", "1000.00")(folder)
    set_cell(Q1_HEAD, 3, "account_balance", "1000.00")(folder)
    set_cell(Q2_HEAD, 3, "opening_balance", "1000.00")(folder)
    set_cell(Q2_HEAD, 3, "closing_balance", "10900.00")(folder)
    set_cell(Q2_HEAD, 3, "account_balance", "10900.00")(folder)
    found = folder.validate().report.flatten()
    assert found == [(folder.name(Q1_HEAD), 3, None, "no-items")]
    set_cell(Q1_HEAD, 3, "note", "本季度无经营收入")(folder)
    assert folder.validate().report.flatten() == []


def test_error_spoils_the_statement_warning_does_not(folder):
    set_cell(Q1_ITEMS, 2, "amount", "abc")(folder)
    set_cell(Q1_ITEMS, 12, "approval_ref", "")(folder)
    data = folder.validate()
    assert not data.statement("rongyin-huayuan", _q("2024Q1")).valid
    minjiang = data.statement("minjiang-xincun", _q("2024Q1"))
    assert minjiang.valid and [p.code for p in minjiang.problems] == ["use-without-approval"]


def test_missing_column_spoils_every_statement_in_the_file(folder):
    drop_column(Q1_ITEMS, "amount")(folder)
    data = folder.validate()
    assert [s.valid for (_, q), s in data.statements.items() if str(q) == "2024Q1"] == [
        False,
        False,
    ]


def test_all_problems_in_one_run(folder):
    set_cell(Q1_ITEMS, 2, "amount", "abc")(folder)
    set_cell(Q1_HEAD, 3, "published_on", "someday")(folder)
    set_cell(COMM, 3, "committee", "maybe")(folder)
    set_cell("ledgers/complaints.csv", 2, "closed_on", "")(folder)
    codes = {p.code for p in folder.validate().report.problems}
    assert {"invalid-amount", "invalid-date", "invalid-choice", "closed-without-date"} <= codes


def test_statement_with_unknown_community_is_reported_not_published(folder):
    set_cell(Q1_HEAD, 2, "community_id", "nobody-lives-here")(folder)
    data = folder.validate()
    assert [s.community_id for s in data.rejected] == ["nobody-lives-here"]
    assert ("nobody-lives-here", _q("2024Q1")) not in data.statements
    # its items now belong to no header: each row is reported, none is dropped silently
    missing = [p.row for p in data.report.problems if p.code == "missing-header"]
    assert missing == [2, 3, 4, 5, 6, 7]


def test_category_accepts_codes_short_and_full_labels(folder):
    set_cell(Q1_ITEMS, 2, "category", "停车费")(folder)
    set_cell(Q1_ITEMS, 3, "category", "广告费（楼道、屋面、电梯、外墙、道闸等）")(folder)
    set_cell(Q1_ITEMS, 4, "section", "经营成本")(folder)
    data = folder.validate()
    assert data.report.problems == []
    items = data.statement("rongyin-huayuan", _q("2024Q1")).items
    assert [(i.section, i.category) for i in items[:3]] == [
        ("income", "parking"),
        ("income", "advertising"),
        ("cost", "labor"),
    ]


def test_personal_data_is_masked_in_the_report(folder):
    set_cell(Q1_ITEMS, 3, "note", "业主 13812345678 反映")(folder)
    (problem,) = folder.validate().report.problems
    assert problem.value == "138****5678"
    assert "13812345678" not in problem.message


def _q(text):
    from liangshai.quarter import Quarter

    return Quarter.parse(text)


def test_canonical_json_is_what_json_dumps_gives(folder):
    # Seals hold fingerprints of these bytes: the serialiser must never drift from them.
    tricky = {
        "z": '引号"\\\n\t\x00\x1f\x7f\u2028 é 😀 <b>',
        "a": [None, True, 1, {"b": "", "a": []}],
    }
    docs = [s.canonical() for s in folder.validate().statements.values()] + [tricky]
    for doc in docs:
        expected = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert canonical_json(doc) == expected
        assert fingerprint_of(doc) == hashlib.sha256(expected.encode()).hexdigest()
