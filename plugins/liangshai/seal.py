"""Sealing published statements, and corrections: a published figure never changes quietly.

`invoke seal QUARTER` appends, for every valid statement of the quarter, its fingerprint and
canonical JSON to data/seals/<QUARTER>.jsonl (committed with the data). A later build that
finds a sealed statement changed needs a correction record (ledgers/corrections.csv) dated on
or after the seal; the page then shows the old and new figures. A statement that was
corrected and sealed again keeps every earlier version in the file, one line each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path

from .model import Dataset, canonical_json
from .model import fingerprint_of as fingerprint
from .problems import Report
from .quarter import Quarter
from .schema import FORMAT

SEALS_DIR = "seals"
_KEYS = ("community_id", "quarter", "fingerprint", "sealed_on", "statement")


@dataclass(frozen=True)
class Seal:
    community_id: str
    quarter: Quarter
    fingerprint: str
    sealed_on: date
    statement: dict = field(compare=False)
    file: str = ""
    row: int = 0


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


def read_seals(root: Path, report: Report) -> list[Seal]:
    from .load import Source

    seals = []
    folder = Path(root) / SEALS_DIR
    if not folder.is_dir():
        return seals
    for path in sorted(folder.glob("*.jsonl")):
        source = Source(path, Path(root), report)
        text = source.read_text()
        for number, line in enumerate((text or "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                seal = Seal(
                    doc["community_id"],
                    Quarter.parse(doc["quarter"]),
                    doc["fingerprint"],
                    date.fromisoformat(doc["sealed_on"]),
                    doc["statement"],
                    source.name,
                    number,
                )
                intact = fingerprint(seal.statement) == seal.fingerprint
            except (ValueError, KeyError, TypeError) as exc:  # orjson's errors are TypeErrors
                source.problem(
                    "structure", row=number, details={"detail": f"封存记录无法读取（{exc}）"}
                )
                continue
            if not intact:
                source.problem(
                    "structure",
                    row=number,
                    community_id=seal.community_id,
                    details={"detail": "封存记录的内容与其指纹不符，封存文件被改动过"},
                )
                continue
            seals.append(seal)
    return seals


def _totals(doc: dict) -> dict[str, str]:
    from decimal import Decimal

    sums = {s.code: Decimal(0) for s in FORMAT.sections}
    for item in doc.get("items", []):
        if item.get("section") in sums and item.get("amount"):
            sums[item["section"]] += Decimal(item["amount"])
    return {code: f"{value:,.2f}" for code, value in sums.items()}


def _money(text: str | None) -> str:
    from decimal import Decimal

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
    """Attach corrections to statements; report sealed statements changed without one."""
    versions: dict[tuple, list[Seal]] = {}
    for seal in seals:
        versions.setdefault((seal.community_id, seal.quarter), []).append(seal)
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
        steps = [(a, b.statement, b.fingerprint, b.sealed_on) for a, b in pairwise(chain)]
        if statement.fingerprint != last.fingerprint:
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


def seal_quarter(data: Dataset, quarter: Quarter, on: date) -> tuple[list[dict], list[str]]:
    """New seal lines for the quarter's valid statements, and why any could not be sealed."""
    sealed = {}
    for seal in read_seals(data.root, Report()):
        sealed[(seal.community_id, seal.quarter)] = seal  # the latest version wins
    refused = [
        p.message
        for p in data.report.problems
        if p.code == "sealed-changed" and p.quarter == str(quarter)
    ]
    lines = []
    for (cid, q), s in sorted(data.statements.items(), key=lambda kv: kv[0][0]):
        if q != quarter or not s.valid:
            continue
        previous = sealed.get((cid, q))
        if previous is not None and previous.fingerprint == s.fingerprint:
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


def append_seals(root: Path, quarter: Quarter, lines: list[dict]) -> Path:
    path = Path(root) / SEALS_DIR / f"{quarter}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for line in lines:
            f.write(canonical_json(line) + "\n")
    return path
