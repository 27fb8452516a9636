"""The registry's and the ledgers' CSV tables, read once per version of each file.

At province scale they are some 80,000 rows (the contracts ledger alone 9 MB), read again
by every build although they seldom change: with a cache folder, a table whose bytes (and
the code that reads them) are as they were is taken from the cache: its records and the
problems reading it reported, in their order, as if it had been read.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from ..cache import place, prune, replacing
from ..digest import package_digest
from ..problems import Problem
from ..schema import Table
from .files import Source
from .rows import Record
from .text import csv_records

VERSION = 1  # bump when what is kept of a table changes


class Tables:
    """Reads CSV tables of the data folder `root`, through `cache` when there is one."""

    def __init__(self, root: Path, cache: Path | None):
        self.root, self.folder = Path(root), Path(cache) / "tables" if cache else None
        self.used: list[Path] = []
        self.places: set[str] = set()

    def records(self, source: Source, table: Table) -> list[Record]:
        data = source.read_bytes()
        if self.folder is None or data is None:
            return csv_records(source, table)[0]
        where = place(self.root, source.name)
        # what the reading reports depends on the bytes, the table, the name it reports
        # under, and whether the text was decoded already (then its lines were reported)
        head = repr((VERSION, package_digest(), table.name, source.name, source.decoded))
        key = hashlib.sha256(head.encode() + b"\0" + source.sha256()).hexdigest()[:40]
        path = self.folder / f"{where}-{key}.pickle"
        self.used.append(path)
        self.places.add(where)
        report = source.report
        kept = _load(path)
        if kept is not None:
            records, problems = kept
            report.problems += problems
            return records
        start = len(report.problems)
        records = csv_records(source, table)[0]
        with replacing(path, keep=True) as tmp:
            tmp.write_bytes(pickle.dumps((records, report.problems[start:]), protocol=5))
        return records

    def prune(self) -> None:
        """Remove the cache files of other versions of the tables read."""
        if self.folder is not None and self.folder.is_dir():
            prune(self.folder, self.used, self.places)


def _load(path: Path) -> tuple[list[Record], list] | None:
    """(records, problems) as records() wrote them, or None when there is no such file or
    it is not one (cut short, or not ours)."""
    try:
        kept = pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
        return None
    ours = isinstance(kept, tuple) and len(kept) == 2 and all(isinstance(k, list) for k in kept)
    records, problems = kept if ours else ([None], [None])
    if not all(isinstance(r, Record) for r in records) or not all(
        isinstance(p, Problem) for p in problems
    ):
        return None
    return kept
