"""Incremental builds: a unit (a community's page and files, a company, a district) is
rendered again only when its content key changed; otherwise its files are kept from the
previous output, hard-linked into the new tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
from importlib.metadata import version
from pathlib import Path

from ..cache import replacing
from ..digest import FileHashes, tree_digest
from ..settings import DEFAULTS

MANIFEST = "build-manifest.json"
INPUTS = "build-inputs.json"
VERSION = 1


def inputs_digest(paths: list[Path], posters: Path, settings: str, hashes: FileHashes) -> str:
    """Everything a build reads (`paths`: data, content, theme, code, settings file), the
    posters cached for it and what it is told over the settings file (`settings`, the
    settings_key: --strict, or any setting given to build_site)."""
    h = tree_digest(paths, hashes=hashes)
    names = sorted(p.name for p in posters.glob("*.pdf")) if posters.is_dir() else []
    h.update(repr((settings, names, version("pelican"))).encode())
    return h.hexdigest()


def settings_key(settings_file: Path, override: dict) -> str:
    """The settings file's bytes and what this build sets over them (but where it writes its
    new tree, a fresh folder each time)."""
    kept = {k: v for k, v in override.items() if k != "OUTPUT_PATH"}
    blob = Path(settings_file).read_bytes() + repr(sorted(kept.items())).encode()
    return hashlib.sha256(blob).hexdigest()


def settings_cache(settings_file: Path, override: dict) -> Path | None:
    """The cache folder the settings name, found without Pelican: the settings file run as
    Python with the overrides over it, a relative path taken as Pelican and setting_path()
    take it. None when that cannot be told (then only a full look at the inputs decides)."""
    try:
        values = {**runpy.run_path(str(settings_file)), **override}
    except Exception:  # Pelican will read the file and say what is wrong
        return None
    cache = Path(values.get("LIANGSHAI_CACHE", DEFAULTS["LIANGSHAI_CACHE"]))
    if cache.is_absolute():
        return cache
    if not isinstance(values.get("PATH"), str):
        return None
    content = Path(os.path.abspath(Path(settings_file).parent / values["PATH"]))
    return content.parent / cache


class LastInputs:
    """What the last build into an output was made from (build-inputs.json in the cache):
    its settings key, the input paths, their digest and the files' remembered hashes. It is
    small, so that a build where nothing changed is told so without starting Pelican and
    without reading a data file whose status is as it was (digest.FileHashes)."""

    def __init__(self, cache: Path | None, output: Path):
        self.cache, self.output = cache, Path(output)
        self.file = Path(cache) / INPUTS if cache else None
        record = _read(self.file) if self.file else {}
        same = record.get("version") == VERSION and record.get("output") == str(self.output)
        self.record = record if same else {}

    def hashes(self) -> FileHashes:
        return FileHashes(self.record.get("files"))

    def unchanged(self, key: str) -> bool:
        r = self.record
        if not r or r.get("settings") != key or not self.output.is_dir():
            return False
        hashes = self.hashes()
        paths = [Path(p) for p in r["paths"]]
        if inputs_digest(paths, Path(r["posters"]), key, hashes) != r["inputs"]:
            return False
        if hashes.trusted() != r["files"]:  # files have aged into trust: remember them
            self.save(key, paths, Path(r["posters"]), r["inputs"], hashes)
        return True

    def save(self, key, paths, posters: Path, inputs: str, hashes) -> None:
        if self.file is None:
            return
        doc = {
            "version": VERSION,
            "output": str(self.output),
            "settings": key,
            "paths": [str(Path(p).resolve()) for p in paths],
            "posters": str(posters),
            "inputs": inputs,
            "files": hashes.trusted(),
        }
        _write(self.file, doc)

    def forget(self) -> None:
        if self.file:
            self.file.unlink(missing_ok=True)


class Reuse:
    """The previous build's units, and this build's, for one output folder."""

    def __init__(self, cache: Path, previous: Path):
        self.file = Path(cache) / MANIFEST
        self.previous = Path(previous)
        old = _read(self.file)
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

    def files(self, written: list[str]) -> list[str]:
        """Every file of the new site: those this build wrote and those it kept."""
        return sorted({*written, *self.kept})

    def save(self, inputs: str, written: list[str], spare: dict | None) -> None:
        """Record this build: its units, its files (those it `written` and those it kept)
        and the spare tree it left beside the output (spare.publish)."""
        doc = {
            "version": VERSION,
            "output": str(self.previous),
            "inputs": inputs,
            "units": self.units,
            "files": self.files(written),
            "written": written,
            "spare": spare,
        }
        _write(self.file, doc)


def _read(path: Path) -> dict:
    """A record written by _write, or {} when there is none or it cannot be read."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write(path: Path, doc: dict) -> None:
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
