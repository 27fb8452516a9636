"""Incremental builds: unchanged units are reused, and the result equals a full build."""

from __future__ import annotations

import filecmp
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, Folder, build
from liangshai.build.atomic import build_site
from liangshai.site.datapackage import REFERENCE


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_incremental_build_equals_full_build(folder, tmp_path):
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    before = {p: p.stat().st_ino for p in out.rglob("*.html")}
    folder.edit(
        "statements/2024Q2/statements.csv",
        lambda rows: rows[1].update(note="补充说明：快递柜进场费按季度结算"),
    )
    log = io.StringIO()
    assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
    # kept: rongyin-huayuan, its company, 12 of 13 districts, the reference tables, the
    # ledgers page and both quarters' 通报 pages (a note lists no one); re-rendered:
    # minjiang-xincun, its company and its district (台江), and the other city pages
    assert "18 个单元未变化" in log.getvalue()
    fresh = tmp_path / "fresh"
    assert build(folder.root, fresh, cache=tmp_path / "other-cache") == 0
    assert tree(out) == tree(fresh)
    unchanged = out / "c/rongyin-huayuan/index.html"
    changed = out / "c/minjiang-xincun/index.html"
    # the unchanged page is the same file (a hard link to the previous build's), not a copy
    old = {p.relative_to(tmp_path).parts[1:]: ino for p, ino in before.items()}
    assert unchanged.stat().st_ino == old[("c", "rongyin-huayuan", "index.html")]
    assert changed.stat().st_ino != old[("c", "minjiang-xincun", "index.html")]
    assert (out / "d/gulou/index.html").stat().st_ino == old[("d", "gulou", "index.html")]
    assert (out / "d/taijiang/index.html").stat().st_ino != old[("d", "taijiang", "index.html")]
    assert "快递柜进场费按季度结算" in changed.read_text(encoding="utf-8")


def test_nothing_changed_nothing_built(folder, tmp_path):
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    log = io.StringIO()
    assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
    assert "输入没有变化" in log.getvalue()
    folder.edit("ledgers/complaints.csv", lambda rows: rows[0].update(outcome="已公示"))
    log = io.StringIO()
    build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log)
    assert "网站已生成" in log.getvalue()
    assert "已公示" in (out / "c/minjiang-xincun/index.html").read_text(encoding="utf-8")


def test_what_ledgers_make_is_kept_until_what_it_is_made_of_changes(sample_copy, tmp_path):
    """The reference tables (communities.csv, the ledgers, datapackage.json) and the city's
    ledgers page are made again only when the registry, a ledger file, the validity of a
    ledger row or the column's articles change."""
    folder, content = Folder(tmp_path / "data"), tmp_path / "content"
    shutil.copytree(sample_copy, folder.root)
    shutil.copytree(ROOT / "content", content)
    shutil.rmtree(folder.path("seals"))  # free to change any quarter
    out, cache = tmp_path / "publish", tmp_path / "cache"
    runs = iter(range(10))

    def built() -> dict[str, int]:
        """Build incrementally, check it against a full build, and give the reference
        tables' inodes."""
        assert build(folder.root, out, cache=cache, PATH=str(content)) == 0
        fresh = tmp_path / f"fresh-{next(runs)}"
        assert (
            build(folder.root, fresh, cache=fresh.with_name(fresh.name + "-c"), PATH=str(content))
            == 0
        )
        assert tree(out) == tree(fresh)
        made = [f"data/{name}" for name in REFERENCE] + ["ledgers/index.html"]
        return {name: (out / name).stat().st_ino for name in made}

    first = built()
    folder.edit("statements/2025Q1/statements.csv", lambda rows: rows[0].update(note="补充说明"))
    assert built() == first  # a statement is none of theirs

    # the statement a correction names is withdrawn: the correction is no longer valid, and
    # corrections.csv (whose file did not change) loses it
    folder.edit(
        "statements/2025Q2/statements.csv",
        lambda rows: rows.remove(next(r for r in rows if r["community_id"] == "guangming-yuan")),
    )
    folder.edit(
        "statements/2025Q2/items.csv",
        lambda rows: rows.__setitem__(
            slice(None), [r for r in rows if r["community_id"] != "guangming-yuan"]
        ),
    )
    second = built()
    assert second["data/corrections.csv"] != first["data/corrections.csv"]
    assert "guangming-yuan" not in (out / "data/corrections.csv").read_text(encoding="utf-8-sig")

    # the article a rectification names as its 典型案例 is taken down: its case goes blank
    assert "case-occupied-ground-floor" in (out / "ledgers/index.html").read_text("utf-8")
    (content / "column/2024-09-10-anli-jiakongceng.md").unlink()
    third = built()
    assert third["data/rectifications.csv"] != second["data/rectifications.csv"]
    assert third["ledgers/index.html"] != second["ledgers/index.html"]
    rectifications = (out / "data/rectifications.csv").read_text(encoding="utf-8-sig")
    assert "case-occupied-ground-floor" not in rectifications
    assert "case-occupied-ground-floor" not in (out / "ledgers/index.html").read_text("utf-8")

    folder.edit("ledgers/contracts.csv", lambda rows: rows[0].update(counterparty="福州某某传媒"))
    fourth = built()
    assert fourth["data/contracts.csv"] != third["data/contracts.csv"]
    assert "福州某某传媒" in (out / "data/contracts.csv").read_text(encoding="utf-8-sig")


def test_a_quarters_watch_page_is_made_again_when_its_list_changes(sample_copy, tmp_path):
    """Each quarter's 通报 page is kept while its candidates are as they were: a statement
    withdrawn puts its community on that quarter's list (未公示), and only that page is
    made again."""
    folder = Folder(tmp_path / "data")
    shutil.copytree(sample_copy, folder.root)
    shutil.rmtree(folder.path("seals"))  # free to change any quarter
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    pages = {p.parent.name: p.stat().st_ino for p in out.glob("watch/*/index.html")}
    gone = folder.rows("statements/2025Q1/statements.csv")[0]["community_id"]
    for name in ("statements", "items"):
        folder.edit(
            f"statements/2025Q1/{name}.csv",
            lambda rows: rows.__setitem__(
                slice(None), [r for r in rows if r["community_id"] != gone]
            ),
        )
    assert build(folder.root, out, cache=cache) == 0
    fresh = tmp_path / "fresh"
    assert build(folder.root, fresh, cache=tmp_path / "fresh-cache") == 0
    assert tree(out) == tree(fresh)
    now = {p.parent.name: p.stat().st_ino for p in out.glob("watch/*/index.html")}
    assert [q for q in now if now[q] != pages[q]] == ["2025Q1"]
    name = folder.rows("communities.csv")
    listed = next(r["name"] for r in name if r["id"] == gone)
    assert listed in (out / "watch/2025Q1/index.html").read_text(encoding="utf-8")


def test_unit_keys_tell_apart_what_a_page_may_show():
    from decimal import Decimal

    from liangshai.assess.status import Status
    from liangshai.digest import unit_key
    from liangshai.quarter import Quarter

    different = [
        (Decimal("1.0"), Decimal("1.00")),  # 1.0 and 1.00 print differently
        (Quarter(2025, 1), Quarter(2025, 2)),
        (Status.LATE, Status.ON_TIME),
        (None, ""),
        (("a", "b"), ("ab",)),
        ({1: "a"}, {2: "a"}),  # a dict JSON cannot hold: by its repr
        ("\ud800", "\ud801"),  # text that is not Unicode: by its repr
    ]
    for one, other in different:
        assert unit_key(one) != unit_key(other)
    assert unit_key("a", "b") != unit_key("ab") != unit_key("a", "b", None)
    assert unit_key(Quarter(2025, 1), {"x": Decimal("2.50")}) == unit_key(
        Quarter(2025, 1), {"x": Decimal("2.50")}
    )


def test_a_template_edited_between_builds_is_compiled_again(folder, tmp_path):
    """Compiled templates are kept in the cache; an edited one is not taken from it."""
    theme, out, cache = tmp_path / "theme", tmp_path / "publish", tmp_path / "cache"
    shutil.copytree(ROOT / "theme", theme)
    assert build(folder.root, out, cache=cache, THEME=str(theme)) == 0
    assert list((cache / "jinja").iterdir())  # the compiled templates were kept
    base = theme / "templates/base.html"
    base.write_text(
        base.read_text(encoding="utf-8").replace(
            '<footer class="site-footer">', '<footer class="site-footer"><p>模板已修改</p>'
        ),
        encoding="utf-8",
    )
    assert build(folder.root, out, cache=cache, THEME=str(theme)) == 0
    assert "模板已修改" in (out / "c/rongyin-huayuan/index.html").read_text(encoding="utf-8")


def test_nothing_changed_is_told_without_pelican_or_reading_the_data(folder, tmp_path):
    from liangshai.digest import FileHashes

    out, cache = tmp_path / "publish", tmp_path / "cache"
    time.sleep(FileHashes.RACY + 0.1)  # the files' clock tick over, as for data handed in before
    assert build(folder.root, out, cache=cache) == 0
    # a second build, in a process of its own, noting every file it reads
    again = (
        "import io, pathlib, sys\n"
        "read = []\n"
        "bytes_of = pathlib.Path.read_bytes\n"
        "pathlib.Path.read_bytes = lambda p: read.append(str(p)) or bytes_of(p)\n"
        "from liangshai.build.atomic import build_site\n"
        "log = io.StringIO()\n"
        f"build_site({str(ROOT / 'pelicanconf.py')!r}, {str(out)!r}, data={str(folder.root)!r}, "
        f"cache={str(cache)!r}, out=log)\n"
        "print(log.getvalue(), 'pelican' in sys.modules, [p for p in read if '/data/' in p])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    said = subprocess.run(
        [sys.executable, "-c", again], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "输入没有变化" in said and said.split()[-2:] == ["False", "[]"]

    # one character changed, the size kept and the modification time put back as it was:
    # the file's change time (which no program can set) still tells
    items = folder.path("statements/2024Q2/items.csv")
    st = items.stat()
    text = items.read_bytes()
    assert text.count("地面停车费".encode()) >= 1
    items.write_bytes(text.replace("地面停车费".encode(), "地面泊车费".encode(), 1))
    os.utime(items, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert items.stat().st_size == st.st_size and items.stat().st_mtime_ns == st.st_mtime_ns
    log = io.StringIO()
    assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
    assert "网站已生成" in log.getvalue()
    assert "地面泊车费" in (out / "c/rongyin-huayuan/index.html").read_text(encoding="utf-8")

    # what the build is told over the settings file counts too: --strict, or any setting
    for told in [{"SITENAME": "晾晒·福州"}, {"strict": True}]:
        log = io.StringIO()
        build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log, **told)
        assert "输入没有变化" not in log.getvalue(), told


def test_a_file_is_trusted_by_its_status_only_once_it_has_aged(tmp_path):
    from liangshai.digest import FileHashes

    path = tmp_path / "items.csv"
    path.write_text("a,b\n", encoding="utf-8")
    hashes = FileHashes()
    first = hashes.of(path)
    assert hashes.trusted() == {}  # written within the clock tick of the look: read next time
    hashes.started += (FileHashes.RACY + 1) * 10**9  # the same look, had it come later
    known = hashes.trusted()
    assert list(known) == [str(path)]
    path.write_text("x,y\n", encoding="utf-8")  # the same size, a new status: read again
    again = FileHashes(known)
    assert again.of(path) != first and again.of(path) == FileHashes().of(path)


def test_removed_output_is_rebuilt(folder, tmp_path):
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    (out / "c/rongyin-huayuan/index.html").unlink()
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows[1].update(note="x"))
    assert build(folder.root, out, cache=cache) == 0
    fresh = tmp_path / "fresh"
    assert build(folder.root, fresh, cache=tmp_path / "other-cache") == 0
    assert filecmp.cmp(
        out / "c/rongyin-huayuan/index.html", fresh / "c/rongyin-huayuan/index.html", shallow=False
    )


def test_two_processes_make_the_same_site(sample_copy, tmp_path):
    """The forked renderers (used from 100 changed communities up) change no byte."""
    serial, forked = tmp_path / "serial", tmp_path / "forked"
    assert build(sample_copy, serial, cache=tmp_path / "c1", LIANGSHAI_WORKERS=1) == 0
    assert (
        build(
            sample_copy,
            forked,
            cache=tmp_path / "c2",
            LIANGSHAI_WORKERS=2,
            LIANGSHAI_PARALLEL_LEAST=1,
        )
        == 0
    )
    assert tree(serial) == tree(forked)


def test_cached_validation_equals_fresh(sample_copy, tmp_path):
    from liangshai.cache import Stored
    from liangshai.validate.folder import validate_folder

    fresh = validate_folder(sample_copy)
    made = validate_folder(sample_copy, cache=tmp_path)
    cached = validate_folder(sample_copy, cache=tmp_path)
    # a file per group: each quarter's batch tables, and 2025Q2's workbook and two YAML files
    assert len(list((tmp_path / "validation").glob("*.pickle"))) == 6 + 3
    for data in (made, cached):  # the items stay in the cache, in both runs, until used
        assert [repr(p) for p in data.report.problems] == [repr(p) for p in fresh.report.problems]
        assert data.report.read == fresh.report.read
        assert {k: s.canonical() for k, s in data.statements.items()} == {
            k: s.canonical() for k, s in fresh.statements.items()
        }
        for key, s in data.statements.items():
            assert isinstance(s.items, Stored) and len(s.items) == len(fresh.statements[key].items)
            assert list(s.items) == fresh.statements[key].items
            assert s.totals == fresh.statements[key].totals
            # every other field (the cache pickles a statement as its fields, in order)
            others = [f for f in type(s).__dataclass_fields__ if f != "items"]
            assert [repr(getattr(s, f)) for f in others] == [
                repr(getattr(fresh.statements[key], f)) for f in others
            ]


def test_a_statement_pickled_keeps_every_field(sample_copy):
    """The cache pickles a statement as its fields in order, its fingerprint with them."""
    import pickle

    from liangshai.validate.folder import validate_folder

    data = validate_folder(sample_copy)
    statement = next(s for s in data.statements.values() if s.problems and s.items)
    statement.fingerprint  # noqa: B018 -- taken once, kept
    back = pickle.loads(pickle.dumps(statement, protocol=5))
    fields = type(statement).__dataclass_fields__
    assert [repr(getattr(back, f)) for f in fields] == [repr(getattr(statement, f)) for f in fields]
    assert back._fingerprint == statement.fingerprint


def test_a_statement_filed_as_its_own_file_is_the_only_one_read_again(
    sample_copy, tmp_path, monkeypatch
):
    """A quarter folder is read as groups: its batch tables, and each workbook and YAML file
    (as intake files them). A changed file is read again, its quarter's other groups come
    from the cache, and the result is what a fresh run finds, problems in the same order."""
    from liangshai.load import files, inputs
    from liangshai.validate.folder import validate_folder

    data = shutil.copytree(sample_copy, tmp_path / "data")
    validate_folder(data, cache=tmp_path / "cache")
    statement = data / "statements/2025Q2/wuyi-dasha.yaml"
    text = statement.read_text(encoding="utf-8")
    statement.write_text(text.replace("quarter:", "# 重新报送\nquarter:", 1), encoding="utf-8")
    fresh = validate_folder(data)

    def no(*args):
        raise AssertionError("read again")

    read, opened = [], []
    _read = files.Source._read
    monkeypatch.setattr(
        files.Source, "_read", lambda s, n: opened.append(s.path.relative_to(data)) or _read(s, n)
    )
    monkeypatch.setattr(inputs, "batch_drafts", no)
    monkeypatch.setattr(inputs, "read_workbook", no)
    monkeypatch.setitem(inputs.READERS, "xlsx", no)
    yaml_reader = inputs.READERS["yaml"]
    monkeypatch.setitem(inputs.READERS, "yaml", lambda s: read.append(s.name) or yaml_reader(s))
    again = validate_folder(data, cache=tmp_path / "cache")
    assert read == [fresh.statements_of("wuyi-dasha")[-1].file]
    quarter = Path("statements/2025Q2")
    assert opened.count(quarter / "items.csv") == 1  # by the layout only, to know it unchanged
    assert opened.count(quarter / "wuyi-dasha.yaml") == 2  # and the changed file again, alone
    assert [repr(p) for p in again.report.problems] == [repr(p) for p in fresh.report.problems]
    assert {k: s.canonical() for k, s in again.statements.items()} == {
        k: s.canonical() for k, s in fresh.statements.items()
    }


def test_a_group_checked_from_the_cache_reads_its_files_as_one_pass_does(sample_copy, tmp_path):
    """A group to check is read again on its own; a batch file the layout had to decode to
    know it (renamed, in GBK as WPS saves it, a line of it broken) is decoded there again,
    its findings reported once, in the order of a run without a cache."""
    from liangshai.validate.folder import validate_folder

    data = shutil.copytree(sample_copy, tmp_path / "data")
    folder = data / "statements/2025Q2"
    text = (folder / "statements.csv").read_text(encoding="utf-8-sig")
    (folder / "statements.csv").unlink()
    lines = text.encode("gb18030").split(b"\n")
    lines[2] = lines[2].replace(b",", b",\xff", 1)  # a line that is not text
    (folder / "二季度公示表.csv").write_bytes(b"\n".join(lines))
    fresh = validate_folder(data)
    assert "undecodable-line" in {p.code for p in fresh.report.problems}
    for run in ("made", "cached"):
        got = validate_folder(data, cache=tmp_path / "cache")
        assert [repr(p) for p in got.report.problems] == [repr(p) for p in fresh.report.problems]
        assert got.report.read == fresh.report.read, run
        assert {k: s.canonical() for k, s in got.statements.items()} == {
            k: s.canonical() for k, s in fresh.statements.items()
        }


def test_a_damaged_validation_cache_file_is_checked_again(sample_copy, tmp_path):
    """A cache file cut short (a full disk, a copy interrupted) or holding something else is
    not trusted: its folder is checked again, the file made anew, the result as if fresh."""
    from liangshai.validate.folder import validate_folder

    fresh = validate_folder(sample_copy)
    validate_folder(sample_copy, cache=tmp_path)
    files = sorted((tmp_path / "validation").glob("*.pickle"))
    whole = {f: f.read_bytes() for f in files}
    files[0].write_bytes(whole[files[0]][:-10])  # the last statement's items cut short
    files[1].write_bytes(b"PK\x03\x04 not a pickle")
    files[2].write_bytes(whole[files[2]][:100])
    again = validate_folder(sample_copy, cache=tmp_path)
    assert {k: s.canonical() for k, s in again.statements.items()} == {
        k: s.canonical() for k, s in fresh.statements.items()
    }
    assert sorted(again.report.flatten(), key=repr) == sorted(fresh.report.flatten(), key=repr)
    assert {f: f.read_bytes() for f in files} == whole


def test_items_are_read_from_the_cache_file_as_it_was_loaded(sample_copy, tmp_path):
    """A statement's items are read from its folder's cache file when used, through the file
    as the run loaded it: replaced or removed since (another run pruned it, a cleaner), it is
    still read as it was. Where no run holds it open (the items pickled to another process),
    a changed file stops the run, never shows other items."""
    import pickle

    from liangshai import cache
    from liangshai.validate.folder import validate_folder

    data = validate_folder(sample_copy, cache=tmp_path)
    statement = next(s for s in data.statements.values() if s.items)
    items = list(statement.items)
    path = Path(statement.items.path)
    elsewhere = pickle.loads(pickle.dumps(statement.items))
    copy = path.with_name("copy")
    shutil.copyfile(path, copy)
    copy.replace(path)  # the same bytes, but another file
    cache._read.cache_clear()  # as when the memo of the last items read has moved on
    assert list(statement.items) == items
    with pytest.raises(cache.CacheChanged):
        list(elsewhere)
    path.unlink()
    cache._read.cache_clear()
    assert list(statement.items) == items
    with pytest.raises(cache.CacheChanged, match="被删除或改写"):
        list(elsewhere)


def test_validation_cache_files_no_run_needs_are_removed(sample_copy, tmp_path):
    """Each version of a quarter folder's group has its cache file (its batch tables: about
    100 MB at province scale): the older versions of this data's groups go, and what an
    earlier release or a killed writer left; another data folder's stay until nobody read
    them for 30 days."""
    from liangshai import cache
    from liangshai.cache import FORGOTTEN, WRITING
    from liangshai.validate.folder import validate_folder

    data, validation = shutil.copytree(sample_copy, tmp_path / "data"), tmp_path / "validation"
    first = validate_folder(data, cache=tmp_path)
    other = validate_folder(shutil.copytree(sample_copy, tmp_path / "other"), cache=tmp_path)
    ours = sorted(validation.glob("*.pickle"))
    assert len(ours) == 2 * (6 + 3) and other.statements  # both folders' groups (see above)
    earlier, tmp = validation / f"{'a' * 40}.pickle", validation / "x.pickle.123.tmp"
    earlier.write_bytes(b"an earlier release's file")
    tmp.write_bytes(b"half")
    items = [s.items for s in first.statements.values() if s.quarter == max(first.quarters)]
    before = [list(i) for i in items]
    edit = data / "statements" / str(max(first.quarters)) / "statements.csv"
    edit.write_text(edit.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    validate_folder(data, cache=tmp_path)
    now = sorted(validation.glob("*"))
    assert len(now) == len(ours) + 1  # one version of the quarter replaced by another; tmp
    assert not earlier.exists() and tmp.exists()
    cache._read.cache_clear()
    assert [list(i) for i in items] == before  # the first run still reads the old version
    old = time.time() - FORGOTTEN - 60
    for path in validation.glob("*.pickle"):
        os.utime(path, (old, old))
    os.utime(tmp, (time.time() - WRITING - 60,) * 2)
    validate_folder(data, cache=tmp_path)
    left = sorted(validation.glob("*"))
    assert len(left) == len(ours) // 2 and not tmp.exists()  # the other data's are forgotten


def test_a_cache_file_named_by_its_content_is_written_once(tmp_path):
    """Another process may be reading items from a validation cache file: one that checked
    the same folder at the same time leaves it as it is (the file holds the same)."""
    from liangshai.cache import replacing

    path = tmp_path / "f.pickle"
    for text in ("first", "second"):
        with replacing(path, keep=True) as tmp:
            tmp.write_text(text)
    assert path.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["f.pickle"]
    with replacing(path) as tmp:
        tmp.write_text("third")
    assert path.read_text() == "third"


def test_city_files_are_copied_only_from_what_the_last_build_wrote(folder, tmp_path, monkeypatch):
    """The city-wide files' unchanged pieces are copied from the last build's files. A file
    changed since (cut short, replaced), an index that does not hold together, or none: the
    pieces are made again. Either way the files are what a full build writes."""
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    (cache / "opendata.sqlite").write_bytes(b"SQLite format 3\0")  # an earlier release's store
    index = cache / "city-files.json"

    def cut_short():
        with open(out / "data/items.csv", "r+b") as f:
            f.truncate(os.path.getsize(out / "data/items.csv") - 10)

    def replaced():
        text = (out / "data/statements.json").read_bytes()
        (out / "data/statements.json").unlink()
        (out / "data/statements.json").write_bytes(text.replace(b"rongyin", b"rongyan"))

    def shifted():
        doc = json.loads(index.read_text(encoding="utf-8"))
        doc["files"]["items.csv"][1][2:4] = [10**9, 10**9 + 1]
        index.write_text(json.dumps(doc), encoding="utf-8")

    from liangshai.site import joined

    copies = []
    copy_range = joined._copy_range
    monkeypatch.setattr(joined, "_copy_range", lambda *a: copies.append(a) or copy_range(*a))
    intact = lambda: None  # noqa: E731
    damages = [intact, cut_short, replaced, shifted, index.unlink, intact]
    for k, damage in enumerate(damages):
        damage()
        copies.clear()
        folder.edit(
            "statements/2024Q2/statements.csv", lambda rows, k=k: rows[0].update(note=f"第 {k} 次")
        )
        log = io.StringIO()
        assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
        assert "个单元未变化" in log.getvalue()  # the other community's unit was kept
        fresh = tmp_path / f"fresh-{k}"
        assert build(folder.root, fresh, cache=tmp_path / f"fresh-cache-{k}") == 0
        assert tree(out / "data") == tree(fresh / "data"), damage
        assert bool(copies) == (damage is intact)  # copied from intact files only
    assert not (cache / "opendata.sqlite").exists()


def test_the_city_files_thread_waits_for_fragments_and_gives_up_when_none_will_come(tmp_path):
    """The city files are joined in another thread as the fragments are put: a fragment
    is waited for until it is put, and asked for once no more are coming, it is an error
    (never a build that hangs)."""
    import threading

    from liangshai.site.joined import Scratch

    scratch, got = Scratch(tmp_path), []
    reader = threading.Thread(target=lambda: got.append(scratch.get("b")))
    reader.start()
    scratch.put("a", {"piece": "甲"})
    reader.join(0.05)
    assert reader.is_alive() and not got  # "b" not put yet: still waiting
    scratch.put("b", {"piece": "乙"})
    reader.join()
    assert got == [{"piece": "乙"}] and scratch.get("a") == {"piece": "甲"}
    scratch.all_put()
    with pytest.raises(KeyError):
        scratch.get("c")
    scratch.close()


def test_a_page_that_fails_while_the_city_files_are_joined_fails_the_build(
    folder, tmp_path, monkeypatch
):
    """A community page that cannot be made ends the build with its error: the thread that
    joins the city files, waiting for that community's fragment, gives up and is joined;
    the published site is the last one, whole."""
    import threading

    from liangshai.site.generator import LiangshaiGenerator

    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    before = tree(out)
    write = LiangshaiGenerator.write_community

    def fails(self, out, view, key):
        if view.community.id == "minjiang-xincun":
            raise RuntimeError("模板出错")
        return write(self, out, view, key)

    monkeypatch.setattr(LiangshaiGenerator, "write_community", fails)
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows[1].update(note="改"))
    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="模板出错"):
        build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=io.StringIO())
    assert threading.active_count() == threads  # the city files' thread ended with it
    assert tree(out) == before
    monkeypatch.undo()
    assert build(folder.root, out, cache=cache) == 0
    fresh = tmp_path / "fresh"
    assert build(folder.root, fresh, cache=tmp_path / "fresh-cache") == 0
    assert tree(out) == tree(fresh)


def test_tampered_build_records_mean_a_full_build(folder, tmp_path):
    """The build's own records in the cache, overwritten with JSON of the wrong shape (or
    with nothing readable), are not trusted: the site is built in full, then kept."""
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    for text in ('"x"', "[1, 2]", "{not json"):
        for name in ("build-inputs.json", "build-manifest.json"):
            (cache / name).write_text(text, encoding="utf-8")
        log = io.StringIO()
        assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
        assert "网站已生成" in log.getvalue()
    log = io.StringIO()
    assert build_site(ROOT / "pelicanconf.py", out, data=folder.root, cache=cache, out=log) == 0
    assert "输入没有变化" in log.getvalue()


def layout(root: Path) -> dict:
    """Every folder and file under root, each file with its bytes."""
    return {
        p.relative_to(root): p.read_bytes() if p.is_file() else "folder"
        for p in sorted(root.rglob("*"))
    }


def test_builds_through_the_spare_tree_equal_full_builds(folder, tmp_path):
    """From the third build on, the spare tree (the site before last) is brought up to date and
    swapped in: what this build wrote, what the last one wrote, the files no longer made and the
    folders they leave empty all come out as in a full build; the old site becomes the spare."""
    out, cache = tmp_path / "publish", tmp_path / "cache"
    assert build(folder.root, out, cache=cache) == 0
    roots = [out.stat().st_ino]
    note = "statements/2024Q2/statements.csv"
    edits = [
        lambda: folder.edit(note, lambda rows: rows[1].update(note="第二次：补充说明")),
        lambda: folder.edit(note, lambda rows: rows[0].update(note="第三次：另一个小区")),
        # a community renamed: its files go, its old id becomes a redirect, a new folder comes
        lambda: folder.edit(
            "communities.csv",
            lambda rows: rows[0].update(id="rongyin-garden", former_ids="rongyin-huayuan"),
        ),
        lambda: folder.edit(
            "communities.csv", lambda rows: rows[0].update(id="rongyin-huayuan", former_ids="")
        ),
        lambda: folder.edit(note, lambda rows: rows[1].update(note="")),
    ]
    for k, edit in enumerate(edits):
        edit()
        assert build(folder.root, out, cache=cache) == 0
        roots.append(out.stat().st_ino)
        fresh = tmp_path / f"fresh-{k}"
        assert build(folder.root, fresh, cache=tmp_path / f"fresh-cache-{k}") == 0
        assert layout(out) == layout(fresh), f"build {k + 2}"
        assert (tmp_path / ".publish.spare").is_dir()
    # the second build made a new tree (there was no spare yet); every later one used the spare
    assert roots[2:] == roots[:-2] and len(set(roots)) == 2
    assert not (out / "c/rongyin-garden").exists()
    # a build that kept nothing (every page names the site) leaves no spare: it shares no file
    assert build(folder.root, out, cache=cache, SITENAME="晾晒·福州") == 0
    assert not (tmp_path / ".publish.spare").exists()
    fresh = tmp_path / "fresh-renamed"
    assert build(folder.root, fresh, cache=tmp_path / "fresh-cache", SITENAME="晾晒·福州") == 0
    assert layout(out) == layout(fresh)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_a_spare_tree_the_record_does_not_vouch_for_is_not_used(folder, tmp_path):
    """A spare folder replaced by another, or a manifest whose lists are not lists of paths
    inside the tree: the build makes a whole new tree instead, and nothing outside is touched."""
    out, cache = tmp_path / "publish", tmp_path / "cache"
    note = "statements/2024Q2/statements.csv"
    outside = tmp_path / "outside.txt"
    outside.write_text("不能删", encoding="utf-8")
    assert build(folder.root, out, cache=cache) == 0
    for k, doctor in enumerate(["replace the folder", "a path outside", "not a list"]):
        folder.edit(note, lambda rows, k=k: rows[1].update(note=f"第 {k} 次"))
        assert build(folder.root, out, cache=cache) == 0  # leaves a spare, and a record of it
        spare, manifest = tmp_path / ".publish.spare", cache / "build-manifest.json"
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        if doctor == "replace the folder":
            shutil.copytree(spare, tmp_path / "copy")
            shutil.rmtree(spare)
            (tmp_path / "copy").rename(spare)
        elif doctor == "a path outside":
            doc["spare"]["extra"].append("../outside.txt")
        else:
            doc["written"] = "index.html"
        manifest.write_text(json.dumps(doc), encoding="utf-8")
        folder.edit(note, lambda rows, k=k: rows[1].update(note=f"第 {k} 次，又改"))
        assert build(folder.root, out, cache=cache) == 0
        fresh = tmp_path / f"fresh-{k}"
        assert build(folder.root, fresh, cache=tmp_path / f"fresh-cache-{k}") == 0
        assert layout(out) == layout(fresh)
        assert outside.read_text(encoding="utf-8") == "不能删"
