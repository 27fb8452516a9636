"""Sealing published statements, and corrections: a published figure never changes quietly.

`invoke seal QUARTER` appends, for every valid statement of the quarter, its fingerprint and
canonical JSON to data/seals/<QUARTER>.jsonl (committed with the data). Each line carries the
SHA-256 of the line before it (`prev`; the first line, of the file's genesis), so the file is
a hash chain: no line can be edited, dropped or moved without breaking every link after it.
The site publishes the lines and each file's head (verify/seals/, verify/seals.json), and each
build compares the data's seal log with the previously published one (the witness): a sealed
line that is missing, truncated or edited refuses the build, naming community and quarter.

A later build that finds a sealed statement changed needs a correction record
(ledgers/corrections.csv) dated on or after the seal; the page then shows the old and new
figures. A statement that was corrected and sealed again keeps every earlier version in the
file, one line each.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from .files import Source
from .model import Dataset, canonical_json
from .model import fingerprint_of as fingerprint
from .quarter import Quarter
from .schema import FORMAT

SEALS_DIR = "seals"
PUBLISHED = "verify/seals"  # the published copy of the log, inside the site
HEADS = "verify/seals.json"  # each file's line count and head, for machines
LOG_VERSION = 1


@dataclass(frozen=True)
class Seal:
    community_id: str
    quarter: Quarter
    fingerprint: str
    sealed_on: date
    statement: dict = field(compare=False)
    file: str = ""
    row: int = 0


@dataclass
class SealLog:
    """The seal files as read: their lines (verbatim) and the seals they hold."""

    lines: dict[str, list[str]] = field(default_factory=dict)  # quarter -> its file's lines
    files: dict[str, str] = field(default_factory=dict)  # quarter -> file name in reports
    seals: list[Seal] = field(default_factory=list)

    def heads(self) -> dict:
        """What the site publishes for machines: each file's line count and chain head."""
        return {
            "version": LOG_VERSION,
            "files": {
                q: {"lines": len(lines), "head": chain_head(q, lines)}
                for q, lines in sorted(self.lines.items())
            },
        }


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Correction:
    corrected_on: date
    reason: str
    changes: tuple[Change, ...]
    old_code: str
    new_code: str


def short_code(fp: str) -> str:
    h = fp[:8].upper()
    return f"{h[:4]}-{h[4:]}"


def genesis(quarter: str) -> str:
    """The `prev` of a file's first line: binds the chain to its quarter's file."""
    return hashlib.sha256(f"liangshai:seals:{quarter}".encode()).hexdigest()


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()


def log_lines(text: str) -> list[str]:
    """The lines of a seal file, whatever its line endings (git on Windows writes CRLF):
    a line is hashed without them."""
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def chain_head(quarter: str, lines: list[str]) -> str:
    return line_hash(lines[-1]) if lines else genesis(quarter)


def read_seals(sources: list[Source]) -> SealLog:
    """Every seal line of these files, each checked: readable, its content matching its own
    fingerprint, and linked to the line before it. A damaged line is an error that refuses
    the build; it is never just dropped (that would remove its protection)."""
    log = SealLog()
    for source in sorted(sources, key=lambda s: s.path.name):
        quarter = source.path.name.removesuffix(".jsonl")
        text = source.read_text()
        lines = log_lines(text or "")
        log.lines[quarter], log.files[quarter] = lines, source.name
        prev = genesis(quarter)
        for number, line in enumerate(lines, start=1):
            seal, why = _seal_of(line, quarter, prev, source.name, number)
            prev = line_hash(line)
            if why:
                source.problem("seal-damaged", row=number, details={"detail": why})
            if seal is not None:
                log.seals.append(seal)
    return log


def _seal_of(line: str, quarter: str, prev: str, file: str, number: int):
    """The seal of one line, and what is wrong with the line ("" when nothing)."""
    try:
        doc = json.loads(line)
        seal = Seal(
            doc["community_id"],
            Quarter.parse(doc["quarter"]),
            doc["fingerprint"],
            date.fromisoformat(doc["sealed_on"]),
            doc["statement"],
            file,
            number,
        )
        intact = fingerprint(seal.statement) == seal.fingerprint
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # orjson: TypeError
        return None, f"封存记录无法读取（{type(exc).__name__}）"
    if str(seal.quarter) != quarter:
        return seal, f"这一行属于 {seal.quarter}，却在 {quarter} 的封存文件里"
    if not intact:
        return seal, "封存记录的内容与其指纹不符，封存文件被改动过"
    if doc.get("prev") != prev:
        return seal, "这一行与上一行的链接（prev）不符：上一行被改动过、删除过，或顺序被调换"
    return seal, ""


def published_log(witness: Path) -> dict[str, tuple[list[str], dict]] | None:
    """What a previously published site holds, by quarter: its verify/seals/ lines and its
    head ({lines, head} from verify/seals.json, or {}); None when it published no seals.
    Either one vouches for the data's log: a head still checks the chain when the published
    lines are gone, the lines still name what changed when the heads file is."""
    folder = Path(witness) / PUBLISHED
    try:
        heads = json.loads((Path(witness) / HEADS).read_text(encoding="utf-8"))["files"]
        heads = {str(q): h for q, h in heads.items() if isinstance(h, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        heads = {}  # none, or damaged: the published files still say what they hold
    quarters = {p.name.removesuffix(".jsonl") for p in folder.glob("*.jsonl")} | set(heads)
    if not quarters:
        return None
    out = {}
    for quarter in sorted(quarters):
        try:
            text = (folder / f"{quarter}.jsonl").read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            text = ""
        out[quarter] = (log_lines(text), heads.get(quarter, {}))
    return out


def check_witness(data: Dataset, witness: Path | None) -> None:
    """Every line the witness (the previously published log) holds must still be in the data,
    byte for byte and in place; more lines may follow. Each one missing or edited is an
    error naming community and quarter."""
    if witness is None:
        return
    published = published_log(witness)
    if published is None:
        return
    log = data.seal_log
    for quarter, (old_lines, head) in sorted(published.items()):
        lines = log.lines.get(quarter, [])
        where = {
            "file": log.files.get(quarter, f"{data.root.name}/{SEALS_DIR}/{quarter}.jsonl"),
            "quarter": quarter,
        }
        found = False
        for number, old in enumerate(old_lines, start=1):
            new = lines[number - 1] if number <= len(lines) else None
            if new == old:
                continue
            found = True
            community, sealed_on = _who(old)
            details = {"sealed_on": sealed_on, "what": _line_change(old, new)}
            data.report.add(
                "seal-missing",
                row=number,
                community_id=community,
                **where,
                details={**details, "witness": str(witness)},
            )
        count = head.get("lines")
        if found or not isinstance(count, int) or count < 1:
            continue
        if len(lines) < count or line_hash(lines[count - 1]) != head.get("head"):
            what = f"已公布 {count} 行，链头为 {head.get('head')}，现在的封存文件与之不符"
            details = {"sealed_on": "—", "what": what, "witness": str(witness)}
            data.report.add("seal-missing", row=count, **where, details=details)


def _who(line: str) -> tuple[str, str]:
    try:
        doc = json.loads(line)
        return str(doc.get("community_id", "")), str(doc.get("sealed_on", ""))
    except ValueError:
        return "", ""


def _line_change(old: str, new: str | None) -> str:
    if new is None:
        return "这一行被删除了（封存文件被截短或删除）"
    try:
        a, b = json.loads(old), json.loads(new)
    except ValueError:
        return "这一行被改动过，已无法读取"
    if a.get("community_id") != b.get("community_id") or a.get("quarter") != b.get("quarter"):
        return f"这一行原是 {a.get('community_id')} 的封存记录，现在是 {b.get('community_id')} 的"
    changes = diff(a.get("statement", {}), b.get("statement", {}))
    fields = "、".join(c.label for c in changes) or "封存日期或指纹"
    return f"这一行被改动过（{fields}）"


def _totals(doc: dict) -> dict[str, str]:
    sums = {s.code: Decimal(0) for s in FORMAT.sections}
    for item in doc.get("items", []):
        if item.get("section") in sums and item.get("amount"):
            sums[item["section"]] += Decimal(item["amount"])
    return {code: f"{value:,.2f}" for code, value in sums.items()}


def _money(text: str | None) -> str:
    return "—" if text in (None, "") else f"{Decimal(text):,.2f}"


def diff(old: dict, new: dict) -> tuple[Change, ...]:
    """What changed between two versions of a statement, in the format's words."""
    head = FORMAT.tables["statements"]
    changes = []
    for name in (
        "published_on",
        "prepared_by",
        "opening_balance",
        "closing_balance",
        "account_balance",
        "note",
    ):
        a, b = old.get(name), new.get(name)
        if a != b:
            show = _money if name.endswith("balance") else (lambda v: v or "—")
            changes.append(Change(head.field(name).label, show(a), show(b)))
    before, after = _totals(old), _totals(new)
    for section in FORMAT.sections:
        if before[section.code] != after[section.code]:
            changes.append(
                Change(f"{section.label}合计", before[section.code], after[section.code])
            )
    changes += _item_changes(old.get("items", []), new.get("items", []))
    return tuple(changes)


def _item_changes(old: list[dict], new: list[dict]) -> list[Change]:
    """Line items removed, added, or (same section, category and description) changed."""
    gone = [i for i in old if i not in new]
    came = [i for i in new if i not in old]

    def key(item):
        return (item.get("section"), item.get("category"), item.get("description"))

    out = []
    for item in gone:
        match = next((c for c in came if key(c) == key(item)), None)
        if match is not None:
            came.remove(match)
        out.append(
            Change(
                f"明细：{item.get('description') or ''}",
                _money(item.get("amount")),
                _money(match.get("amount")) if match else "（删除）",
            )
        )
    out += [
        Change(f"明细：{i.get('description') or ''}", "（新增）", _money(i.get("amount")))
        for i in came
    ]
    return out


def check_seals(data: Dataset, seals: list[Seal]) -> None:
    """Attach corrections to statements; report sealed statements changed without one.

    A seal is the statement's under its current id even if it was sealed under a former one
    (a community renamed through former_ids keeps its seals); the rename alone is no change."""
    versions: dict[tuple, list[Seal]] = {}
    for seal in seals:
        current = data.aliases.get(seal.community_id, seal.community_id)
        versions.setdefault((current, seal.quarter), []).append(seal)
    corrections: dict[tuple, list] = {}
    for r in data.ledgers.get("corrections", []):
        if not any(p.severity == "error" for p in r.problems):
            corrections.setdefault((r["community_id"], r["quarter"]), []).append(r)
    for key, chain in sorted(versions.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        chain.sort(key=lambda s: (s.sealed_on, s.row))
        notes = sorted(corrections.get(key, []), key=lambda r: r["corrected_on"])
        statement = data.statements.get(key)
        last = chain[-1]
        where = {"file": last.file, "row": last.row, "community_id": key[0], "quarter": str(key[1])}
        if statement is None:
            data.report.add("sealed-removed", **where, details={"sealed_on": last.sealed_on})
            continue
        docs = [_as_current(s.statement, key[0]) for s in chain]
        steps = [
            (a, doc, fingerprint(doc), b.sealed_on)
            for (a, _), (b, doc) in pairwise(zip(chain, docs, strict=True))
        ]
        if statement.fingerprint != fingerprint(docs[-1]):
            steps.append((last, statement.canonical(), statement.fingerprint, None))
        for old, new_doc, new_fp, until in steps:
            note = next(
                (
                    r
                    for r in notes
                    if r["corrected_on"] >= old.sealed_on
                    and (until is None or r["corrected_on"] <= until)
                ),
                None,
            )
            changes = diff(old.statement, new_doc)
            if note is None:
                fields = "、".join(c.label for c in changes) or "内容"
                statement.problems.append(
                    data.report.add(
                        "sealed-changed",
                        **{**where, "file": statement.file, "row": statement.row},
                        details={"sealed_on": old.sealed_on, "fields": fields},
                    )
                )
                continue
            notes.remove(note)
            statement.corrections.append(
                Correction(
                    note["corrected_on"],
                    note["reason"],
                    changes,
                    short_code(old.fingerprint),
                    short_code(new_fp),
                )
            )


def _as_current(doc: dict, community_id: str) -> dict:
    return doc if doc.get("community_id") == community_id else {**doc, "community_id": community_id}


def seal_quarter(data: Dataset, quarter: Quarter, on: date) -> tuple[list[dict], list[str]]:
    """New seal lines for the quarter's valid statements, and why sealing is refused (a
    sealed statement changed without a correction, or a damaged or truncated seal log)."""
    sealed = {}
    for seal in data.seal_log.seals:
        current = data.aliases.get(seal.community_id, seal.community_id)
        sealed[(current, seal.quarter)] = seal  # the latest version wins
    refused = [
        f"{p.file} 第 {p.row} 行：{p.message}" if p.code in LOG_PROBLEMS else p.message
        for p in data.report.problems
        if p.code in LOG_PROBLEMS or (p.code == "sealed-changed" and p.quarter == str(quarter))
    ]
    lines = []
    for (cid, q), s in sorted(data.statements.items(), key=lambda kv: kv[0][0]):
        if q != quarter or not s.valid:
            continue
        previous = sealed.get((cid, q))
        if previous is not None and fingerprint(_as_current(previous.statement, cid)) == (
            s.fingerprint
        ):
            continue
        lines.append(
            {
                "community_id": cid,
                "quarter": str(q),
                "fingerprint": s.fingerprint,
                "sealed_on": on.isoformat(),
                "statement": s.canonical(),
            }
        )
    return lines, refused


LOG_PROBLEMS = {"seal-damaged", "seal-missing"}


def append_seals(root: Path, quarter: Quarter, lines: list[dict]) -> Path:
    """Append these seals to the quarter's file, each linked to the line before it."""
    path = Path(root) / SEALS_DIR / f"{quarter}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    existing = log_lines(text)
    prev = chain_head(str(quarter), existing)
    with path.open("a", encoding="utf-8") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        for line in lines:
            written = canonical_json({**line, "prev": prev})
            f.write(written + "\n")
            prev = line_hash(written)
    return path
