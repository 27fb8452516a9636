"""Content keys: digests of file trees, of the code, and of the parts a unit is made from.

Shared by the validation cache (a quarter folder's key), the incremental build (a page's key)
and the posters' cache.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from functools import lru_cache
from pathlib import Path

import orjson


def tree_digest(paths, into=None, hashes: FileHashes | None = None):
    """Fold the names and bytes of every file under `paths` into a hash. Links are folded in
    as their target's name and special files as their kind: nothing but a regular file is
    ever opened (a FIFO would block, a device never end). With `hashes`, each file's digest
    is folded in instead of its bytes, read again only when its status changed."""
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
                h.update(hashes.of(path) if hashes else path.read_bytes())
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


class FileHashes:
    """Files' SHA-256, remembered with their status (size, modification and change times,
    inode, device), as git's index does: a file whose status is as remembered is not read
    again. A status taken less than RACY seconds before it was remembered is not trusted
    (the file may have changed again within the file system's clock tick): such a file is
    read every time until it has aged."""

    RACY = 2

    def __init__(self, known: dict | None = None):
        self.known = known or {}
        self.started = time.time_ns()
        self.seen: dict[str, list] = {}

    def of(self, path: Path) -> bytes:
        key = str(path)
        st = os.stat(path)
        status = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        entry = self.known.get(key)
        if entry is not None and entry[:5] == status:
            digest = entry[5]
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self.seen[key] = [*status, digest]
        return bytes.fromhex(digest)

    def trusted(self) -> dict[str, list]:
        """What to remember: the files looked at, but those too recent to be trusted."""
        limit = self.started - self.RACY * 10**9
        return {k: e for k, e in self.seen.items() if max(e[1], e[2]) < limit}


PACKAGE = Path(__file__).parent  # the whole plugin: every stage, format.yaml and metrics.yaml


@lru_cache(maxsize=1)
def package_digest() -> str:
    """The whole package's (read once per process: the code running does not change)."""
    return tree_digest([PACKAGE]).hexdigest()


def code_digest(theme: Path) -> str:
    """The theme and the whole package: a change to either re-renders everything."""
    return tree_digest([theme, PACKAGE]).hexdigest()


def unit_key(*parts) -> str:
    """A digest of the parts: each as JSON (orjson: a dataclass as its fields, an enum as its
    value, a date as ISO text; anything else JSON has no form for as its repr), which is
    twice as fast as repr for the views' dataclasses; a part JSON cannot hold (a dict keyed
    by other than text) as its repr."""
    h = hashlib.sha256()
    for part in parts:
        try:
            blob = orjson.dumps(part, default=repr)
        except TypeError:
            blob = b"repr:" + repr(part).encode("utf-8", "surrogatepass")
        h.update(blob + b"\0")
    return h.hexdigest()


def list_files(root: Path) -> list[str]:
    """Every file under `root`, as sorted paths relative to it."""
    start = len(str(root)) + 1
    return sorted(
        os.path.join(folder[start:], name) for folder, _, names in os.walk(root) for name in names
    )
