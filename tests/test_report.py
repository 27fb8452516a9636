"""The validation report as a user reads it, and `invoke validate`'s exit codes."""

import io
import json
import subprocess
import sys

from conftest import ROOT
from liangshai.commands import run_validate


def _break_amounts(folder, n=6):
    def change(rows):
        for r in rows[:n]:
            r["amount"] = "约一万"

    folder.edit("statements/2024Q1/items.csv", change)


def test_text_report_groups_by_file_and_folds_repeats(folder):
    _break_amounts(folder)
    out = io.StringIO()
    assert run_validate(folder.root, out=out) == 1
    text = out.getvalue()
    assert "data/statements/2024Q1/items.csv：6 个错误，0 个警告" in text
    assert "第 2 行及另外 5 行「金额（元）」 [invalid-amount] “约一万”不是有效的金额" in text
    assert "→ 以元为单位填写数字" in text
    assert text.rstrip().endswith("6 个错误，0 个警告。")


def test_exit_codes_and_strict(folder, tmp_path):
    assert run_validate(folder.root, out=io.StringIO()) == 0
    folder.edit("statements/2024Q1/items.csv", lambda rows: rows[4].update(approval_ref=""))
    assert run_validate(folder.root, out=io.StringIO()) == 0  # a warning only
    assert run_validate(folder.root, strict=True, out=io.StringIO()) == 1
    assert run_validate(tmp_path / "nowhere", out=io.StringIO()) == 2
    folder.write("site.yaml", "as_of: [")
    assert run_validate(folder.root, out=io.StringIO()) == 2


def test_json_report(folder, tmp_path):
    _break_amounts(folder, 2)
    path = tmp_path / "out" / "report.json"
    run_validate(folder.root, json_file=str(path), out=io.StringIO())
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["report_version"] == 3 and doc["valid"] is False
    assert "data/statements/2024Q1/items.csv" in doc["files"]["read"]
    assert len(doc["files"]["read"]) == 11 and doc["files"]["ignored"] == []
    assert doc["stats"] == {
        "communities": 2,
        "statements": 4,
        "invalid_statements": 1,
        "errors": 2,
        "warnings": 0,
    }
    first = doc["problems"][0]
    assert {k: first[k] for k in ("code", "severity", "file", "row", "field", "value")} == {
        "code": "invalid-amount",
        "severity": "error",
        "file": "data/statements/2024Q1/items.csv",
        "row": 2,
        "field": "amount",
        "value": "约一万",
    }
    assert first["message"] and first["hint"] and first["label"] == "金额（元）"
    documented = (ROOT / "docs" / "validation-report.md").read_text(encoding="utf-8")
    for key in [*doc, *doc["stats"], *first]:
        assert f"`{key}`" in documented, f"{key} is not documented"


def test_invoke_validate_exit_code(folder):
    _break_amounts(folder, 1)
    run = subprocess.run(
        [sys.executable, "-m", "invoke", "validate", "--data", str(folder.root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stderr
    assert "[invalid-amount]" in run.stdout
