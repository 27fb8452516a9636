"""The data folder's layout: what every file and folder under data/ is, read or named.

Each entry is read as the input its place, name or content says it is; or ignored by a rule
of format.yaml (files.ignored: lock files, hidden files, notes); or named in the report with
a reason and a fix. Nothing is passed over without one of the three. A file is known by what
it holds, not only by its name: a workbook renamed .xls is read as a workbook, a CSV under
another name or letter case is read when its header is recognisable.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from ..problems import Report
from ..quarter import Quarter
from ..schema import FORMAT, Table
from .files import Source, irregular, sniff

REQUIRED = ("site.yaml", "districts.yaml", "communities.csv")
FOLDERS = ("statements", "ledgers", "seals")
LEDGERS = tuple(name for name, table in FORMAT.tables.items() if table.ledger)
QUARTER_TABLES = ("statements", "items")
YAML_SUFFIXES = (".yaml", ".yml")


def ignored(name: str) -> str | None:
    """The reason a name is never read (format.yaml, files.ignored), or None."""
    folded = name.lower()
    return next(
        (r["reason"] for r in FORMAT.files["ignored"] if fnmatch(folded, r["pattern"])), None
    )


def _notes() -> set[str]:
    return {n["name"] for n in FORMAT.files["notes"]}


@dataclass
class Entry:
    """A file to be read, and as what: a table name, 'yaml' or 'xlsx'."""

    kind: str
    source: Source


@dataclass
class Layout:
    required: dict[str, Path] = field(default_factory=dict)  # REQUIRED name -> its path
    folders: list[tuple[Quarter, Path]] = field(default_factory=list)  # quarter folders
    ledgers: dict[str, list[Source]] = field(default_factory=dict)  # read already
    seals: list[Source] = field(default_factory=list)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry) -> bool:
    return entry.is_dir(follow_symlinks=False)


def _skip(entry: os.DirEntry, root: Path, report: Report) -> bool:
    """True for an entry that is not to be looked at further: ignored by rule, or not a
    regular file or folder (reported)."""
    reason = ignored(entry.name)
    if reason:
        report.ignored.append((Source(Path(entry.path), root, report).name, reason))
        return True
    if _is_dir(entry):
        return False
    kind = irregular(Path(entry.path), root)
    if kind:
        Source(Path(entry.path), root, report).problem("not-regular-file", details={"kind": kind})
        return True
    return False


def unsupported(source: Source, kind: str) -> None:
    rule = FORMAT.files["unsupported"][kind]
    source.problem("unsupported-format", details={"what": rule["what"], "how": rule["hint"]})


def unknown_folder(path: Path, root: Path, report: Report, detail: str, fix: str) -> None:
    Source(path, root, report).problem("unknown-folder", details={"detail": detail, "fix": fix})


def survey(root: Path, report: Report) -> Layout:
    """Walk the data folder; report whatever will not be read."""
    layout = Layout(ledgers={name: [] for name in LEDGERS})
    by_name: dict[str, list[os.DirEntry]] = {}
    for entry in _entries(root):
        if _skip(entry, root, report):
            continue
        by_name.setdefault(entry.name.lower(), []).append(entry)
    for folded, entries in by_name.items():
        # On a case-sensitive disk `Communities.csv` and `communities.csv` can both exist.
        entry, *twins = sorted(entries, key=lambda e: e.name != folded)
        for twin in twins:
            detail = f"与 {entry.name} 只有大小写不同，只读取 {entry.name}"
            Source(Path(twin.path), root, report).problem(
                "unknown-file", details={"detail": detail}
            )
        path = Path(entry.path)
        if folded in FOLDERS and _is_dir(entry):
            getattr(_Folders, folded)(layout, path, root, report)
        elif folded in REQUIRED and not _is_dir(entry):
            layout.required[folded] = path
        elif folded in _notes():
            reason = next(n["reason"] for n in FORMAT.files["notes"] if n["name"] == folded)
            report.ignored.append((Source(path, root, report).name, reason))
        elif _is_dir(entry):
            detail = f"“{entry.name}”不是规定的文件夹（只有 {'、'.join(FOLDERS)}）"
            fix = "请移走这个文件夹（如备份、旧版本），或把其中的文件放进规定的文件夹。"
            unknown_folder(path, root, report, detail, fix)
        else:
            names = "、".join(REQUIRED)
            name_file(Source(path, root, report), f"不是规定的文件（数据文件夹顶层只放 {names}）")
    return layout


def name_file(source: Source, detail: str) -> None:
    """Report a file that will not be read: unsupported-format when it is one, else why."""
    data = source.read_bytes()
    if data is None:
        return
    kind = sniff(source.path, data[:64])
    if kind not in ("text", "xlsx"):
        unsupported(source, kind)
    else:
        source.problem("unknown-file", details={"detail": detail})


class _Folders:
    """The three folders of data/, one reader of their entries each."""

    @staticmethod
    def statements(layout: Layout, folder: Path, root: Path, report: Report) -> None:
        entries = [e for e in _entries(folder) if not _skip(e, root, report)]
        canonical = {e.name for e in entries if _is_dir(e) and _canonical_quarter(e.name)}
        for entry in entries:
            path = Path(entry.path)
            if not _is_dir(entry):
                where = "公示表应放在季度文件夹里，如 statements/2025Q2/"
                name_file(Source(path, root, report), where)
                continue
            quarter = _canonical_quarter(entry.name)
            if quarter is not None:
                layout.folders.append((quarter, path))
                continue
            try:
                same = str(Quarter.parse(entry.name))
            except ValueError:
                same = None
            if same:
                also = f"，与 {same} 是同一季度，只读取 {same}" if same in canonical else ""
                detail = f"“{entry.name}”不是规范的季度名{also}"
                fix = f"请把其中的文件移到 statements/{same}/ 文件夹，再删除这个文件夹。"
            else:
                detail = f"“{entry.name}”不是季度"
                fix = "季度文件夹须命名为 2025Q2 这样的格式；备份或旧版本请移出数据文件夹。"
            unknown_folder(path, root, report, detail, fix)

    @staticmethod
    def ledgers(layout: Layout, folder: Path, root: Path, report: Report) -> None:
        fix = "台账文件直接放在 ledgers/ 里；请移走这个文件夹。"
        for source in _files(folder, root, report, fix, first=[f"{n}.csv" for n in LEDGERS]):
            name = source.path.name.lower().removesuffix(".csv")
            if source.path.name.lower().endswith(".csv") and name in LEDGERS:
                layout.ledgers[name].append(source)
                continue
            table = recognise(source, [FORMAT.tables[n] for n in LEDGERS])
            if table is not None:
                layout.ledgers[table.name].append(source)
            else:
                names = "、".join(f"{n}.csv（{FORMAT.tables[n].label}）" for n in LEDGERS)
                name_file(source, f"文件名和表头都不是台账（应为 {names}）")

    @staticmethod
    def seals(layout: Layout, folder: Path, root: Path, report: Report) -> None:
        fix = "封存文件直接放在 seals/ 里；请移走这个文件夹。"
        for source in _files(folder, root, report, fix):
            stem, dot, suffix = source.path.name.rpartition(".")
            if dot and suffix == "jsonl" and _canonical_quarter(stem):
                layout.seals.append(source)
            else:
                detail = "不是封存文件（应为 invoke seal 写出的 2025Q2.jsonl 这样的文件）"
                name_file(source, detail)


def _files(folder: Path, root: Path, report: Report, fix: str, first=()) -> list[Source]:
    """The files directly in `folder` (none ignored by rule), the names in `first` first,
    each read once (its Source goes on to its reader); each folder in it is named with `fix`
    and not read. A file with the very bytes of one before it (a stray copy,
    "items (1).csv") is named and not read twice: read twice, it would make every statement
    in it a duplicate, or double every item."""
    out, seen = [], {}
    entries = sorted(_entries(folder), key=lambda e: (e.name.lower() not in first, e.name))
    for entry in entries:
        if _skip(entry, root, report):
            continue
        path = Path(entry.path)
        if _is_dir(entry):
            detail = f"“{entry.name}”是 {folder.name}/ 里的文件夹"
            unknown_folder(path, root, report, detail, fix)
            continue
        source = Source(path, root, report)
        data = source.read_bytes()
        if data is None:
            continue
        digest = source.sha256()
        if digest in seen:
            source.problem("duplicate-file", details={"other": seen[digest].name})
            continue
        seen[digest] = path
        out.append(source)
    return out


def _canonical_quarter(name: str) -> Quarter | None:
    """The quarter a folder or file is named for, when the name is exactly like 2025Q2."""
    try:
        quarter = Quarter.parse(name)
    except ValueError:
        return None
    return quarter if str(quarter) == name else None


def recognise(source: Source, tables: list[Table]) -> Table | None:
    """The table whose required columns the file's header row holds, if the file is text."""
    data = source.read_bytes()
    if data is None or sniff(source.path, data[:64]) != "text":
        return None
    text = source.read_text()
    if not text:
        return None
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    except csv.Error:
        return None
    for table in tables:
        present = {f.name for h in header if (f := table.field_for_header(h))}
        if {f.name for f in table.fields if f.required} <= present:
            return table
    return None


def quarter_folder(folder: Path, root: Path, report: Report) -> list[Entry]:
    """The files of a quarter folder, each as what it will be read as; the rest reported."""
    out = []
    fix = "季度文件夹里直接放公示表文件；请把其中的文件移出来，或移走这个文件夹。"
    for source in _files(folder, root, report, fix, first=("statements.csv", "items.csv")):
        kind = sniff(source.path, source.read_bytes()[:64])
        name = source.path.name.lower()
        if kind == "xlsx":
            out.append(Entry("xlsx", source))
        elif kind != "text":
            unsupported(source, kind)
        elif name.endswith(YAML_SUFFIXES):
            out.append(Entry("yaml", source))
        elif name in ("statements.csv", "items.csv"):
            out.append(Entry(name.removesuffix(".csv"), source))
        elif (table := recognise(source, [FORMAT.tables[n] for n in QUARTER_TABLES])) is not None:
            out.append(Entry(table.name, source))
        elif source.read_text() is not None:
            detail = "表头不是公示表表头（statements.csv）或收支明细（items.csv）的表头"
            source.problem("unknown-file", details={"detail": detail})
    return out
