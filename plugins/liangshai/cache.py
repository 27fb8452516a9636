"""Files of the caches (validation, QR codes, posters, the build manifest): each written whole
or not at all, so that a reader, a killed run or two workers racing for the same file never
leave or see half of one."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

from .problems import CannotRun


@contextmanager
def replacing(path: Path, keep: bool = False) -> Iterator[Path]:
    """A temporary path beside `path` to write to, moved over `path` in one rename when the
    block ends without an error (and removed when it does not). With `keep`, a `path` that
    is there by then (another process wrote it first) stays, and this copy is dropped: for
    a file named by what it holds, which readers may have open (see Stored)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        if not keep:
            tmp.replace(path)
        else:
            with suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def place(folder: Path, *within) -> str:
    """Where a cache file's source is, in short: a folder (made absolute) and what `within`
    it (a quarter). Cache files named `<place>-<content>.pickle` are pruned by it."""
    where = os.fsencode(os.path.abspath(folder)) + "".join(f"\0{w}" for w in within).encode()
    return hashlib.sha256(where).hexdigest()[:12]


FORGOTTEN = 30 * 86400  # s: a cache file of another data folder nobody read for so long
WRITING = 3600  # s: a temporary file older than this is no writer's any more


def prune(folder: Path, used: list[Path], places: set[str], now: float | None = None) -> None:
    """Remove the cache files in `folder` (named `<place>-<content>.pickle`) this run did
    not use and no run needs: another version of what this run read (`places`: each version
    of a quarter folder of 20,000 statements is about 100 MB in the validation cache, and
    each statement filed makes one), a file of an earlier release's naming, one of another
    data folder not read for 30 days, and what a writer killed mid-way left. A run still
    reading an older version holds it open (Held)."""
    now, keep = now or time.time(), {p.name for p in used}
    for path in Path(folder).glob("*"):
        name = path.name
        with suppress(OSError):
            st = path.lstat()
            if name.endswith(".tmp"):
                stale = now - st.st_mtime > WRITING
            elif name in keep or not name.endswith(".pickle"):
                stale = False
            elif "-" not in name or name.split("-")[0] in places:
                stale = True
            else:
                stale = now - max(st.st_atime, st.st_mtime) > FORGOTTEN
            if stale:
                path.unlink()


class Held:
    """A cache file a run loaded, kept open while statements read from it are alive: their
    items are read through this descriptor, so that the file another run removed (an older
    version pruned, see prune) or replaced since is still read as it was loaded."""

    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def __del__(self):
        with suppress(OSError):
            os.close(self.fd)


class Stored(Sequence):
    """A list pickled in a cache file, read from the file each time it is used (through a
    small memo), so that it takes no memory while nobody uses it.

    The validation cache keeps each statement's items so: at ten years of quarters at
    province scale they are some 8 million objects, most of the memory a build would hold,
    while a page needs only its own community's. They are read through `held`, the file as
    the run loaded it. Unpickled in another process (which has no such descriptor) they are
    read by `path`, and `stamp` is the file's (device, inode, modification time) when it was
    loaded: a file that changed since then is an error, never items of another statement."""

    __slots__ = ("count", "held", "offset", "path", "size", "stamp")

    def __init__(self, path: str, offset: int, size: int, count: int, stamp: tuple, held=None):
        self.path, self.stamp, self.held = path, stamp, held  # shared by the file's statements
        self.offset, self.size, self.count = offset, size, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, k):
        return _read(self.path, self.offset, self.size, self.stamp, self.held)[k]

    def __iter__(self):
        return iter(_read(self.path, self.offset, self.size, self.stamp, self.held))

    def __repr__(self) -> str:
        return repr(list(self))

    def pickled(self) -> bytes:
        """The list as it is pickled in the file."""
        return _pickled(self.path, self.offset, self.size, self.stamp, self.held)

    def __reduce__(self):
        return (Stored, (self.path, self.offset, self.size, self.count, self.stamp))


def file_stamp(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


@lru_cache(maxsize=1024)  # a community's quarters, several times over, while its page is made
def _read(path: str, offset: int, size: int, stamp: tuple, held: Held | None) -> tuple:
    return tuple(pickle.loads(_pickled(path, offset, size, stamp, held)))


def _pickled(path: str, offset: int, size: int, stamp: tuple, held: Held | None) -> bytes:
    if held is not None:
        return os.pread(held.fd, size, offset)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise CacheChanged(path) from None
    try:
        if file_stamp(os.fstat(fd)) != stamp:
            raise CacheChanged(path)
        return os.pread(fd, size, offset)
    finally:
        os.close(fd)


class CacheChanged(CannotRun):
    """A cache file was removed or rewritten while a run still had objects read from it."""

    def __init__(self, path: str):
        super().__init__(
            f"缓存文件 {path} 在运行中被删除或改写（另一个程序清理了缓存？），请重新运行"
        )
