"""Validate a data folder: Inputs into a Dataset, with every problem in its Report.

The registry first (districts, communities), then each quarter folder's statements (in
parallel, cached by the folder's content), then the ledgers and the seals.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

from ..cache import Held, Stored, file_stamp, place, prune, replacing
from ..digest import PACKAGE, tree_digest
from ..load.inputs import Inputs, load_inputs, read_statement_folder
from ..load.rows import Draft
from ..model import Dataset, Statement
from ..parallel import WorkerFailed, in_parallel
from ..problems import Problem, Report
from ..schema import FORMAT
from .completeness import check_base_data, check_completeness
from .ledgers import check_ledger
from .registry import build_communities, build_districts
from .seals import check_seals
from .statements import check_continuity, check_statement, file_statement

CACHE_VERSION = 3  # bump when cached statements would no longer match what the code makes


def validate_folder(
    root: Path | str,
    strict: bool = False,
    as_of: date | None = None,
    cache: Path | None = None,
    overlay: Overlay | None = None,
    report: Report | None = None,
) -> Dataset:
    """Load and validate a data folder. Raises CannotRun only when no run is possible.

    With a `cache` folder, quarter folders whose inputs did not change are not read again.
    With an `overlay`, its drafts are checked as if they were in the folder."""
    report = report or Report(strict=strict)
    with gc_paused():
        inputs = load_inputs(Path(root), report)
        return validate(inputs, report, as_of or inputs.settings["as_of"], cache, overlay)


def blocking(report: Report) -> list[Problem]:
    """The errors that refuse a whole build: a check marked `fatal` in format.yaml (a sealed
    figure changed, the seal log damaged), or any error in the registry (`files.registry`),
    on which every page depends. Other errors show as 数据有误 on their own pages."""
    registry = tuple(FORMAT.files["registry"])
    return [p for p in report.errors if p.check.fatal or (p.file or "").endswith(registry)]


@contextmanager
def gc_paused():
    """Validation makes a few million small objects and no garbage cycles; Python's cyclic
    collector would walk all of them again and again as they pile up (the load would take
    over 50 % longer). At the end they move to the collector's permanent generation: the
    first collection after the pause would otherwise walk them all once more (0.1-0.25 s
    at 2,000 communities). Being free of cycles, they are still freed when let go."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def registry_key(inputs: Inputs, as_of: date) -> str:
    """What every statement's checks depend on besides its own folder."""
    files = [inputs.root / name for name in ("communities.csv", "districts.yaml", "site.yaml")]
    h = tree_digest([f for f in files if f.exists()] + [PACKAGE])
    h.update(repr((as_of, CACHE_VERSION)).encode())
    return h.hexdigest()


@dataclass
class Overlay:
    """Statements checked as if they were in the data folder (drafts handed in, not yet
    filed): `drafts` are placed in their quarters, taking the place of the statements
    `withdrawn` names by (file, key); `loose` drafts are checked on their own only."""

    drafts: list[Draft] = field(default_factory=list)
    withdrawn: set[tuple[str, tuple]] = field(default_factory=set)
    loose: list[Draft] = field(default_factory=list)


def validate(
    inputs: Inputs,
    report: Report,
    as_of: date,
    cache: Path | None = None,
    overlay: Overlay | None = None,
) -> Dataset:
    districts = build_districts(inputs.districts, report)
    communities, aliases = build_communities(inputs.communities, districts, report)
    check_base_data(communities, report)
    data = Dataset(
        settings=inputs.settings,
        as_of=as_of,
        districts=districts,
        communities=communities,
        statements={},
        rejected=[],
        ledgers={},
        aliases=aliases,
        report=report,
        root=inputs.root,
    )
    data.registry_key = registry_key(inputs, as_of)
    overlay = overlay or Overlay()
    for statements, folder_report in checked_folders(data, inputs.folders, cache):
        report.merge(folder_report)
        for statement in statements:
            key = (statement.community_id, statement.quarter)
            if (statement.file, key) not in overlay.withdrawn:
                file_statement(data, statement)
    for draft in overlay.drafts:
        file_statement(data, check_statement(data, draft))
    data.rejected += [check_statement(data, draft) for draft in overlay.loose]
    check_continuity(data)
    data.ledgers = {
        name: check_ledger(name, records, data) for name, records in inputs.ledgers.items()
    }
    check_completeness(data, cache)
    data.seal_log = inputs.seals
    check_seals(data, inputs.seals.seals)
    for statement in list(data.statements.values()) + data.rejected:
        statement.problems = list(dict.fromkeys(statement.problems))
        statement.errors = sum(p.severity == "error" for p in statement.problems)
    return data


def _cache_path(data: Dataset, folder: Path, cache: Path) -> Path:
    """The cache file of a quarter folder as it is: named by where the folder is, then by
    its content (with the registry's, the settings' and the code's)."""
    digest = tree_digest([folder], hashlib.sha256(data.registry_key.encode()))
    return Path(cache) / "validation" / f"{place(folder)}-{digest.hexdigest()[:40]}.pickle"


Checked = tuple[list[Statement], Report]  # a folder's statements, and what reading it found


def checked_folders(data: Dataset, folders: list[Path], cache: Path | None) -> list[Checked]:
    """The statements and problems of each quarter folder, in order.

    With a cache, a folder whose inputs did not change (its files, the registry, the settings,
    this code) is read from it; the others are checked on two cores, the largest first, and
    saved to it. A forked worker hands its folders over through the cache."""
    if cache is None:
        return [check_folder(data, folder) for folder in folders]
    paths = [_cache_path(data, folder, cache) for folder in folders]
    missing = [k for k, path in enumerate(paths) if not path.exists()]
    missing.sort(key=lambda k: -sum(f.lstat().st_size for f in folders[k].iterdir()))
    results, memo = {}, {}

    def check(k):
        checked = check_folder(data, folders[k])
        _save(paths[k], checked)
        return (k,)

    def loaded(k) -> Checked:
        """Items are read from the cache when used, not kept in memory. A damaged file (cut
        short, or not one of ours) is removed, and the folder checked and saved again."""
        found = _load(paths[k], memo)
        if found is None:
            paths[k].unlink(missing_ok=True)
            found = check_folder(data, folders[k])
            _save(paths[k], found)
            found = _load(paths[k], memo) or found
        return found

    def collect(result):
        results[result[0]] = loaded(result[0])

    with suppress(WorkerFailed):  # a folder a worker failed on is checked again below
        jobs = [partial(check, k) for k in missing]
        in_parallel(min(2, os.cpu_count() or 1), jobs, collect, Path(cache), least=2)
    for k, folder in enumerate(folders):  # what no worker did (an error is reported there)
        if k not in results:
            results[k] = loaded(k) if paths[k].exists() else check_folder(data, folder)
    prune(Path(cache) / "validation", paths, {place(f) for f in folders})
    return [results[k] for k in range(len(folders))]


def check_folder(data: Dataset, folder: Path) -> Checked:
    report = Report(strict=data.report.strict)
    scratch = replace(data, report=report)
    drafts = read_statement_folder(folder, data.root, report)
    return [check_statement(scratch, d) for d in drafts], report


# Statements per pickle in the cache. Pickle remembers every object it has written, and
# that memo slows it down once it outgrows the CPU caches: a whole 20,000-statement folder
# took twice as long per statement as in pieces. (Pieces do not share objects: a problem of
# a statement and the same problem in the folder's list come back equal, not identical.)
PICKLE_CHUNK = 250


def _save(path: Path, checked: Checked) -> None:
    """The folder's report, its statements without their items (in pieces), then the items
    of each statement, pickled one statement at a time so that any one can be read alone:
    in a statement as saved, `items` is where its own are, (offset after the pieces, size,
    count)."""
    statements, report = checked
    blobs, places, offset = [], [], 0
    for s in statements:
        s.fingerprint  # noqa: B018 -- computed once, kept in the cache with the statement
        blob = pickle.dumps(list(s.items), protocol=5)
        blobs.append(blob)
        places.append((offset, len(blob), len(s.items)))
        offset += len(blob)
    kept = [s.items for s in statements]
    try:
        for s, place in zip(statements, places, strict=True):
            s.items = place
        with replacing(path, keep=True) as tmp, tmp.open("wb") as f:
            pickle.dump(report, f, protocol=5)
            pickle.dump(len(statements), f, protocol=5)
            for k in range(0, len(statements), PICKLE_CHUNK):
                pickle.dump(statements[k : k + PICKLE_CHUNK], f, protocol=5)
            f.write(b"".join(blobs))
    finally:
        for s, items in zip(statements, kept, strict=True):
            s.items = items


_SHARED = ("community_id", "prepared_by", "quarter", "published_on", "file")


def _load(path: Path, memo: dict) -> Checked | None:
    """A folder as _save wrote it; each statement's items stay in the file until used. What
    repeats from quarter to quarter (a community's id, who prepared it, the quarter, the
    day) is one object in `memo`, not one per statement (pickle shares only within a piece).
    None when the file is damaged: cut short, or not what _save writes."""
    statements: list[Statement] = []
    where = os.path.abspath(path)
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            held = Held(os.dup(f.fileno()))
            report = pickle.load(f)
            count = pickle.load(f)
            while len(statements) < count:
                statements += pickle.load(f)
            base = f.tell()
        places = [s.items for s in statements]
        end = max((base + offset + size for offset, size, _ in places), default=base)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
        return None
    if end != st.st_size or not isinstance(report, Report):
        return None
    stamp = file_stamp(st)
    for s in statements:
        offset, size, n = s.items
        s.items = Stored(where, base + offset, size, n, stamp, held)
        for name in _SHARED:
            value = getattr(s, name)
            setattr(s, name, memo.setdefault(value, value))
        account, closing = s.account_balance, s.closing_balance
        if account is not None and closing is not None and account.as_tuple() == closing.as_tuple():
            s.account_balance = closing  # as they nearly always are: one Decimal, not two
    return statements, report
