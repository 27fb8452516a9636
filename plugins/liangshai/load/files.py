"""Reading input files safely: bytes, text, YAML and workbooks, before anything is parsed.

Only regular files inside the data folder are opened (never a device, a FIFO or a link out of
it, and what such a path holds is never echoed); every limit of format.yaml (files.limits) is
checked before a file is loaded; text is decoded line by line when it must be, so that a few
undecodable lines are named and the rest of the file is still read.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..problems import Report
from ..schema import FORMAT

LIMITS = FORMAT.limits


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every link followed, lies inside the folder `root`."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links
        return False
    return True


_KINDS = (
    (stat.S_ISDIR, "文件夹"),
    (stat.S_ISFIFO, "命名管道"),
    (stat.S_ISCHR, "设备文件"),
    (stat.S_ISBLK, "设备文件"),
    (stat.S_ISSOCK, "套接字"),
)


def irregular(path: Path, root: Path) -> str | None:
    """Why `path` is not a regular file inside `root` (in Chinese), or None when it is."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "找不到该文件"
    if stat.S_ISLNK(mode):
        if not inside(path, root):
            return "链接，指向数据文件夹之外"
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return "失效的链接"
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "特殊文件")


class Source:
    """One input file: its bytes, decoded text, and the name problems are reported under."""

    def __init__(self, path: Path, root: Path, report: Report):
        self.path, self.root, self.report = Path(path), Path(root), report
        try:
            self.name = self.path.relative_to(self.root.parent).as_posix()
        except ValueError:
            self.name = self.path.as_posix()
        self.line_problems: dict[int, object] = {}  # line number -> its undecodable-line problem
        self._data: bytes | bool | None = False  # False: not read yet; None: unreadable
        self._text: str | bool | None = False
        self.sheet: str | None = None  # the worksheet being read, for a workbook
        self._sha256: bytes | None = None

    def problem(self, code: str, **kw):
        if self.sheet is not None:
            kw.setdefault("sheet", self.sheet)
        return self.report.add(code, file=self.name, **kw)

    def read_bytes(self) -> bytes | None:
        """The file's bytes (read once), or None with the problem reported."""
        if self._data is False:
            self._data = self._read(LIMITS.file_bytes)
            if self._data is not None:
                self.report.read.append(self.name)
        return self._data

    def sha256(self) -> bytes:
        """SHA-256 of the file's bytes (of none, when it cannot be read), taken once: the
        layout tells copies apart by it, and the caches key on it."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.read_bytes() or b"").digest()
        return self._sha256

    def identity(self) -> bytes:
        """Its name and SHA-256: what a cache keys the file on."""
        return repr(self.name).encode() + self.sha256()

    def _read(self, limit: int) -> bytes | None:
        kind = irregular(self.path, self.root)
        if kind:
            self.problem("not-regular-file", details={"kind": kind})
            return None
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path.resolve(), flags | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            self.problem("file-unreadable", details={"detail": exc.strerror or str(exc)})
            return None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since it was looked at
                self.problem("not-regular-file", details={"kind": "特殊文件"})
                return None
            data = f.read(limit + 1)  # never more, whatever the file says its size is
            if len(data) > limit:
                size = max(os.fstat(fd).st_size, len(data))
                details = {"size": f"{size} 字节", "limit": f"{limit} 字节"}
                self.problem("file-too-large", details=details)
                return None
        return data

    @property
    def decoded(self) -> bool:
        """Whether read_text() was asked for already (its problems reported then)."""
        return self._text is not False

    def read_text(self) -> str | None:
        """The file's text (decoded once), or None with the problem reported."""
        if self._text is False:
            self._text = self._decode()
        return self._text

    def _decode(self) -> str | None:
        data = self.read_bytes()
        if data is None:
            return None
        decoded = decode(data)
        if decoded is None:
            self.problem(
                "file-unreadable", details={"detail": "不是 UTF-8 或 GBK/GB18030 编码的文本文件"}
            )
            return None
        for line in decoded.bad_lines:
            self.line_problems[line] = self.problem(
                "undecodable-line", row=line, details={"encoding": decoded.encoding}
            )
        if not decoded.text.strip():
            self.problem("file-empty")
            return None
        return decoded.text


# ----------------------------------------------------------------------------- text


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # as a person would name it
    bad_lines: tuple[int, ...] = ()  # 1-based; decoded with U+FFFD where bytes were bad


_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode text" export


def decode(data: bytes) -> Decoded | None:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), else UTF-16 with a BOM;
    a file that is mostly one of the first two but has a few bad lines is decoded line by line
    and names them. None for binary data."""
    if data.startswith(_UTF16):
        try:
            return _unless_binary(Decoded(data.decode("utf-16"), "UTF-16"))
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return _unless_binary(Decoded(data.decode("utf-8-sig"), "UTF-8"))
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    if not _mostly_utf8(lines):
        try:
            return _unless_binary(Decoded(data.decode("gb18030"), "GBK/GB18030"))
        except UnicodeDecodeError:
            return _unless_binary(_by_line(lines, "gb18030", "GBK/GB18030"))
    return _unless_binary(_by_line(lines, "utf-8-sig", "UTF-8"))


def _mostly_utf8(lines: list[bytes]) -> bool:
    """Whether most lines with non-ASCII bytes are valid UTF-8 (GBK text almost never is)."""
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > bad


def _by_line(lines: list[bytes], codec: str, name: str) -> Decoded:
    out, bad = [], []
    for number, line in enumerate(lines, start=1):
        try:
            out.append(line.decode(codec))
        except UnicodeDecodeError:
            out.append(line.decode(codec, errors="replace"))
            bad.append(number)
        codec = "utf-8" if codec == "utf-8-sig" else codec  # a BOM only on the first line
    return Decoded("\n".join(out), name, tuple(bad))


def _unless_binary(decoded: Decoded) -> Decoded | None:
    sample = decoded.text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return None if controls > len(sample) // 100 else decoded


# ----------------------------------------------------------------------------- what a file is

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "protected"),  # OLE: .xls, .et, .doc, .wps, or an encrypted .xlsx
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"{\\rtf", "document"),
)
_ZIP_KINDS = (
    ("xl/workbook.xml", "xlsx"),
    ("xl/workbook.bin", "spreadsheet"),  # .xlsb
    ("Index/Document.iwa", "spreadsheet"),  # Numbers
    ("word/document.xml", "document"),
    ("ppt/presentation.xml", "document"),
)


def sniff(path: Path, head: bytes) -> str:
    """What a file really is, from its first bytes (its name may say otherwise): 'xlsx',
    'text', or a key of format.yaml's files.unsupported."""
    if head[4:12] == b"ftypheic" or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    kind = next((k for magic, k in _MAGIC if head.startswith(magic)), "text")
    if kind == "zip":
        return _zip_kind(path)
    if kind == "protected" and path.suffix.lower() in (".doc", ".wps", ".ppt", ".dps"):
        return "document"  # the same container holds old Word and WPS documents
    if kind == "text":
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if start.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
            return "html"
    return kind


def _zip_kind(path: Path) -> str:
    """A zip container's kind by its parts; a broken one named as a workbook is a workbook
    (most likely cut short on its way), for the workbook reader to report."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument" in z.read("mimetype")[:100]:
                return "spreadsheet" if b"spreadsheet" in z.read("mimetype")[:100] else "document"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "archive"
    return next((kind for part, kind in _ZIP_KINDS if part in names), "archive")


def workbook_problem(path: Path) -> dict | None:
    """Details of a file-too-large problem when the workbook would unpack past the limits
    (a zip bomb is a few KB on disk), else None. Not a zip at all is for openpyxl to say."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(infos) > LIMITS.workbook_entries:
        limit = LIMITS.workbook_entries
        return {"what": "内含", "size": f"{len(infos)} 个部件", "limit": f"{limit} 个"}
    total = sum(i.file_size for i in infos)
    if total > LIMITS.workbook_bytes:
        limit = LIMITS.workbook_bytes
        return {"what": "解压后", "size": f"{total} 字节", "limit": f"{limit} 字节"}
    return None


# ----------------------------------------------------------------------------- YAML


class YamlRefused(yaml.YAMLError):
    """An alias, or nesting past the limit: refused before anything is built from it."""

    def __init__(self, code: str, mark, detail: str = ""):
        super().__init__(detail or code)
        self.code, self.mark, self.detail = code, mark, detail


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases (a few hundred bytes of `&a [*a, *a, …]` expand
    to billions of nodes) and with a bounded depth (deep nesting exhausts the stack)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise YamlRefused("yaml-alias", self.peek_event().start_mark)
        self.depth += 1
        if self.depth > LIMITS.yaml_depth:
            mark = self.peek_event().start_mark
            raise YamlRefused("structure", mark, f"嵌套超过 {LIMITS.yaml_depth} 层")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def yaml_load(text: str):
    """Python data from YAML text, read with the safe loader above."""
    return yaml.load(text, Loader=SafeLoader)


def yaml_compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=SafeLoader)
