"""Load: the data folder into Inputs (registry, quarter folders, ledgers, seal files, settings).

Which files are read, and as what, is the layout's decision (layout.py); each statement file
goes to the reader of its kind (READERS). Every problem met on the way goes to the Report;
nothing raises for bad input and no row is dropped without a problem that says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from ..problems import CannotRun, Placeholders, Report
from ..quarter import Quarter
from ..schema import FORMAT
from .cells import PARSERS, CellError, control_characters
from .files import Source, yaml_load
from .layout import LEDGERS, Entry, quarter_folder, survey
from .rows import Draft, Record
from .seals import SealLog, read_seals
from .tables import Tables
from .text import csv_records, read_districts, yaml_statement
from .workbook import read_workbook

SETTINGS_FILE = "site.yaml"


@dataclass
class Inputs:
    root: Path
    settings: dict
    districts: list[Record] = field(default_factory=list)
    communities: list[Record] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # quarter folders, read by validate
    ledgers: dict[str, list[Record]] = field(default_factory=dict)
    ledgers_key: dict[str, str] = field(default_factory=dict)  # digest of each one's files
    seals: SealLog = field(default_factory=SealLog)


# ----------------------------------------------------------------------------- settings

# site.yaml's own fields: name -> (required, field type). Checked as cells are.
SETTINGS_FIELDS = {
    "city": (True, "text"),
    "bureau": (True, "text"),
    "hotline": (True, "phone"),
    "site_url": (False, "url"),
    "first_quarter": (False, "quarter"),
}
# The footer a government site must carry (《政府网站发展指引》), every field optional:
# name -> (its words on the page, field type).
FOOTER_FIELDS = {
    "sponsor": ("主办单位", "text"),
    "organizer": ("承办单位", "text"),
    "site_code": ("网站标识码", "text"),
    "icp": ("ICP 备案号", "text"),
    "police": ("公安备案号", "text"),
    "contact": ("联系我们", "text"),
    "report_error": ("我为政府网站找错", "url"),
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
    _check_campaign(path, settings.get("campaign"))
    settings["footer"] = _footer(path, settings.get("footer"))
    return settings


def _footer(path: Path, footer) -> dict:
    """The footer's fields, each parsed like a cell of its type; unknown keys refused."""
    if footer is None:
        return {}
    if not isinstance(footer, dict):
        raise CannotRun(f"设置文件 {path} 的 footer 应为“键: 值”的映射")
    unknown = sorted(set(map(str, footer)) - set(FOOTER_FIELDS))
    if unknown:
        known = "、".join(FOOTER_FIELDS)
        raise CannotRun(
            f"设置文件 {path} 的 footer 没有 {'、'.join(unknown)} 这一项（可用：{known}）"
        )
    return {
        key: _setting(path, f"footer.{key}", FOOTER_FIELDS[key][1], value)
        for key, value in footer.items()
        if value not in (None, "")
    }


def _check_campaign(path: Path, campaign) -> None:
    """The campaign block is optional; what it holds must be what the pages read from it."""
    if campaign is None:
        return
    if not isinstance(campaign, dict) or not isinstance(campaign.get("targets", {}), dict):
        raise CannotRun(f"设置文件 {path} 的 campaign 及其 targets 应为“键: 值”的映射")
    total = campaign.get("targets", {}).get("demonstration_total", 0)
    if type(total) is not int or total < 0:
        key = "campaign.targets.demonstration_total"
        raise CannotRun(f"设置文件 {path} 的 {key} 应为非负整数，而不是 {total!r}")


def _setting(path: Path, key: str, kind: str, value):
    """One setting parsed like a cell of its type; a bad one is CannotRun with the reason."""
    try:
        return PARSERS[kind](str(value).strip(), None)
    except CellError as err:
        message = FORMAT.checks[err.code].message
        shown = message.format_map(Placeholders(err.details, value=value, label=key))
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
    statements: list[Source],
    items: list[Source],
    folder: Path,
    report: Report,
    digests: dict | None = None,
) -> list[Draft]:
    """Drafts from a quarter folder's batch files (statements.csv and items.csv, or files
    whose header says they are those). With `digests`, each file's rows' digests go to it
    under the file's name (load.text.csv_records)."""

    def digests_of(source: Source) -> list | None:
        return None if digests is None else digests.setdefault(source.name, [])

    drafts = {}
    out = []
    for source in statements:
        for record in csv_records(source, FORMAT.tables["statements"], digests_of(source))[0]:
            draft = Draft(record)
            drafts.setdefault(draft.key, draft)
            out.append(draft)
    if items and not statements:
        root = items[0].root
        Source(folder / "statements.csv", root, report).problem("file-missing")
    lost, rows = [], []
    for source in items:
        records, file_problems = csv_records(source, FORMAT.tables["items"], digests_of(source))
        rows += records
        lost += file_problems
    for draft in out:
        draft.items_lost = lost
    for item in rows:
        draft = drafts.get(item_key(item))
        if draft is not None:
            draft.items.append(item)
        else:
            missing_header(item, report)
    return out


def item_key(item: Record) -> tuple:
    """The statement an items row belongs to: (community id, quarter)."""
    return (item["community_id"], item["quarter"])


def missing_header(item: Record, report: Report) -> None:
    """An items row whose statement is nowhere (unless its own key could not be read)."""
    cid, quarter = item_key(item)
    if cid is not None and quarter is not None:
        report.add(
            "missing-header", file=item.file, row=item.row, community_id=cid, quarter=str(quarter)
        )


def _yaml_drafts(source: Source) -> list[Draft]:
    draft = yaml_statement(source)
    return [draft] if draft is not None else []


# The reader of each kind of statement file the layout finds in a quarter folder (by suffix,
# or by content for a renamed workbook): one file in, its statements out.
READERS = {"yaml": _yaml_drafts, "xlsx": read_workbook}


@dataclass
class Group:
    """Statement files of a quarter folder that are read together: the batch tables (items
    join their headers across all of them), or one workbook or YAML file on its own. What a
    group's statements are, and what reading them finds, depends on its files alone."""

    name: str  # "batch", or the file's name as reports give it
    entries: list[Entry]

    def sources(self) -> list[Source]:
        return [entry.source for entry in self.entries]


BATCH = ("statements", "items")


def statement_groups(folder: Path, root: Path, report: Report) -> list[Group]:
    """The groups of a quarter folder (named exactly like 2025Q2: layout.py saw to it): the
    batch tables first, then each other file in the layout's order. What is not a statement
    file is reported to `report`."""
    entries = quarter_folder(folder, root, report)
    batch = [entry for entry in entries if entry.kind in BATCH]
    singles = [Group(entry.source.name, [entry]) for entry in entries if entry.kind not in BATCH]
    return ([Group("batch", batch)] if batch else []) + singles


def read_group(
    group: Group, folder: Path, report: Report, digests: dict | None = None
) -> list[Draft]:
    """The drafts of a group; every problem its files give goes to `report` (and, for the
    batch tables, their rows' digests to `digests`: batch_drafts)."""
    for source in group.sources():
        source.report = report
    if group.name == "batch":
        tables = {kind: [e.source for e in group.entries if e.kind == kind] for kind in BATCH}
        drafts = batch_drafts(tables["statements"], tables["items"], folder, report, digests)
    else:
        entry = group.entries[0]
        drafts = READERS[entry.kind](entry.source)
    quarter = Quarter.parse(folder.name)
    for draft in drafts:
        draft.folder = quarter
    return drafts


def ledgers_key(ledgers: dict[str, list[Source]]) -> dict[str, str]:
    """Each ledger's digest of its files as they were read (their names and bytes): with
    the registry, it tells whether the ledger's rows can have changed."""
    keys = {}
    for name, sources in sorted(ledgers.items()):
        h = hashlib.sha256()
        for source in sources:
            h.update(source.identity())
        keys[name] = h.hexdigest()
    return keys


def load_inputs(root: Path, report: Report, cache: Path | None = None) -> Inputs:
    """Read everything under the data folder `root`; name what is not read. With a `cache`
    folder, the registry's and ledgers' tables are read through it (load.tables)."""
    root = Path(root)
    tables = Tables(root, cache)
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
        source = Source(layout.required["communities.csv"], root, report)
        inputs.communities = tables.records(source, FORMAT.tables["communities"])
    inputs.folders = [path for _, path in sorted(layout.folders)]
    for name in LEDGERS:
        table = FORMAT.tables[name]
        sources = layout.ledgers.get(name, [])
        inputs.ledgers[name] = [r for s in sources for r in tables.records(s, table)]
    inputs.ledgers_key = ledgers_key(layout.ledgers)
    tables.prune()
    inputs.seals = read_seals(layout.seals)
    return inputs
