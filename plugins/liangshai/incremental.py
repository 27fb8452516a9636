"""Incremental builds keyed by content.

Every community (its page, downloads, feed and redirects) and every company page is a *unit*
whose key is the SHA-256 of everything it is made from: its view model (community, statements,
statuses, flags, ledger rows, district), the theme, the plugin's code and the settings. A unit
whose key is unchanged since the last build is not rendered again: its files are hard-linked
from the previous output (a link costs microseconds, creating a file here half a millisecond).
City-wide pages and data files depend on everything and are always rendered.

When no input changed at all (data, content, theme, code, settings, posters), the build is
skipped: the output would be byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MANIFEST = "build-manifest.json"
VERSION = 1


def tree_digest(paths, into=None):
    """Fold the names and bytes of every file under `paths` into a hash."""
    h = into or hashlib.sha256()
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(root.parent)).encode() + b"\0")
            h.update(path.read_bytes())
    return h


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
        self.reused = 0

    def unchanged(self, inputs: str) -> bool:
        return bool(self.old) and self.old.get("inputs") == inputs

    def record(self, key: str, files: list[str]) -> None:
        self.units[key] = files

    def link(self, key: str, output: Path) -> bool:
        """Hard-link a unit's files from the previous output; False if it must be rendered."""
        files = self.old.get("units", {}).get(key)
        if files is None or files != self.units.get(key):
            return False
        sources = [self.previous / f for f in files]
        if not all(p.is_file() for p in sources):
            return False
        for rel, src in zip(files, sources, strict=True):
            dest = Path(output) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(src, dest)
        self.reused += 1
        return True

    def save(self, inputs: str) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "version": VERSION,
            "output": str(self.previous),
            "inputs": inputs,
            "units": self.units,
        }
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(self.file)
