"""An inbox read: every file handed in, whatever its name, as a Submission of drafts.

What a file is comes from its content (a workbook named .xls, a CSV named .txt, YAML named
anything); community and quarter come from what it says, never from its name. A statements
CSV and the items CSV that belongs to it are one submission. Every file ends up in exactly
one submission, with the problems met reading it in the Report.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..load.files import Source, sniff
from ..load.inputs import READERS, item_key, missing_header
from ..load.layout import YAML_SUFFIXES, ignored, recognise, unsupported
from ..load.rows import Draft
from ..load.text import csv_records
from ..model import Statement
from ..problems import Problem, Report
from ..schema import FORMAT

INBOX = "收件箱"  # inbox files are reported as 收件箱/<their path in the inbox>
_YAML_KEY = re.compile(r"^[^\s#:][^:]*:(\s|$)")  # a first line like `community_id: ...`


@dataclass
class Submission:
    """One thing handed in: a file (or a statements CSV with its items CSV), and what
    became of it."""

    number: int
    paths: list[Path]  # in the inbox
    names: list[str]  # as reported: 收件箱/...
    kind: str  # xlsx, yaml, csv; a kind of files.unsupported; or "other"
    digest: str = ""  # SHA-256 of the (first) file
    drafts: list[Draft] = field(default_factory=list)
    outcome: str = ""  # a key of OUTCOMES
    note: str = ""  # why, when the problems do not say it (duplicate, ignored)
    statements: list[Statement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    filed: list[str] = field(default_factory=list)  # where its files went in the data folder
    replaced: list[str] = field(default_factory=list)  # old files set aside, now archived

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def quarters(self) -> list:
        return sorted({d.header["quarter"] for d in self.drafts if d.header["quarter"]})


# What became of a submission, in the words of the summary and the receipt.
OUTCOMES = {
    "filed": "已入库",
    "replaced": "已入库（替换旧版）",
    "duplicate": "重复报送",
    "rejected": "未受理",
    "ignored": "已忽略",
}


def inbox_files(inbox: Path) -> list[Path]:
    """Every entry under the inbox but folders, in name order (links and devices too: the
    reader names them)."""
    out = []
    for folder, dirs, files in os.walk(inbox):
        dirs.sort()
        out += [Path(folder) / name for name in sorted(files)]
        out += [Path(folder) / d for d in dirs if os.path.islink(Path(folder) / d)]
    return out


def read_inbox(
    inbox: Path, report: Report, only: list[Path] | None = None, label: str = INBOX
) -> list[Submission]:
    """Every file of the inbox (or just `only`, files in it) read as submissions, each
    reported as `label`/<its path in the inbox>."""
    inbox = Path(inbox)
    submissions: list[Submission] = []
    seen: dict[str, Submission] = {}
    tables: list[tuple[Submission, Source]] = []
    for path in only or inbox_files(inbox):
        source = Source(path, inbox, report)
        source.name = f"{label}/{path.relative_to(inbox).as_posix()}"
        sub = Submission(len(submissions) + 1, [path], [source.name], "other")
        submissions.append(sub)
        reason = next((r for part in path.relative_to(inbox).parts if (r := ignored(part))), None)
        if reason:
            sub.outcome, sub.note = "ignored", reason
            continue
        if path.is_symlink():  # archived, it would be a link to nothing: the file itself, please
            source.problem("not-regular-file", details={"kind": "链接"})
            continue
        data = source.read_bytes()
        if data is None:
            continue
        sub.digest = hashlib.sha256(data).hexdigest()
        if sub.digest in seen:
            sub.outcome, sub.note = "duplicate", f"与 {seen[sub.digest].name} 的内容完全相同"
            continue
        seen[sub.digest] = sub
        sub.kind = _kind(source, data)
        if sub.kind == "csv":
            tables.append((sub, source))
        elif sub.kind in READERS:
            sub.drafts = READERS[sub.kind](source)
        elif sub.kind in FORMAT.files["unsupported"]:
            unsupported(source, sub.kind)
        elif source.read_text() is not None:
            detail = "不是公示表（统一模板 .xlsx、YAML，或公示表和收支明细的 CSV）"
            source.problem("unknown-file", details={"detail": detail})
    return _join_tables(submissions, tables, report)


def _kind(source: Source, data: bytes) -> str:
    kind = sniff(source.path, data[:64])
    if kind != "text":
        return kind
    tables = [FORMAT.tables["statements"], FORMAT.tables["items"]]
    if source.path.name.lower().endswith(YAML_SUFFIXES):
        return "yaml"
    if recognise(source, tables) is not None:
        return "csv"
    text = source.read_text() or ""
    lines = (line for line in text.lstrip("\ufeff").splitlines() if line.strip())
    first = next((line for line in lines if not line.startswith("#")), "")
    return "yaml" if _YAML_KEY.match(first) else "text"


def _join_tables(
    submissions: list[Submission], tables: list[tuple[Submission, Source]], report: Report
) -> list[Submission]:
    """Statements CSVs with the items CSVs whose rows belong to them: each items CSV joins
    the submission of the statements its rows name (rows naming no statement handed in are
    `missing-header`)."""
    heads: dict[tuple, tuple[Draft, Submission]] = {}
    items = []
    for sub, source in tables:
        table = recognise(source, [FORMAT.tables["statements"], FORMAT.tables["items"]])
        records, lost = csv_records(source, table)
        if table.name == "items":
            items.append((sub, records, lost))
            continue
        for record in records:
            draft = Draft(record)
            sub.drafts.append(draft)
            heads.setdefault(draft.key, (draft, sub))
    for sub, records, lost in items:
        owner, joined = None, set()
        for record in records:
            key = item_key(record)
            if key not in heads:
                missing_header(record, report)
                continue
            draft, owner = heads[key][0], owner or heads[key][1]
            draft.items.append(record)
            if id(draft) not in joined:
                joined.add(id(draft))
                draft.items_lost += lost
        if owner is not None:  # the file goes with the (first) statements file it joins
            owner.paths += sub.paths
            owner.names += sub.names
            submissions.remove(sub)
    for k, sub in enumerate(submissions, start=1):
        sub.number = k
    return submissions
