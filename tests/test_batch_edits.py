"""A quarter's batch tables edited: checked through their last version's cache file
(validate.groups), the result is what reading them whole gives, problem for problem and in
the same order, or the whole reading is done."""

from __future__ import annotations

import csv
import io
import random
import shutil

import pytest

from conftest import Folder
from liangshai.validate import folder as validation
from liangshai.validate.folder import validate_folder

QUARTER = "statements/2025Q2"  # the latest quarter of demo_200
ITEMS, HEADS = f"{QUARTER}/items.csv", f"{QUARTER}/statements.csv"


def seen(data) -> tuple:
    """Everything validation gives, as comparable values."""
    statements = sorted(
        (k, s.fingerprint, s.problems, list(s.items), s.file, s.row)
        for k, s in data.statements.items()
    )
    rejected = [(s.fingerprint, s.problems, s.file, s.row) for s in data.rejected]
    return data.report.problems, data.report.read, statements, rejected


@pytest.fixture
def edited(demo_200, tmp_path, monkeypatch):
    """(folder, check): `check()` validates through the cache and says whether the edited
    batch was checked through its last version; it asserts the result equals a fresh run."""
    folder = Folder(tmp_path / "data")
    shutil.copytree(demo_200, folder.root)
    cache = tmp_path / "cache"
    validate_folder(folder.root, cache=cache)
    taken = []

    def spy(*args):
        found = check_edited(*args)
        taken.append(found is not None)
        return found

    check_edited = validation.check_edited
    monkeypatch.setattr(validation, "check_edited", spy)

    def check() -> bool:
        taken.clear()
        got = seen(validate_folder(folder.root, cache=cache))
        assert got == seen(validate_folder(folder.root))
        assert len(taken) <= 1
        return taken == [True]

    return folder, check


def lines(folder: Folder, rel: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(folder.path(rel).read_text(encoding="utf-8"))))


def write(folder: Folder, rel: str, rows: list[list[str]], encoding="utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    folder.write(rel, buf.getvalue(), encoding)


def test_a_figure_corrected_is_checked_through_the_last_version(edited):
    folder, check = edited
    rows = lines(folder, ITEMS)
    rows[5][5] = f"{float(rows[5][5]) + 1:.2f}"
    write(folder, ITEMS, rows)
    assert check()
    rows[5][5] = "十二元"  # a bad cell is reported where it is: read whole
    write(folder, ITEMS, rows)
    assert not check()
    rows[5][5] = "12.00"  # the last version had a problem: read whole again
    write(folder, ITEMS, rows)
    assert not check()
    rows[6][5] = "13.00"
    write(folder, ITEMS, rows)
    assert check()


def test_rows_moved_added_and_removed(edited):
    folder, check = edited
    heads, rows = lines(folder, HEADS), lines(folder, ITEMS)
    rows[3][0] = heads[7][0]  # an item moves to another statement
    write(folder, ITEMS, rows)
    assert check()
    write(folder, ITEMS, [*rows[:4], rows[9], *rows[4:]])  # a row copied into the middle
    assert check()
    write(folder, ITEMS, rows[:-3])  # the last rows gone
    assert check()
    head = heads.pop(2)  # a statement gone, its items left without it: read whole
    write(folder, HEADS, heads)
    assert not check()
    write(folder, ITEMS, [r for r in lines(folder, ITEMS) if r[0] != head[0]])
    assert not check()  # the last version had a problem
    write(folder, HEADS, [*heads, head])  # and back, at the end, with no items
    assert check()


@pytest.mark.parametrize(
    "change",
    [
        lambda heads, rows: rows.insert(4, [""] * len(rows[0])),  # a blank row
        lambda heads, rows: heads.append(heads[1]),  # a statement twice
        lambda heads, rows: rows[0].__setitem__(5, "金额"),  # the header as Chinese labels
        lambda heads, rows: rows[2].append("多余"),  # a cell beyond the header
        lambda heads, rows: rows[2].__setitem__(0, "no-such-community"),  # an item alone
    ],
)
def test_what_reading_would_report_is_read_whole(edited, change):
    folder, check = edited
    heads, rows = lines(folder, HEADS), lines(folder, ITEMS)
    change(heads, rows)
    write(folder, HEADS, heads)
    write(folder, ITEMS, rows)
    assert not check()


def test_the_same_rows_in_another_encoding_are_taken_as_they_were(edited):
    folder, check = edited
    write(folder, ITEMS, lines(folder, ITEMS), encoding="gb18030")
    assert check()
    rows = lines(folder, HEADS)
    rows[4][1] = "2025年第二季度"  # the same quarter, spelled otherwise: checked again
    write(folder, HEADS, rows)
    assert check()


@pytest.mark.parametrize("seed", range(6))
def test_random_edits_give_what_reading_whole_gives(edited, seed):
    """Cells changed at random (ids, quarters, sections, amounts, words), rows copied and
    dropped: every result equals a fresh validation, by the shortcut or not."""
    folder, check = edited
    rng = random.Random(seed)
    heads = lines(folder, HEADS)
    ids = [h[0] for h in heads[1:]]
    for _ in range(4):
        rel = rng.choice([ITEMS, ITEMS, HEADS])
        rows = lines(folder, rel)
        for _ in range(rng.randint(1, 4)):
            n = rng.randrange(1, len(rows))
            what = rng.random()
            if what < 0.15:
                rows.insert(rng.randrange(1, len(rows)), list(rows[n]))
            elif what < 0.25 and len(rows) > 3:
                rows.pop(n)
            else:
                col = rng.randrange(len(rows[0]))
                rows[n][col] = rng.choice(
                    [rng.choice(ids), "2025Q2", "2025Q1", "income", "expense", "88.80", "备注"]
                )
        write(folder, rel, rows)
        check()


def test_the_same_rows_saved_by_excel_or_libreoffice(edited, tmp_path):
    """Saved again by a spreadsheet program: Excel's "CSV UTF-8" (a BOM, CRLF, every cell
    quoted) and "Unicode text" (UTF-16, tab-separated) keep the cells, so every row is taken
    as it was; LibreOffice's CSV filter may write a cell otherwise (by version and locale),
    which is then read as changed. The result is a fresh validation's either way."""
    from conftest import soffice

    folder, check = edited
    rows = lines(folder, ITEMS)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(rows)
    folder.write(ITEMS, "\ufeff" + buf.getvalue())
    assert check()
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    folder.write(ITEMS, buf.getvalue(), encoding="utf-16")
    assert check()
    write(folder, ITEMS, rows)
    resaved = soffice(folder.path(ITEMS), "csv", tmp_path / "lo")
    shutil.copyfile(resaved, folder.path(ITEMS))
    check()
    rows = lines(folder, ITEMS)
    rows[7][5] = "1.00"  # and an edit after the program's save: through it
    write(folder, ITEMS, rows)
    assert check()
