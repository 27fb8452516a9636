"""Docs derived from the format must agree with it."""

import io
import re
from contextlib import redirect_stderr

from conftest import ROOT
from liangshai.exports.dictionary import data_dictionary
from liangshai.exports.templates import BLANK, write_blank
from liangshai.schema import FORMAT


def test_data_dictionary_is_current():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "run `invoke docs` and commit the result"


def test_every_check_is_well_formed():
    for code, check in FORMAT.checks.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code)
        assert check.severity in ("error", "warning")
        assert check.title and check.message and check.hint
        assert bool(check.flag) == bool(check.owner), code


def test_every_category_and_field_is_documented():
    text = data_dictionary()
    for section in FORMAT.sections:
        for category in section.categories:
            assert f"`{category.code}` | {category.short} |" in text
    for table in FORMAT.tables.values():
        for f in table.fields:
            assert f"| `{f.name}` | {f.label} |" in text


def test_readme_documents_every_task():
    from invoke import Collection

    import tasks

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Collection.from_module(tasks).task_names:
        assert f"invoke {name}" in readme, f"`invoke {name}` is not in the README"


def test_readme_documents_every_setting():
    from liangshai.settings import DEFAULTS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in DEFAULTS:
        if key.endswith(("_URL", "_SAVE_AS")):
            kind = key.removeprefix("LIANGSHAI_").rsplit("_URL", 1)[0].rsplit("_SAVE_AS", 1)[0]
            assert f"`{kind}`" in readme, f"{key} is not documented"
        else:
            assert f"`{key}`" in readme, f"{key} is not documented"


def test_blank_templates_are_current(tmp_path):
    # What the site publishes is what the format makes now: the same CSV bytes, and the same
    # cells, merged ranges and drop-downs in the workbook (its zip bytes may differ between
    # openpyxl versions).
    from openpyxl import load_workbook

    fresh = {p.name: p for p in write_blank(tmp_path)}
    assert sorted(fresh) == sorted(p.name for p in BLANK.iterdir())
    for name, path in fresh.items():
        shipped = BLANK / name
        if name.endswith(".csv"):
            assert shipped.read_bytes() == path.read_bytes(), "run `invoke docs`"
            continue
        for a, b in zip(load_workbook(shipped), load_workbook(path), strict=True):
            assert a.title == b.title
            cells = [[c.value for c in row] for row in a.iter_rows()]
            assert cells == [[c.value for c in row] for row in b.iter_rows()], "run `invoke docs`"
            assert sorted(map(str, a.merged_cells.ranges)) == sorted(
                map(str, b.merged_cells.ranges)
            )
            rules = [(str(v.sqref), v.formula1) for v in a.data_validations.dataValidation]
            assert rules == [(str(v.sqref), v.formula1) for v in b.data_validations.dataValidation]


def test_settings_are_checked_at_start_up(folder, tmp_path):
    from conftest import build

    out = io.StringIO()
    with redirect_stderr(out):
        code = build(
            folder.root,
            tmp_path / "site",
            LIANGSHAI_WORKRES=2,  # a typo
            LIANGSHAI_WORKERS="two",
            LIANGSHAI_COMMUNITY_URL="xiaoqu/",
        )
    said = out.getvalue()
    assert code == 2 and not (tmp_path / "site").exists()
    assert "未知的设置 LIANGSHAI_WORKRES" in said and "LIANGSHAI_WORKERS 应为整数" in said
    assert "LIANGSHAI_COMMUNITY_URL 须含 {key}" in said
    assert "LIANGSHAI_COMMUNITY_SAVE_AS 应为 'xiaoqu/index.html'" in said


def test_every_setting_has_a_help_text():
    from liangshai.settings import SETTINGS

    assert all(name.startswith("LIANGSHAI_") and text for name, _, text in SETTINGS)
