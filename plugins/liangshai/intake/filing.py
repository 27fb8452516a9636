"""Filing submissions: originals into the run's archive, accepted statements under canonical
names in their quarter folder, replaced files set aside; nothing is ever deleted.

A run folder (`intake/<received>/`) holds `archive/` (every file as it was handed in, by its
path in the inbox), `replaced/` (old versions of statements that a new one replaced, by their
path in the data folder), `outbox/` (the receipts), and the summary; `intake/log.csv`
grows by a line per submission, run after run.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

from ..exports.safe import neutral
from .submissions import OUTCOMES, Submission

LOG_COLUMNS = ("received", "run", "number", "file", "sha256", "outcome", "filed", "replaced")


def run_folder(out: Path, received: date) -> Path:
    """A new folder for this run: intake/2025-07-20/, then 2025-07-20-2/ and so on."""
    base = Path(out) / received.isoformat()
    run, k = base, 1
    while run.exists():
        k += 1
        run = base.with_name(f"{base.name}-{k}")
    run.mkdir(parents=True)
    return run


def canonical_names(sub: Submission) -> list[str]:
    """The names a submission's files get in their quarter folder: the community's id (the
    first one's, with how many more, for a file of several), and what the file is."""
    ids = [s.community_id for s in sub.statements]
    stem = ids[0] if len(ids) == 1 else f"{ids[0]}-and-{len(ids) - 1}-more"
    if sub.kind == "csv":
        items = [f"{stem}.items.csv"] * (len(sub.paths) - 1)  # a second one becomes -2
        return [f"{stem}.statements.csv", *items]
    return [f"{stem}.{'yaml' if sub.kind == 'yaml' else 'xlsx'}"]


def _free(path: Path, taken: set[Path]) -> Path:
    """`path`, or path-2, path-3… when that name is already used."""
    head, dot, rest = path.name.partition(".")
    k, out = 1, path
    while out.exists() or out in taken:
        k += 1
        out = path.with_name(f"{head}-{k}{dot}{rest}")
    return out


def archive(submissions: list[Submission], inbox: Path, run: Path) -> dict[Path, Path]:
    """Move every regular file of the inbox into the run's archive (ignored ones too: the
    inbox is left empty of what was handled). Returns inbox path -> archived path."""
    moved = {}
    for sub in submissions:
        for path in sub.paths:
            if path.is_symlink() or not path.is_file():
                continue  # a link or a device is named in the summary and left where it is
            target = run / "archive" / path.relative_to(inbox)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            moved[path] = target
    return moved


def file_accepted(submissions: list[Submission], data: Path, run: Path, moved: dict) -> None:
    """Copy each accepted submission into its quarter folder; set aside what it replaces."""
    taken: set[Path] = set()
    for sub in submissions:
        if sub.outcome not in ("filed", "replaced"):
            continue
        for old in sub.replaced:
            old_path = data.parent / old
            aside = _free(run / "replaced" / old, taken)
            aside.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(old_path, aside)
        folder = data / "statements" / str(sub.statements[0].quarter)
        folder.mkdir(parents=True, exist_ok=True)
        for path, name in zip(sub.paths, canonical_names(sub), strict=True):
            target = _free(folder / name, taken)
            taken.add(target)
            shutil.copyfile(moved[path], target)
            sub.filed.append(target.relative_to(data.parent).as_posix())


def append_log(submissions: list[Submission], out: Path, run: Path, received: date) -> Path:
    """One line per submission in intake/log.csv (UTF-8 with BOM, for Excel)."""
    log = Path(out) / "log.csv"
    new = not log.exists()
    with log.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(LOG_COLUMNS)
        for sub in submissions:
            row = (
                received.isoformat(),
                run.name,
                sub.number,
                " + ".join(sub.names),
                sub.digest,
                OUTCOMES[sub.outcome],
                " + ".join(sub.filed),
                " + ".join(sub.replaced),
            )
            writer.writerow([neutral(v) for v in row])
    return log
