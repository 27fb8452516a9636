"""City-wide files joined from every community's piece, in community order, cheaply between
builds.

Each file is a head, the communities' pieces (empty ones left out) with a separator between
them, and a tail. A piece whose community's unit did not change since the last build is
copied, byte for byte, from the file that build published, in the kernel
(os.copy_file_range), and runs of such pieces in one copy: a build where one statement
changed writes a few new pieces and copies the rest (650 MB at province scale) instead of
reading 20,000 fragments back from a store and encoding them again.

The last build's index (in the cache) says where each community's piece lies in each file and
which file that is (its inode, size and modification time; a published file is never written
into, only replaced). A file not exactly as it was written, or an index that does not hold
together, is not copied from: then every kept community's piece is made again.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import orjson

from ..cache import replacing

# A file's (head, separator, tail), by its path in the data folder.
Layout = dict[str, tuple[str, str, str]]
VERSION = 1


class Scratch:
    """This build's new fragments, kept in an unnamed file as the renderers hand them back and
    read back one at a time: at province scale a full build's are over a GB of text.

    The files are joined by another thread while the pages are rendered (CityFiles): `get`
    waits for a fragment not yet put, until `all_put` says that no more are coming."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 -- closed by close()
        self.at: dict[str, int] = {}
        self.ready, self.complete = threading.Condition(), False

    def put(self, key: str, fragment) -> None:
        with self.ready:
            self.at[key] = self.file.seek(0, os.SEEK_END)
            pickle.dump(fragment, self.file, protocol=5)
            self.ready.notify_all()

    def all_put(self) -> None:
        with self.ready:
            self.complete = True
            self.ready.notify_all()

    def get(self, key: str):
        with self.ready:
            while key not in self.at:
                if self.complete:
                    raise KeyError(f"no fragment was made for unit {key}")
                self.ready.wait()
            self.file.seek(self.at[key])
            return pickle.load(self.file)

    def close(self) -> None:
        self.file.close()


class LastIndex:
    """Where each community's piece lies in the city files of the last build, if they are
    still there as it wrote them. `has(key)`: that community's pieces can be copied."""

    def __init__(self, index: Path, folder: Path | None, layout: Layout):
        self.keys: dict[str, int] = {}
        self.files: dict[str, list[int]] = {}  # name -> [start, end, start, end, …] by key
        self.folder = folder
        if folder is None:
            return
        try:
            doc = orjson.loads(index.read_bytes())
            if doc["version"] == VERSION and sorted(doc["files"]) == sorted(layout):
                keys, files = doc["keys"], doc["files"]
                if all(_fits(folder / name, len(keys), *files[name]) for name in layout):
                    self.keys = {k: i for i, k in enumerate(keys)}
                    self.files = {name: files[name][1] for name in layout}
        except (OSError, ValueError, KeyError, TypeError):
            self.keys, self.files = {}, {}

    def has(self, key: str) -> bool:
        return key in self.keys


def _fits(path: Path, count: int, stamp, spans) -> bool:
    """The file is the one the index was made for, and its spans lie in it, in order."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if stamp != [st.st_ino, st.st_size, st.st_mtime_ns] or not isinstance(spans, list):
        return False
    if len(spans) != 2 * count or not all(isinstance(x, int) for x in spans):
        return False
    in_order = all(a <= b for a, b in pairwise(spans))
    return in_order and (not spans or spans[-1] <= st.st_size)


def write(
    folder: Path,
    layout: Layout,
    keys: list[str],
    parts: Callable[[str], dict[str, str]],
    last: LastIndex,
    index: Path,
) -> None:
    """Write every file of `layout` into `folder`, with the pieces of the communities `keys`
    (in order): those `last` has copied from its files, the others made by `parts(key)`
    (file name -> piece). Then save the index of what was written."""
    writers = {name: _Writer(folder / name, *layout[name], last, name) for name in layout}
    try:
        for key in keys:
            old = last.keys.get(key)
            if old is not None:
                for w in writers.values():
                    w.copy(old)
            else:
                made = parts(key)
                for name, w in writers.items():
                    w.write(made.get(name, ""))
    finally:
        for w in writers.values():
            w.close()
    doc = {"version": VERSION, "keys": keys, "files": {n: w.record() for n, w in writers.items()}}
    with replacing(index) as tmp:
        tmp.write_bytes(orjson.dumps(doc))


class _Writer:
    """One file being joined. Copies from the last build's file wait in `run` (its start and
    end there, and the rank among its non-empty pieces of the last one) so that consecutive
    pieces go in one copy; `at` is where the file will have got to once they are written."""

    FLUSH = 1 << 20

    def __init__(self, path: Path, head: str, sep: str, tail: str, last: LastIndex, name: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.out = path, open(path, "wb", buffering=0)  # noqa: SIM115 -- closed by close()
        self.sep, self.tail = sep.encode(), tail.encode()
        self.buffer, self.at, self.pieces, self.spans = bytearray(), 0, 0, []
        self.run: list[int] | None = None
        self.source = None
        if last.files:
            self.source = open(last.folder / name, "rb")  # noqa: SIM115 -- closed by close()
            self.old = last.files[name]
            self.rank = _ranks(self.old)
        self._emit(head.encode())

    def write(self, text: str) -> None:
        piece = text.encode()
        if piece:
            self._flush_run()
            if self.pieces:
                self._emit(self.sep)
            start = self.at
            self._emit(piece)
            self.pieces += 1
            self.spans += (start, self.at)
        else:
            self.spans += (self.at, self.at)

    def copy(self, k: int) -> None:
        """The piece of the last build's k-th community, as it was written there."""
        start, end = self.old[2 * k], self.old[2 * k + 1]
        if start == end:
            self.spans += (self.at, self.at)
            return
        run = self.run
        if run is not None and self.rank[k] == run[2] + 1:  # next to the last one copied
            self.at += end - run[1]  # the separator between them, and this piece
            run[1], run[2] = end, self.rank[k]
        else:
            self._flush_run()
            if self.pieces:
                self._emit(self.sep)
            self.run = [start, end, self.rank[k]]
            self.at += end - start
        self.pieces += 1
        self.spans += (self.at - (end - start), self.at)

    def _emit(self, data: bytes) -> None:
        self.buffer += data
        self.at += len(data)
        if len(self.buffer) >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.out.write(self.buffer)
            self.buffer.clear()

    def _flush_run(self) -> None:
        if self.run is None:
            return
        self._flush()
        start, end, _ = self.run
        self.run = None
        _copy_range(self.source, self.out, start, end - start)

    def close(self) -> None:
        self._flush_run()
        self._emit(self.tail)
        self._flush()
        self.out.close()
        if self.source:
            self.source.close()

    def record(self) -> list:
        st = os.stat(self.path)
        return [[st.st_ino, st.st_size, st.st_mtime_ns], self.spans]


def _ranks(spans: list[int]) -> list[int]:
    """For each piece, how many non-empty pieces come before it."""
    ranks, n = [], 0
    for k in range(0, len(spans), 2):
        ranks.append(n)
        n += spans[k] != spans[k + 1]
    return ranks


def _copy_range(source, out, offset: int, count: int) -> None:
    """Append `count` bytes of `source` from `offset` to `out`, in the kernel where it can."""
    src, dst = source.fileno(), out.fileno()
    while count:
        try:
            done = os.copy_file_range(src, dst, count, offset)
        except OSError:  # not on this file system, or across two
            done = os.write(dst, os.pread(src, min(count, 1 << 24), offset))
        if done == 0:
            raise OSError(f"{source.name} is shorter than its index says")
        offset, count = offset + done, count - done
