"""A functional test in Pelican's style: the sample's open data, byte for byte as committed in
tests/expected/. When a change to the open data is intended, `invoke expected` writes it
again and the diff of tests/expected/ shows, in review, what every user of the data will see
change."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from conftest import ROOT, build
from liangshai.commands import open_data

EXPECTED = ROOT / "tests" / "expected"


def _expected() -> dict[str, bytes]:
    files = sorted(p for p in EXPECTED.rglob("*") if p.is_file())
    return {p.relative_to(EXPECTED).as_posix(): p.read_bytes() for p in files}


def _first_difference(name: str, want: bytes, got: bytes) -> str:
    lines = difflib.unified_diff(
        want.decode("utf-8", "replace").splitlines()[:2000],
        got.decode("utf-8", "replace").splitlines()[:2000],
        f"expected/{name}",
        f"built/{name}",
        lineterm="",
        n=1,
    )
    return "\n".join(line[:300] for line in list(lines)[:20])


def test_the_samples_open_data_is_as_expected(sample_site: Path):
    built, expected = open_data(sample_site), _expected()
    assert sorted(built) == sorted(expected), "files added or gone: run `invoke expected`"
    changed = [name for name in built if built[name] != expected[name]]
    assert not changed, (
        f"{len(changed)} open-data files changed ({', '.join(changed[:5])}); if intended, "
        "run `invoke expected` and commit tests/expected/.\n"
        + _first_difference(changed[0], expected[changed[0]], built[changed[0]])
    )


def test_a_changed_name_shows_in_the_comparison(sample_copy: Path, tmp_path: Path):
    """Not vacuous: one community renamed in the data changes the files that name it."""
    data = tmp_path / "data"
    shutil.copytree(sample_copy, data)
    registry = data / "communities.csv"
    text = registry.read_text(encoding="utf-8")
    name = text.split("\n")[1].split(",")[1]  # the first community's
    registry.write_text(text.replace(f",{name},", f",{name}（测试）,", 1), encoding="utf-8")
    assert build(data, tmp_path / "publish") == 0
    built, expected = open_data(tmp_path / "publish"), _expected()
    changed = {name for name in built if built[name] != expected[name]}
    assert {"data/statements.csv", "data/communities.csv", "search.json"} <= changed
    assert "data/datapackage.json" not in changed
