"""The readers of text files: CSV tables (registry, batch statements, ledgers) and YAML
statements, cells parsed by their field type into records.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import yaml

from ..problems import Report
from ..schema import FORMAT, Table
from .files import Source, YamlRefused, yaml_compose
from .rows import ITEM_CONTEXT, Columns, Draft, Record, Unread

# ----------------------------------------------------------------------------- CSV


def read_csv(path: Path, table: Table, root: Path, report: Report) -> list[Record]:
    return csv_records(Source(path, root, report), table)[0]


def csv_records(
    source: Source, table: Table, digests: list | None = None
) -> tuple[list[Record], list]:
    """Records of a CSV file, and the file-level errors (which spoil every row of it). With
    `digests`, each row's row_digest goes to it as the row is read, the header's first."""
    problems = source.report.problems
    start = len(problems)
    records = _csv_rows(source, table, digests)
    file_problems = [p for p in problems[start:] if p.row in (None, 1) and p.severity == "error"]
    return records, file_problems


def csv_reader(text: str):
    """The rows of CSV text as cells: comma-separated, or tab-separated when the first line
    has a tab and no comma."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def row_digest(cells: list[str]) -> bytes | None:
    """16 bytes that tell a row's cells from any other's; None for a row they cannot tell
    apart (no cells, or a cell holding the unit separator the cells are joined with)."""
    joined = "\x1f".join(cells)
    if not cells or joined.count("\x1f") != len(cells) - 1:
        return None
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _csv_rows(source: Source, table: Table, digests: list | None) -> list[Record]:
    text = source.read_text()
    if text is None:
        return []
    reader = csv_reader(text)
    bad = source.line_problems  # lines that were not valid text: their rows carry it
    records = []
    number = 1
    try:
        header = next(reader, None)
        if header is None:
            source.problem("file-empty")
            return []
        if digests is not None:
            digests.append(row_digest(header))
        columns = Columns(table, header, source)
        columns.header_problems += [bad[n] for n in range(1, reader.line_num + 1) if n in bad]
        last = reader.line_num
        for cells in reader:
            number += 1
            if digests is not None:
                digests.append(row_digest(cells))
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
