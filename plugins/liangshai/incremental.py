"""Incremental builds keyed by content.

Every community (its page, downloads, feed and redirects), company page and district page is
a *unit* whose key is the SHA-256 of everything it is made from: its view model (community,
statements, statuses, flags, ledger rows, district; for a company or district its members'
keys), the theme, the plugin's code and the settings. A unit
whose key is unchanged since the last build is not rendered again: its files are hard-linked
from the previous output into the new tree, which build.py then swaps in whole. City-wide
pages and data files depend on everything and are always rendered.

When no input changed at all (data, content, theme, code, settings, posters), the build is
skipped: the output would be byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

MANIFEST = "build-manifest.json"
VERSION = 1


def tree_digest(paths, into=None):
    """Fold the names and bytes of every file under `paths` into a hash. Links are folded in
    as their target's name and special files as their kind: nothing but a regular file is
    ever opened (a FIFO would block, a device never end)."""
    h = into or hashlib.sha256()
    for root in paths:
        root = Path(root)
        if not os.path.lexists(root):
            continue
        for path in [root] if not root.is_dir() else _walk(root):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(root.parent)).encode() + b"\0")
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                h.update(path.read_bytes())
            elif stat.S_ISLNK(mode):
                h.update(b"link:" + os.fsencode(os.readlink(path)))
            else:
                h.update(b"special:%o" % stat.S_IFMT(mode))
    return h


def _walk(root: Path) -> list[Path]:
    """Every entry under `root` but folders, in a stable order, without following links."""
    out = []
    for folder, dirs, names in os.walk(root):
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        out += [Path(folder, name) for name in names + links]
    return sorted(out)


def code_digest(theme: Path) -> str:
    """The theme and this package: a change to either re-renders everything."""
    return tree_digest([theme, Path(__file__).parent]).hexdigest()


def unit_key(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8") + b"\0")
    return h.hexdigest()


class Reuse:
    """The previous build's units, and this build's, for one output folder."""

    def __init__(self, cache: Path, previous: Path):
        self.file = Path(cache) / MANIFEST
        self.previous = Path(previous)
        old = {}
        if self.file.exists():
            try:
                old = json.loads(self.file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = {}
        same = old.get("version") == VERSION and old.get("output") == str(self.previous)
        self.old = old if same and self.previous.is_dir() else {}
        self.units: dict[str, list[str]] = {}
        self.kept: list[str] = []  # files of the units kept from the previous output
        self.reused = 0

    def unchanged(self, inputs: str) -> bool:
        return bool(self.old) and self.old.get("inputs") == inputs

    def record(self, key: str, files: list[str]) -> None:
        self.units[key] = files

    def keep(self, key: str) -> bool:
        """True if the unit is unchanged and its files are still in the output."""
        files = self.old.get("units", {}).get(key)
        if files is None or files != self.units.get(key):
            return False
        previous = str(self.previous)
        if not all(os.path.isfile(os.path.join(previous, f)) for f in files):
            return False
        self.kept += files
        self.reused += 1
        return True

    def link_kept(self, staging: Path) -> None:
        """Hard-link the kept units' files from the previous output into the new tree, so
        that the new tree is complete before it replaces the old one (no copy is made)."""
        made: set[str] = set()
        for rel in self.kept:
            dest = os.path.join(staging, rel)
            folder = os.path.dirname(dest)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            os.link(os.path.join(self.previous, rel), dest)

    def forget(self) -> None:
        """Drop the manifest while the output is being replaced: a build killed then must
        not take the new output for the old one (it builds in full instead)."""
        self.file.unlink(missing_ok=True)

    def save(self, inputs: str, files: list[str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "version": VERSION,
            "output": str(self.previous),
            "inputs": inputs,
            "units": self.units,
            "files": files,
        }
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(self.file)


def list_files(root: Path) -> list[str]:
    """Every file under `root`, as sorted paths relative to it."""
    start = len(str(root)) + 1
    return sorted(
        os.path.join(folder[start:], name) for folder, _, names in os.walk(root) for name in names
    )
