"""Load: read the registry, statements (batch CSV, YAML, Excel) and ledgers into records.

A record is a row whose cells have been parsed by their field type. Every problem met on the
way (unreadable bytes, wrong headers, a bad cell) goes to the Report; nothing raises for bad
input and no row is dropped without a problem that says so.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from .cells import PARSERS, CellError
from .problems import Report
from .quarter import Quarter
from .schema import FORMAT, Field, Table

MAX_FILE_BYTES = 64 * 1024 * 1024
SETTINGS_FILE = "site.yaml"
ITEM_CONTEXT = ("community_id", "quarter", "section")  # given by the statement around an item
LEDGERS = ("rectifications", "inspections", "complaints", "corrections")


class CannotRun(Exception):
    """The run cannot start at all (missing data folder, unreadable settings): exit code 2."""


@dataclass(slots=True)
class Record:
    values: dict
    file: str
    row: int | None
    problems: list = field(default_factory=list)  # problems met reading this row or its file

    def __getitem__(self, name):
        return self.values.get(name)


@dataclass
class Draft:
    """One statement as read from any serialization, before the rules are applied."""

    header: Record
    items: list[Record] = field(default_factory=list)
    folder: Quarter | None = None  # the quarter folder it was found in
    items_lost: list = field(default_factory=list)  # problems that kept items from being read

    @property
    def key(self) -> tuple:
        return (self.header["community_id"], self.header["quarter"])


@dataclass
class Inputs:
    root: Path
    settings: dict
    districts: list[Record] = field(default_factory=list)
    communities: list[Record] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # quarter folders, read by validate
    ledgers: dict[str, list[Record]] = field(default_factory=dict)
    seals: list = field(default_factory=list)  # seal.Seal


# ----------------------------------------------------------------------------- reading bytes


class Source:
    """One input file: its bytes, decoded text, and the name problems are reported under."""

    def __init__(self, path: Path, root: Path, report: Report):
        self.path, self.report = path, report
        try:
            self.name = path.relative_to(root.parent).as_posix()
        except ValueError:
            self.name = path.as_posix()

    def problem(self, code: str, **kw):
        return self.report.add(code, file=self.name, **kw)

    def read_bytes(self) -> bytes | None:
        try:
            size = self.path.stat().st_size
            if size > MAX_FILE_BYTES:
                self.problem("file-too-large", details={"size": size, "limit": MAX_FILE_BYTES})
                return None
            return self.path.read_bytes()
        except OSError as exc:
            self.problem("file-unreadable", details={"detail": exc.strerror or str(exc)})
            return None

    def read_text(self) -> str | None:
        data = self.read_bytes()
        if data is None:
            return None
        text = decode(data)
        if text is None:
            self.problem(
                "file-unreadable", details={"detail": "不是 UTF-8 或 GBK/GB18030 编码的文本文件"}
            )
        elif not text.strip():
            self.problem("file-empty")
            return None
        return text


def decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK); None for binary data."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > len(sample) // 100


# ----------------------------------------------------------------------------- parsing rows


class Columns:
    """Maps a header row to the table's fields and parses data rows into records."""

    def __init__(
        self, table: Table, headers: list, source: Source, row: int | None = 1, implied=()
    ):
        self.table, self.source = table, source
        start = len(source.report.problems)
        self.slots: list[tuple[int, Field, callable, dict]] = []
        self.width = len(headers)
        seen: dict[str, int] = {}
        for index, header in enumerate(headers):
            text = "" if header is None else str(header).strip()
            f = table.field_for_header(text) if text else None
            if f is None:
                if text:
                    known = "、".join(x.label for x in table.fields)
                    source.problem("extra-column", row=row, value=text, details={"known": known})
                continue
            if f.name in seen:
                source.problem("duplicate-column", row=row, field=f.name, label=f.label)
                continue
            seen[f.name] = index
            self.slots.append((index, f, PARSERS[f.type], {}))
        for f in table.fields:
            if f.required and f.name not in seen and f.name not in implied:
                aliases = "、".join(f.names()[1:])
                source.problem(
                    "missing-column",
                    row=row,
                    field=f.name,
                    label=f.label,
                    details={"aliases": aliases},
                )
        # A header problem concerns every row of the file: each record carries it.
        self.header_problems = source.report.problems[start:]

    def record(self, cells: list, row: int | None) -> Record:
        problems = self.source.report.problems
        start = len(problems)
        values = {}
        n = len(cells)
        for index, f, parser, memo in self.slots:
            raw = cells[index] if index < n else None
            # Fast path: most cells repeat a text already parsed in this column.
            hit = memo.get(raw, _MISS) if raw.__class__ is str else _MISS
            if hit is _MISS or hit.__class__ is CellError:
                hit = parse_cell(f, raw, parser, memo, self.source, row)
            values[f.name] = hit
        if n > self.width and any(str(c).strip() for c in cells[self.width :]):
            self.source.problem("cell-count", row=row, details={"count": n, "expected": self.width})
        own = problems[start:] if len(problems) > start else []
        return Record(values, self.source.name, row, self.header_problems + own)


_MISS = object()


def parse_cell(f: Field, raw, parser, memo: dict, source: Source, row: int | None):
    """Parse one cell; report a problem and return None when it is blank-but-required or bad."""
    key = raw if raw.__class__ is str else (raw.__class__, raw)
    hit = memo.get(key, _MISS)
    if hit is _MISS:
        text = cell_text(raw)
        if not text:
            hit = CellError("required-value") if f.required else None
        else:
            try:
                hit = parser(text, f)
            except CellError as err:
                hit = err
        memo[key] = hit
    if hit.__class__ is CellError:
        source.problem(
            hit.code, row=row, field=f.name, label=f.label, value=hit.value, details=hit.details
        )
        return None
    return hit


def cell_text(raw) -> str:
    """A cell as stripped text, whether it came from CSV, YAML or an Excel cell value."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):  # Excel stores numbers as binary floats
        return f"{round(raw, 6):.6f}".rstrip("0").rstrip(".")
    if isinstance(raw, date):
        return raw.isoformat()[:10]
    return str(raw).strip()


# ----------------------------------------------------------------------------- file formats


def read_csv(path: Path, table: Table, root: Path, report: Report) -> list[Record]:
    return read_csv_file(path, table, root, report)[0]


def read_csv_file(path: Path, table: Table, root: Path, report: Report):
    """Records of a CSV file, and the file-level problems (which spoil every row of it)."""
    start = len(report.problems)
    records = _read_csv(path, table, root, report)
    file_problems = [p for p in report.problems[start:] if p.row in (None, 1)]
    return records, file_problems


def _read_csv(path: Path, table: Table, root: Path, report: Report) -> list[Record]:
    source = Source(path, root, report)
    text = source.read_text()
    if text is None:
        return []
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        source.problem("file-unreadable", details={"detail": f"CSV 格式错误：{exc}"})
        return []
    if not rows:
        source.problem("file-empty")
        return []
    columns = Columns(table, rows[0], source)
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cells) or not "".join(cells).strip():
            source.problem("blank-row", row=number)
            continue
        records.append(columns.record(cells, number))
    return records


def _yaml_nodes(source: Source):
    """The YAML document as a node tree (keeps line numbers and the exact text of numbers)."""
    text = source.read_text()
    if text is None:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        source.problem("file-unreadable", details={"detail": f"YAML 格式错误：{exc}"})
        return None
    if node is None:  # only comments
        source.problem("file-empty")
    else:
        _check_escapes(node, source)
    return node


def _check_escapes(node: yaml.Node, source: Source, key: str = "") -> None:
    """A double-quoted YAML escape such as "\\ud800" makes text that no file can hold (half
    of a UTF-16 pair): report it, and keep the text in its escaped form from here on."""
    if isinstance(node, yaml.ScalarNode):
        if node.style == '"' and not node.value.isascii():
            try:
                node.value.encode("utf-8")
            except UnicodeEncodeError:
                node.value = node.value.encode("utf-8", "backslashreplace").decode("utf-8")
                line = node.start_mark.line + 1
                fields = (t.field_for_header(key) for t in FORMAT.tables.values())
                label = next((f.label for f in fields if f is not None), key)
                details = {"key": label or node.value}
                source.problem("invalid-character", row=line, value=node.value, details=details)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_escapes(item, source, key)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _check_escapes(k, source, key)
            _check_escapes(v, source, str(k.value))


def _mapping(node, source: Source, what: str) -> list[tuple[str, yaml.Node]] | None:
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else None
        source.problem("structure", row=line, details={"detail": f"{what}应为“键: 值”的映射"})
        return None
    return [(str(k.value), v) for k, v in node.value]


def _scalar(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _record_from_mapping(
    pairs, table: Table, source: Source, line: int, skip=(), implied=()
) -> Record:
    headers = [k for k, _ in pairs if k not in skip]
    cells = [_scalar(v) for k, v in pairs if k not in skip]
    columns = Columns(table, headers, source, row=line, implied=implied)
    return columns.record(cells, line)


def read_yaml_statement(path: Path, root: Path, report: Report) -> Draft | None:
    source = Source(path, root, report)
    start = len(report.problems)
    node = _yaml_nodes(source)
    if node is None:
        return None
    pairs = _mapping(node, source, "公示表")
    if pairs is None:
        return None
    section_keys = {k for k, _ in pairs if FORMAT.section(k)}
    header = _record_from_mapping(
        pairs, FORMAT.tables["statements"], source, node.start_mark.line + 1, skip=section_keys
    )
    draft = Draft(header)
    items_table = FORMAT.tables["items"]
    for key, value in pairs:
        if key not in section_keys:
            continue
        section = FORMAT.section(key).code
        if not isinstance(value, yaml.SequenceNode):
            if isinstance(value, yaml.ScalarNode) and value.value in ("", "null", "~"):
                continue  # an empty section
            line = value.start_mark.line + 1
            source.problem("structure", row=line, details={"detail": f"“{key}”应为明细列表"})
            continue
        for item in value.value:
            line = item.start_mark.line + 1
            item_pairs = _mapping(item, source, "每条明细")
            if item_pairs is None:
                continue
            record = _record_from_mapping(
                item_pairs, items_table, source, line, implied=ITEM_CONTEXT
            )
            record.values.update(
                community_id=header["community_id"], quarter=header["quarter"], section=section
            )
            draft.items.append(record)
    draft.header.problems = report.problems[start:]  # structure problems spoil the statement
    return draft


def read_districts(path: Path, root: Path, report: Report) -> list[Record]:
    source = Source(path, root, report)
    node = _yaml_nodes(source)
    if node is None:
        return []
    if isinstance(node, yaml.MappingNode):  # allow a top-level `districts:` key
        pairs = dict(_mapping(node, source, "区县文件"))
        node = pairs.get("districts")
    if not isinstance(node, yaml.SequenceNode):
        source.problem("structure", details={"detail": "区县文件应为区县列表"})
        return []
    records = []
    for item in node.value:
        pairs = _mapping(item, source, "每个区县")
        if pairs is not None:
            table = FORMAT.tables["districts"]
            records.append(_record_from_mapping(pairs, table, source, item.start_mark.line + 1))
    return records


# ----------------------------------------------------------------------------- the data folder


def read_settings(root: Path) -> dict:
    path = root / SETTINGS_FILE
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
        json.dumps(settings, ensure_ascii=False, default=str).encode()  # no "\ud800" escapes
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise CannotRun(f"无法读取设置文件 {path}：{exc}") from None
    if not isinstance(settings, dict):
        raise CannotRun(f"设置文件 {path} 应为“键: 值”的映射")
    for key in ("city", "bureau", "hotline", "as_of"):
        if key not in settings:
            raise CannotRun(f"设置文件 {path} 缺少 {key}")
    if not isinstance(settings["as_of"], date):
        raise CannotRun(f"设置文件 {path} 的 as_of 应为日期，如 2025-08-15")
    return settings


def batch_drafts(folder: Path, root: Path, report: Report, quarter: Quarter | None) -> list[Draft]:
    """Drafts from a quarter folder's statements.csv and items.csv."""
    headers = read_csv(folder / "statements.csv", FORMAT.tables["statements"], root, report)
    drafts = {}
    out = []
    for record in headers:
        draft = Draft(record, folder=quarter)
        drafts.setdefault(draft.key, draft)
        out.append(draft)
    items_path = folder / "items.csv"
    if not items_path.exists():
        return out
    items, lost = read_csv_file(items_path, FORMAT.tables["items"], root, report)
    for draft in out:
        draft.items_lost = lost
    for item in items:
        key = (item["community_id"], item["quarter"])
        draft = drafts.get(key)
        if draft is not None:
            draft.items.append(item)
        elif None not in key:
            report.add(
                "missing-header",
                file=item.file,
                row=item.row,
                community_id=key[0],
                quarter=str(key[1]),
            )
    return out


def read_statement_folder(folder: Path, root: Path, report: Report) -> list[Draft]:
    from .excel import read_excel_statement  # openpyxl is only imported when needed

    try:
        quarter = Quarter.parse(folder.name)
    except ValueError:
        quarter = None
    drafts = []
    if (folder / "statements.csv").exists():
        drafts += batch_drafts(folder, root, report, quarter)
    elif (folder / "items.csv").exists():
        Source(folder / "statements.csv", root, report).problem("file-missing")
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        draft = None
        if suffix in (".yaml", ".yml"):
            draft = read_yaml_statement(path, root, report)
        elif suffix == ".xlsx" and not path.name.startswith("~$"):
            draft = read_excel_statement(path, root, report)
        if draft is not None:
            draft.folder = quarter
            drafts.append(draft)
    return drafts


def load_inputs(root: Path, report: Report) -> Inputs:
    """Read everything under the data folder `root`."""
    root = Path(root)
    if not root.is_dir():
        raise CannotRun(f"找不到数据文件夹 {root}")
    inputs = Inputs(root=root, settings=read_settings(root))
    required = {"districts.yaml": None, "communities.csv": None}
    for name in required:
        if not (root / name).exists():
            Source(root / name, root, report).problem("file-missing")
    if (root / "districts.yaml").exists():
        inputs.districts = read_districts(root / "districts.yaml", root, report)
    if (root / "communities.csv").exists():
        table = FORMAT.tables["communities"]
        inputs.communities = read_csv(root / "communities.csv", table, root, report)
    statements = root / "statements"
    if statements.is_dir():
        inputs.folders = sorted(p for p in statements.iterdir() if p.is_dir())
    for name in LEDGERS:
        path = root / "ledgers" / f"{name}.csv"
        records = read_csv(path, FORMAT.tables[name], root, report) if path.exists() else []
        inputs.ledgers[name] = records
    from .seal import read_seals

    inputs.seals = read_seals(root, report)
    return inputs
