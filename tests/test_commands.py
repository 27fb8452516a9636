"""Every command holds the same promise: bad data gets the Chinese report and exit 1, a
command that cannot run says why and exits 2; never a traceback. And nothing written for
spreadsheet users can run as a formula in them."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from conftest import ROOT, soffice
from liangshai import commands
from liangshai.exports.safe import neutral

HOSTILE = '=HYPERLINK("http://evil.example","点这里")'


def invoke(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "args",
    [
        ("seal", "2024五季度"),
        ("seal", "2024Q1", "--on", "昨天"),
        ("report", "--month", "六月"),
        ("template", "--community", "../../etc"),
        ("template", "--quarter", "Q9"),
        ("demo-data", "--communities", "3", "--out", "/tmp/never"),
        ("posters", "--size", "a0"),
        ("validate", "--data", "/nonexistent"),
        ("report", "--month", "2024-06", "--data", "/nonexistent"),
    ],
)
def test_commands_that_cannot_run_say_why_and_exit_2(args):
    run = invoke(*args)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "无法" in run.stderr


def test_commands_on_broken_data_report_and_exit_1(folder, tmp_path):
    folder.write("statements/2024Q1/items.csv", b"\x01\x02garbage\x00")
    folder.write(
        "ledgers/complaints.csv",
        folder.path("ledgers/complaints.csv")
        .read_text(encoding="utf-8")
        .replace("已督促补充公示", HOSTILE),
    )
    data = str(folder.root)
    for args in (
        ("validate", "--data", data),
        ("report", "--month", "2024-08", "--data", data, "--out", str(tmp_path / "r")),
        ("seal", "2024Q2", "--data", data, "--on", "2024-08-20"),
    ):
        run = invoke(*args)
        assert "Traceback" not in run.stderr, run.stderr
        if args[0] == "seal":  # the valid statements are sealed, the rest named
            assert run.returncode == 0 and "新增 2 份" in run.stdout
        else:
            assert run.returncode == 1 and "file-unreadable" in run.stdout, run.stdout


def test_posters_refuse_without_a_bold_cjk_font(folder, monkeypatch, capsys):
    monkeypatch.setattr(commands, "cjk_bold_fonts", list)
    code = commands.run_posters(folder.root, ROOT / "pelicanconf.py")
    assert code == 2 and "invoke setup" in capsys.readouterr().err


# ----------------------------------------------------------------------------- exports


def test_neutral_cells():
    assert neutral("=1+1") == "'=1+1" and neutral("@SUM(A1)") == "'@SUM(A1)"
    assert neutral("+86 591") == "'+86 591" and neutral("\t=x") == "'\t=x"
    assert neutral("-12.50") == "-12.50" and neutral("12") == "12" and neutral(12) == 12
    assert neutral("") == "" and neutral(None) is None and neutral("停车费") == "停车费"


def runs(cell: str) -> bool:
    """Whether a spreadsheet program would take this CSV cell for a formula."""
    return cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not cell[1:2].isdigit())


def hostile_folder(folder):
    """Hostile text in a statement, a ledger and a note: what anyone may type."""
    folder.edit("statements/2024Q1/items.csv", lambda rows: rows[0].update(description=HOSTILE))
    folder.edit("statements/2024Q1/statements.csv", lambda rows: rows[0].update(note="@cmd"))
    folder.edit("ledgers/rectifications.csv", lambda rows: rows[0].update(description=HOSTILE))
    return folder


def test_open_data_csvs_neutralise_formulas(folder, tmp_path):
    from conftest import build

    hostile_folder(folder)
    out = tmp_path / "site"
    assert build(folder.root, out) == 0
    for rel in ("data/items.csv", "data/statements.csv", "c/rongyin-huayuan/rongyin-huayuan.csv"):
        text = (out / rel).read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if runs(c)], rel
        assert "'" + HOSTILE in cells or "'@cmd" in cells, rel
    # the JSON keeps the text as typed: only spreadsheets need the apostrophe
    assert HOSTILE.replace('"', '\\"') in (out / "data/statements.json").read_text("utf-8")


def test_monthly_export_has_no_formulas_even_in_libreoffice(folder, tmp_path):
    from liangshai.exports.monthly import write_report

    hostile_folder(folder)
    (xlsx, *csvs), _ = write_report(folder.validate(), "2024-08", tmp_path)
    wb = load_workbook(xlsx)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert HOSTILE in [c.value for c in cells]  # as text, whole
    # LibreOffice opens it and saves what it shows: the typed text, not a computed link
    as_csv = soffice(xlsx, "csv", tmp_path / "lo")  # the first sheet, 整改台账
    assert "=HYPERLINK" in as_csv.read_bytes().decode("utf-8", errors="replace")
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            assert not [c for c in row if runs(c)], path


def test_template_prefill_is_text(tmp_path):
    from liangshai.exports.templates import write_template
    from liangshai.load.workbook import SHEET

    path = write_template(tmp_path / "t.xlsx", "=1+1", "2024Q1")
    ws = load_workbook(path)[SHEET]
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
