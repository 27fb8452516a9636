"""A quarter folder's groups of files checked (validate.folder): read whole, or the batch
tables after an edit through their last version's cache file.

At province scale a quarter's `statements.csv` and `items.csv` hold 20,000 statements and
200,000 item rows, and a figure corrected in them had every row parsed and every statement
checked and saved again (about 3 s). Through the last version of the group's cache file
(its Index: each row's digest, and the rows each statement was read from) only the rows
that differ are parsed, only the statements they belong to before or after the edit are
checked, and the others are taken as that check left them, their items copied as pickled.

The shortcut is taken only where it gives what reading the group whole gives: the last
version and this one read without a single problem (no undecodable line, blank row, bad
cell, item without its statement, or file-level error: nothing from reading that the report
would need in its place), no two statements share a key, the files and their headers are
the same, the registry, settings and code are as they were, and the last check reported
each statement's problems in statement order. Anything else reads the group whole.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from ..load.inputs import Group, read_group
from ..load.rows import Columns, Draft, Record
from ..load.text import csv_reader, row_digest
from ..model import Dataset, Statement
from ..problems import Report
from ..quarter import Quarter
from ..schema import FORMAT
from . import groupfile
from .groupfile import Part
from .statements import check_statement

Where = tuple[str, int]  # a row: its file's name (as reports give it) and its number


@dataclass(frozen=True)
class Index:
    """Where each statement of a batch group was read from, and each row's digest."""

    registry_key: str  # Dataset.registry_key (the registry, settings and code) of that check
    files: tuple[tuple[str, str], ...]  # each file's kind and name, in the group's order
    rows: dict[str, bytes]  # each file's rows' digests (row_digest), 16 bytes each, header first
    heads: tuple[tuple[tuple, Where], ...]  # each statement's key and header row
    items: tuple[tuple[Where, ...], ...]  # each statement's item rows

    def digest(self, where: Where) -> bytes:
        name, row = where
        return self.rows[name][16 * (row - 1) : 16 * row]

    def count(self, name: str) -> int:
        return len(self.rows[name]) // 16


def check_group(
    data: Dataset, folder: Path, group: Group, indexed: bool = True
) -> tuple[Part, Index | None]:
    """The group read whole and checked; if `indexed`, for batch tables read without a
    problem, their Index too."""
    strict = data.report.strict
    reading, checking = Report(strict=strict), Report(strict=strict)
    digests: dict[str, list] | None = {} if indexed and group.name == "batch" else None
    drafts = read_group(group, folder, reading, digests)
    scratch = replace(data, report=checking)
    statements = [check_statement(scratch, d) for d in drafts]
    part = statements, reading, checking
    if digests is None or reading.problems or any(s.line_problems for s in group.sources()):
        return part, None
    keys = [d.key for d in drafts]
    if len(set(keys)) != len(keys) or any(None in d for d in digests.values()):
        return part, None
    if checking.problems != [p for s in statements for p in s.problems]:
        return part, None
    heads = [(d.key, (d.header.file, d.header.row)) for d in drafts]
    items = [tuple((r.file, r.row) for r in d.items) for d in drafts]
    return part, _index(data, group, digests, heads, items)


def check_edited(
    data: Dataset, folder: Path, group: Group, last: Path
) -> tuple[Part, Index] | None:
    """The batch group checked through its last version's cache file `last`; None where
    that would not give exactly what check_group() gives (then check the group whole, read
    afresh: text decoded here would not be decoded again under that check's report)."""
    index = groupfile.index(last)
    if not isinstance(index, Index) or index.registry_key != data.registry_key:
        return None
    if index.files != _files(group):
        return None
    strict = data.report.strict
    reading, checking = Report(strict=strict), Report(strict=strict)
    rows = _rows(group, reading)
    if rows is None:
        return None
    digests = {name: [row_digest(cells) for cells in got] for name, got in rows.items()}
    if any(None in d or d[0] != index.digest((name, 1)) for name, d in digests.items()):
        return None  # a row a digest cannot tell apart, or another header
    old = groupfile.load(last, {})
    if old is None:
        return None
    edit = _Edit(index, rows, digests, group)
    found = edit.statements(data, Quarter.parse(folder.name), old[0], checking)
    if found is None or reading.problems:
        return None
    statements, heads, items = found
    return (statements, reading, checking), _index(data, group, digests, heads, items)


def _files(group: Group) -> tuple[tuple[str, str], ...]:
    return tuple((e.kind, e.source.name) for e in group.entries)


def _rows(group: Group, reading: Report) -> dict[str, list[list[str]]] | None:
    """Each file's rows (its header first) as CSV cells, read as csv_records reads them;
    None for a file reading would report a problem in (unreadable, empty, not text, an
    undecodable line, not CSV)."""
    rows = {}
    for source in group.sources():
        source.report = reading
        text = source.read_text()
        if text is None or source.line_problems or reading.problems:
            return None
        try:
            rows[source.name] = list(csv_reader(text))
        except csv.Error:
            return None
        if not rows[source.name]:
            return None
    return rows


def _index(data: Dataset, group: Group, digests: dict, heads: list, items: list) -> Index:
    rows = {name: b"".join(d) for name, d in digests.items()}
    return Index(data.registry_key, _files(group), rows, tuple(heads), tuple(items))


class _Edit:
    """This version of a batch group's rows against its last version's Index."""

    def __init__(self, index: Index, rows: dict, digests: dict, group: Group):
        self.index, self.rows, self.files = index, rows, _files(group)
        self.owner: dict[Where, int] = {}  # the last version's statement of each row
        for k, ((_, head), its) in enumerate(zip(index.heads, index.items, strict=True)):
            self.owner[head] = k
            self.owner.update((where, k) for where in its)
        self.columns = {
            e.source.name: Columns(FORMAT.tables[e.kind], rows[e.source.name][0], e.source)
            for e in group.entries
        }
        self.changed = {
            (name, n)
            for name, d in digests.items()
            for n in range(2, len(d) + 1)
            if d[n - 1] != index.digest((name, n))
        }
        gone = {
            (name, n)
            for name, d in digests.items()
            for n in range(len(d) + 1, index.count(name) + 1)
        }
        self.records: dict[Where, Record | None] = {}
        # the statements checked again: those with the key of a row changed or gone, as it
        # was and as it is
        was = [self.owner[w] for w in self.changed | gone if w in self.owner]
        self.affected = {index.heads[k][0] for k in was}
        self.affected.update(self.key(w) for w in self.changed)

    def record(self, where: Where) -> Record | None:
        """The row parsed (once); None for a blank one."""
        if where not in self.records:
            name, n = where
            cells = self.rows[name][n - 1]
            blank = not "".join(cells).strip()
            self.records[where] = None if blank else self.columns[name].record(cells, n)
        return self.records[where]

    def key(self, where: Where):
        """The key of the statement a row is read into: as parsed if the row changed, else
        as it was; None for a blank row (reported when read whole)."""
        if where in self.changed:
            r = self.record(where)
            return None if r is None else (r["community_id"], r["quarter"])
        return self.index.heads[self.owner[where]][0]

    def _all(self, kind: str) -> list[Where]:
        return [
            (name, n)
            for k, name in self.files
            if k == kind
            for n in range(2, len(self.rows[name]) + 1)
        ]

    def statements(self, data: Dataset, quarter: Quarter, old: list[Statement], checking):
        """The statements in header order, those not affected as the last check left them,
        with each one's key and header row and its item rows; None where reading the group
        whole reports a problem (a blank row, an item without its statement) or two
        statements share a key."""
        heads = self._all("statements")
        keys = [self.key(w) for w in heads]
        if None in keys or len(set(keys)) != len(keys):
            return None
        items: dict[tuple, list[Record]] = {}
        for where in self._all("items"):
            key = self.key(where)
            if key is None:
                return None
            if key in self.affected:
                items.setdefault(key, []).append(self.record(where))
        if not items.keys() <= set(keys):
            return None
        scratch = replace(data, report=checking)
        statements, made, rows = [], [], []
        for where, key in zip(heads, keys, strict=True):
            if key in self.affected:
                own = items.get(key, [])
                draft = Draft(self.record(where), own, folder=quarter)
                statements.append(check_statement(scratch, draft))
                rows.append(tuple((r.file, r.row) for r in own))
            else:
                k = self.owner[where]
                statements.append(old[k])
                checking.problems += old[k].problems
                rows.append(self.index.items[k])
            made.append((key, where))
        return statements, made, rows
