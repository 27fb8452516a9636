"""The spare tree: the site before last, kept beside publish/ (as .publish.spare) so that the
next build swaps in a tree it brought up to date rather than one it made whole.

Making a whole new tree meant hard-linking every unchanged file into it, and removing the old
tree after the swap: at province scale, 100,000 files, 18 of the 48 seconds of a build where
one statement changed. The old tree, swapped out, is now kept. The next build brings it up to
date with what changed in the last two builds only (its own new files moved in, the files the
last build wrote linked from publish/, the files no longer made removed) and swaps it in, in
the same one atomic exchange. The spare is never served, and its unchanged files are the same
files as publish/'s (hard links): it costs folders, not disk. Nothing is ever written into a
file of either tree: a file is only ever replaced by another, so the live one never changes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from contextlib import suppress
from pathlib import Path

from .incremental import Reuse


def spare_of(target: Path) -> Path:
    return target.with_name(f".{target.name}.spare")


def publish(staging: Path, target: Path, reuse: Reuse, written: list[str]) -> dict | None:
    """Put the new site in the place of `target`: the files this build wrote (`written`, in
    `staging`) and the files of the units it kept (`reuse.kept`, in `target`). Returns the
    record of the spare tree left beside it (see Reuse.save), None when there is none."""
    spare = spare_of(target)
    known = spare_files(spare, reuse)
    if known is None:  # no spare, or one whose state no record tells: a whole new tree
        shutil.rmtree(spare, ignore_errors=True)
        reuse.link_kept(staging)
        new = staging
    else:
        bring_up(spare, target, staging, written, reuse, known)
        new = spare
    # After a build that kept nothing, the old site shares no file with the new one: as a
    # spare, every one of its files would have to be replaced (measured: 44 s at province
    # scale, against 6 s to link a whole new tree once)
    worth = reuse.old and reuse.kept
    if not swap_in(new, target, keep=spare if worth else None):
        return None
    files, old = set(reuse.files(written)), set(reuse.old["files"])
    return {
        "folder": _identity(spare),
        "missing": sorted(files - old),  # made by this build, not in the spare
        "extra": sorted(old - files),  # in the spare, no longer made
    }


def spare_files(spare: Path, reuse: Reuse) -> set[str] | None:
    """The files in the spare tree, as the last build recorded them; None when it left no
    spare, or the folder there is not the one it left."""
    record = reuse.old.get("spare")
    if not isinstance(record, dict) or not spare.is_dir() or _identity(spare) != record["folder"]:
        return None
    lists = [reuse.old.get("files"), reuse.old.get("written"), record["missing"], record["extra"]]
    if not all(isinstance(v, list) and all(map(_inside, v)) for v in lists):
        return None  # not what publish() records: a damaged or doctored manifest
    return set(lists[0]).difference(lists[2]).union(lists[3])


def bring_up(spare: Path, live: Path, staging: Path, written, reuse: Reuse, known: set[str]):
    """Make the spare tree the new site: remove what is no longer made, move in what this
    build wrote, and link from the live tree the kept files the spare lacks or holds as
    they were before the last build rewrote them."""
    new = set(written).union(reuse.kept)
    for rel in sorted(known - new):
        with suppress(FileNotFoundError):  # gone already: nothing to undo
            os.unlink(spare / rel)
        _prune(spare, os.path.dirname(rel))
    folders = _Folders(spare)
    for rel in written:
        folders.make(rel)
        os.replace(staging / rel, spare / rel)
    stale = set(reuse.old.get("written", ())).union(set(reuse.old["files"]) - known)
    for rel in sorted(stale.intersection(reuse.kept)):
        folders.make(rel)
        with suppress(FileNotFoundError):
            os.unlink(spare / rel)
        os.link(live / rel, spare / rel)


def swap_in(new: Path, target: Path, keep: Path | None = None) -> bool:
    """Put the complete tree `new` in the place of `target` in one step. The old tree is then
    moved to `keep` (the spare) or, without it, removed. True if it was kept."""
    if not target.exists():
        new.rename(target)
        return False
    if exchange(new, target):
        old = new
    else:  # not Linux, or a file system without the flag
        old = new.with_name(new.name + "-old")
        target.rename(old)  # the one instant with no publish/: only where exchange is missing
        new.rename(target)
    if keep is None:
        shutil.rmtree(old)
        return False
    if old != keep:
        old.rename(keep)
    return True


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (renameat2 with RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


class _Folders:
    """Folders made in a tree, each once."""

    def __init__(self, root: Path):
        self.root, self.made = root, set()

    def make(self, rel: str) -> None:
        folder = os.path.dirname(rel)
        if folder not in self.made:
            os.makedirs(self.root / folder, exist_ok=True)
            self.made.add(folder)


def _prune(root: Path, folder: str) -> None:
    """Remove `folder` and the folders above it that are left empty."""
    while folder:
        try:
            os.rmdir(root / folder)
        except OSError:  # not empty
            return
        folder = os.path.dirname(folder)


def _inside(rel) -> bool:
    """A path relative to a tree, and inside it."""
    return isinstance(rel, str) and not rel.startswith("/") and ".." not in rel.split("/")


def _identity(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_dev, st.st_ino]
