"""Docs derived from the format must agree with it."""

import re

from conftest import ROOT
from liangshai.docs import data_dictionary
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
    from liangshai import DEFAULTS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in DEFAULTS:
        if key.endswith(("_URL", "_SAVE_AS")):
            kind = key.removeprefix("LIANGSHAI_").rsplit("_URL", 1)[0].rsplit("_SAVE_AS", 1)[0]
            assert f"`{kind}`" in readme, f"{key} is not documented"
        else:
            assert f"`{key}`" in readme, f"{key} is not documented"
