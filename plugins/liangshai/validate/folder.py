"""Validate a data folder: Inputs into a Dataset, with every problem in its Report.

The registry first (districts, communities), then each quarter folder's statements (in
parallel, cached by the content of each group of its files), then the ledgers and the seals.
"""

from __future__ import annotations

import gc
import hashlib
import os
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import NamedTuple

from ..cache import place, prune
from ..digest import package_digest, tree_digest
from ..load.files import Source
from ..load.inputs import Group, Inputs, load_inputs, statement_groups
from ..load.layout import Entry
from ..load.rows import Draft
from ..model import Dataset, Statement
from ..parallel import WorkerFailed, in_parallel
from ..problems import Problem, Report
from ..schema import FORMAT
from . import groupfile
from .completeness import check_base_data, check_completeness
from .groupfile import Part
from .groups import Index, check_edited, check_group
from .ledgers import check_ledger
from .registry import build_communities, build_districts
from .seals import check_seals
from .statements import check_continuity, check_statement, file_statement

CACHE_VERSION = 5  # bump when cached statements would no longer match what the code makes


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
        inputs = load_inputs(Path(root), report, cache)
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
    h = tree_digest([f for f in files if f.exists()])
    h.update(repr((as_of, CACHE_VERSION, package_digest())).encode())
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
    data.registry_key, data.ledgers_key = registry_key(inputs, as_of), inputs.ledgers_key
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


def _cache_path(data: Dataset, folder: Path, group: Group, cache: Path) -> Path:
    """The cache file of a group of a quarter folder as it is: named by where it is (the
    folder and the group), then by its files' names and bytes, the registry's, the
    settings' and the code's (Dataset.registry_key)."""
    h = hashlib.sha256(repr((data.registry_key, folder.name, group.name)).encode())
    for source in group.sources():
        h.update(source.identity())
    name = f"{place(folder, group.name)}-{h.hexdigest()[:40]}.pickle"
    return Path(cache) / "validation" / name


Checked = tuple[list[Statement], Report]  # a folder's statements, and what reading it found


def checked_folders(data: Dataset, folders: list[Path], cache: Path | None) -> list[Checked]:
    """The statements and problems of each quarter folder, in order.

    A folder is read as its groups (load.inputs.statement_groups: the batch tables, each
    workbook, each YAML file). With a cache, a group whose files did not change (nor the
    registry, the settings, this code) is read from it, so that a statement filed as a file
    of its own is the only one read again; the others are checked on two cores, the
    largest first, and saved to it. A forked worker hands its groups over through the cache.
    Only one folder's bytes are held at a time: a group checked is read afresh."""
    strict = data.report.strict
    layouts = [Report(strict=strict) for _ in folders]
    if cache is None:
        out = []
        for folder, layout in zip(folders, layouts, strict=True):
            groups = statement_groups(folder, data.root, layout)
            parts = [check_group(data, folder, g, indexed=False)[0] for g in groups]
            out.append(_folder(layout, [g.name for g in groups], parts))
        return out
    plans: list[list[Planned]] = []  # each folder's groups, their bytes let go
    for folder, layout in zip(folders, layouts, strict=True):
        groups = statement_groups(folder, data.root, layout)
        plans.append([Planned.of(g, _cache_path(data, folder, g, cache)) for g in groups])
    where = [(k, j) for k, plan in enumerate(plans) for j in range(len(plan))]
    paths = {(k, j): plans[k][j].path for k, j in where}
    missing = [kj for kj in where if not paths[kj].exists()]
    missing.sort(key=lambda kj: -plans[kj[0]][kj[1]].size)
    results: dict[tuple[int, int], Part] = {}
    memo: dict = {}
    lasts = {kj: _last(paths[kj]) for kj in missing if plans[kj[0]][kj[1]].name == "batch"}

    def checked(kj) -> tuple[Part, Index | None]:
        """Through the last version of the batch tables where that gives the same."""
        k, j = kj
        last = lasts.get(kj)
        edited = last and check_edited(data, folders[k], plans[k][j].again(data.root), last)
        return edited or check_group(data, folders[k], plans[k][j].again(data.root))

    def check(kj):
        groupfile.save(paths[kj], *checked(kj))
        return kj

    def loaded(kj) -> Part:
        """Items are read from the cache when used, not kept in memory. A damaged file (cut
        short, or not one of ours) is removed, and the group checked and saved again."""
        found = groupfile.load(paths[kj], memo)
        if found is None:
            paths[kj].unlink(missing_ok=True)
            found, index = checked(kj)
            groupfile.save(paths[kj], found, index)
            found = groupfile.load(paths[kj], memo) or found
        return found

    def collect(kj):
        results[kj] = loaded(kj)

    with suppress(WorkerFailed):  # a group a worker failed on is checked again below
        jobs = [partial(check, kj) for kj in missing]
        in_parallel(min(2, os.cpu_count() or 1), jobs, collect, Path(cache), least=2)
    for kj in where:  # what no worker did (an error is reported there)
        if kj not in results:
            results[kj] = loaded(kj) if paths[kj].exists() else checked(kj)[0]
    places = {place(folders[k], plans[k][j].name) for k, j in where} | {place(f) for f in folders}
    prune(Path(cache) / "validation", list(paths.values()), places)
    return [
        _folder(layouts[k], [g.name for g in plan], [results[(k, j)] for j in range(len(plan))])
        for k, plan in enumerate(plans)
    ]


def _last(path: Path) -> Path | None:
    """The newest other version of a group's cache file (named by the same place)."""
    versions = []
    for other in path.parent.glob(f"{path.name.split('-')[0]}-*.pickle"):
        with suppress(OSError):  # removed since: another run pruned it
            versions.append((other.stat().st_mtime_ns, other))
    return max((v for v in versions if v[1] != path), default=(0, None))[1]


class Planned(NamedTuple):
    """A group of a folder as the layout found it, without its files' bytes."""

    name: str  # the group's (Group.name)
    path: Path  # its cache file
    size: int  # its files' bytes
    files: tuple[tuple[str, Path, bool], ...]  # each entry's kind, path, and if it was decoded

    @classmethod
    def of(cls, group: Group, path: Path) -> Planned:
        size = sum(len(source.read_bytes() or b"") for source in group.sources())
        files = tuple((e.kind, e.source.path, e.source.decoded) for e in group.entries)
        return cls(group.name, path, size, files)

    def again(self, root: Path) -> Group:
        """The group with its files read again, as far as the layout read them (what that
        found is in the layout's report, so here it goes to a scratch one)."""
        scratch, entries = Report(), []
        for kind, path, decoded in self.files:
            source = Source(path, root, scratch)
            if decoded:
                source.read_text()
            else:
                source.read_bytes()
            entries.append(Entry(kind, source))
        return Group(self.name, entries)


def _folder(layout: Report, groups: list[str], parts: list[Part]) -> Checked:
    """A folder's statements and report, from its layout's report and its groups' parts, in
    the order one pass over the folder gives them: what the layout found, what reading each
    other file found, then the batch tables; then what checking each statement found."""
    report = Report(strict=layout.strict)
    report.merge(layout)
    batch = [k for k, name in enumerate(groups) if name == "batch"]
    order = batch + [k for k in range(len(groups)) if k not in batch]
    for k in order[len(batch) :] + batch:
        report.merge(parts[k][1])
    for k in order:
        report.merge(parts[k][2])
    return [s for k in order for s in parts[k][0]], report
