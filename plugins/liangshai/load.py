"""Load: read the registry, statements (batch CSV, YAML, Excel) and ledgers into records.

A record is a row whose cells have been parsed by their field type. Which files are read, and
as what, is the layout's decision (layout.py); how bytes become text, files.py's. Every problem
met on the way (unreadable bytes, wrong headers, a bad cell) goes to the Report; nothing raises
for bad input and no row is dropped without a problem that says so.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from .cells import PARSERS, CellError, control_characters
from .excel import read_workbook
from .files import Source, YamlRefused, yaml_compose, yaml_load
from .layout import LEDGERS, quarter_folder, survey
from .problems import Blank, CannotRun, Report
from .quarter import Quarter
from .rows import ITEM_CONTEXT, Columns, Draft, Record, Unread
from .schema import FORMAT, Table
from .seal import SealLog, read_seals

SETTINGS_FILE = "site.yaml"


@dataclass
class Inputs:
    root: Path
    settings: dict
    districts: list[Record] = field(default_factory=list)
    communities: list[Record] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # quarter folders, read by validate
    ledgers: dict[str, list[Record]] = field(default_factory=dict)
    seals: SealLog = field(default_factory=SealLog)


# ----------------------------------------------------------------------------- CSV


def read_csv(path: Path, table: Table, root: Path, report: Report) -> list[Record]:
    return csv_records(Source(path, root, report), table)[0]


def csv_records(source: Source, table: Table) -> tuple[list[Record], list]:
    """Records of a CSV file, and the file-level errors (which spoil every row of it)."""
    problems = source.report.problems
    start = len(problems)
    records = _csv_rows(source, table)
    file_problems = [p for p in problems[start:] if p.row in (None, 1) and p.severity == "error"]
    return records, file_problems


def _csv_rows(source: Source, table: Table) -> list[Record]:
    text = source.read_text()
    if text is None:
        return []
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    bad = source.line_problems  # lines that were not valid text: their rows carry it
    records = []
    number = 1
    try:
        header = next(reader, None)
        if header is None:
            source.problem("file-empty")
            return []
        columns = Columns(table, header, source)
        columns.header_problems += [bad[n] for n in range(1, reader.line_num + 1) if n in bad]
        last = reader.line_num
        for cells in reader:
            number += 1
            lines = range(last + 1, reader.line_num + 1)
            last = reader.line_num
            lost = [bad[n] for n in lines if n in bad] if bad else []
            if not "".join(cells).strip():
                if not lost:
                    source.problem("blank-row", row=number)
                continue
            record = columns.record(cells, number)
            record.problems += lost
            records.append(record)
    except csv.Error as exc:
        detail = f"CSV 格式错误：{exc}；第 {number} 行及之后未读取"
        source.problem("file-unreadable", details={"detail": detail})
    return records


# ----------------------------------------------------------------------------- YAML


def _yaml_nodes(source: Source):
    """The YAML document as a node tree (keeps line numbers and the exact text of numbers)."""
    text = source.read_text()
    if text is None:
        return None
    try:
        node = yaml_compose(text)
    except YamlRefused as exc:
        source.problem(exc.code, row=exc.mark.line + 1, details={"detail": exc.detail})
        return None
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
    return [(_key_text(k), v) for k, v in node.value]


def _key_text(node: yaml.Node) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) else ""


_SHAPES = {yaml.SequenceNode: "列表", yaml.MappingNode: "“键: 值”映射"}


def _scalar(node):
    """A value node as its exact text; a list or mapping where one value belongs is unread."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return Unread("wrong-shape", details={"shape": _SHAPES.get(type(node), "其他结构")})


def _record_from_mapping(
    pairs, table: Table, source: Source, line: int, skip=(), implied=()
) -> Record:
    headers = [k for k, _ in pairs if k not in skip]
    cells = [_scalar(v) for k, v in pairs if k not in skip]
    columns = Columns(table, headers, source, row=line, implied=implied)
    return columns.record(cells, line)


def read_yaml_statement(path: Path, root: Path, report: Report) -> Draft | None:
    return yaml_statement(Source(path, root, report))


def yaml_statement(source: Source) -> Draft | None:
    report = source.report
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
    errors = [p for p in report.problems[start:] if p.severity == "error"]
    draft.header.problems = errors  # structure problems spoil the statement
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


# ----------------------------------------------------------------------------- settings

# site.yaml's own fields: name -> (required, field type). Checked as cells are.
SETTINGS_FIELDS = {
    "city": (True, "text"),
    "bureau": (True, "text"),
    "hotline": (True, "phone"),
    "site_url": (False, "url"),
    "first_quarter": (False, "quarter"),
}


def read_settings(root: Path, path: Path | None = None) -> dict:
    """site.yaml, checked; any problem is CannotRun (exit 2): nothing is built from bad
    settings."""
    path = path or root / SETTINGS_FILE
    scratch = Report()
    text = Source(path, root, scratch).read_text() if path.exists() else None
    if text is None:
        why = scratch.problems[0].message if scratch.problems else "找不到文件"
        raise CannotRun(f"无法读取设置文件 {path}：{why}")
    try:
        settings = yaml_load(text)
        json.dumps(settings, ensure_ascii=False, default=str).encode()  # no "\ud800" escapes
    except (UnicodeError, yaml.YAMLError) as exc:
        raise CannotRun(f"无法读取设置文件 {path}：{exc}") from None
    if not isinstance(settings, dict):
        raise CannotRun(f"设置文件 {path} 应为“键: 值”的映射")
    for key in ("city", "bureau", "hotline", "as_of"):
        if key not in settings:
            raise CannotRun(f"设置文件 {path} 缺少 {key}")
    if not isinstance(settings["as_of"], date):
        raise CannotRun(f"设置文件 {path} 的 as_of 应为日期，如 2025-08-15")
    for key, (_, kind) in SETTINGS_FIELDS.items():
        if key in settings:
            settings[key] = _setting(path, key, kind, settings[key])
    _refuse_control_characters(path, settings)
    first = settings.get("first_quarter")
    if first is not None and first > Quarter.of(settings["as_of"]):
        raise CannotRun(f"设置文件 {path} 的 first_quarter {first} 晚于 as_of 所在的季度")
    return settings


def _setting(path: Path, key: str, kind: str, value):
    """One setting parsed like a cell of its type; a bad one is CannotRun with the reason."""
    try:
        return PARSERS[kind](str(value).strip(), None)
    except CellError as err:
        message = FORMAT.checks[err.code].message
        shown = message.format_map(Blank(err.details, value=value, label=key))
        raise CannotRun(f"设置文件 {path} 的 {key}：{shown}") from None


def _refuse_control_characters(path: Path, value, key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _refuse_control_characters(path, v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for v in value:
            _refuse_control_characters(path, v, key)
    elif isinstance(value, str) and control_characters(value):
        raise CannotRun(f"设置文件 {path} 的 {key} 含有控制字符 {control_characters(value)}")


# ----------------------------------------------------------------------------- the data folder


def batch_drafts(
    statements: list[Source], items: list[Source], folder: Path, report: Report
) -> list[Draft]:
    """Drafts from a quarter folder's batch files (statements.csv and items.csv, or files
    whose header says they are those)."""
    drafts = {}
    out = []
    for source in statements:
        for record in csv_records(source, FORMAT.tables["statements"])[0]:
            draft = Draft(record)
            drafts.setdefault(draft.key, draft)
            out.append(draft)
    if items and not statements:
        root = items[0].root
        Source(folder / "statements.csv", root, report).problem("file-missing")
    lost, rows = [], []
    for source in items:
        records, file_problems = csv_records(source, FORMAT.tables["items"])
        rows += records
        lost += file_problems
    for draft in out:
        draft.items_lost = lost
    for item in rows:
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
    """Every statement of a quarter folder (named exactly like 2025Q2: layout.py saw to it)."""
    quarter = Quarter.parse(folder.name)
    tables: dict[str, list[Source]] = {"statements": [], "items": []}
    drafts = []
    for entry in quarter_folder(folder, root, report):
        if entry.kind in tables:
            tables[entry.kind].append(entry.source)
        elif entry.kind == "yaml":
            draft = yaml_statement(entry.source)
            drafts += [draft] if draft is not None else []
        else:
            drafts += read_workbook(entry.source)
    drafts = batch_drafts(tables["statements"], tables["items"], folder, report) + drafts
    for draft in drafts:
        draft.folder = quarter
    return drafts


def load_inputs(root: Path, report: Report) -> Inputs:
    """Read everything under the data folder `root`; name what is not read."""
    root = Path(root)
    if not root.is_dir():
        raise CannotRun(f"找不到数据文件夹 {root}")
    layout = survey(root, report)
    inputs = Inputs(root=root, settings=read_settings(root, layout.required.get(SETTINGS_FILE)))
    report.read.append(Source(root / SETTINGS_FILE, root, report).name)
    for name in ("districts.yaml", "communities.csv"):
        if name not in layout.required:
            Source(root / name, root, report).problem("file-missing")
    if "districts.yaml" in layout.required:
        inputs.districts = read_districts(layout.required["districts.yaml"], root, report)
    if "communities.csv" in layout.required:
        table = FORMAT.tables["communities"]
        inputs.communities = read_csv(layout.required["communities.csv"], table, root, report)
    inputs.folders = [path for _, path in sorted(layout.folders)]
    for name in LEDGERS:
        table = FORMAT.tables[name]
        sources = layout.ledgers.get(name, [])
        inputs.ledgers[name] = [r for s in sources for r in csv_records(s, table)[0]]
    inputs.seals = read_seals(layout.seals)
    return inputs
