"""Incremental builds: a unit (a community's page and files, a company, a district) is
rendered again only when its content key changed; otherwise its files are kept from the
previous output, hard-linked into the new tree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..cache import replacing

MANIFEST = "build-manifest.json"
VERSION = 1


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
        with replacing(self.file) as tmp:
            tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
