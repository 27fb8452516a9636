"""Sealed statements held against the data: a published figure never changes quietly.

Each build compares the data's seal log with the previously published one (the witness): a
sealed line that is missing, truncated or edited refuses the build, naming community and
quarter. A sealed statement that changed needs a correction record (ledgers/corrections.csv)
dated on or after the seal; the page then shows the old and new figures. `seal_quarter` and
`append_seals` make the new lines of `invoke seal`: a statement corrected and sealed again
keeps every earlier version in the file, one line each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from ..load.seals import SEALS_DIR, Seal, chain_head, line_hash, log_lines, published_log
from ..model import Dataset, canonical_json, short_code
from ..model import fingerprint_of as fingerprint
from ..numbers import money
from ..problems import CannotRun
from ..quarter import Quarter
from ..schema import FORMAT
from ..settings import setting_path


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


DESCRIPTION = FORMAT.label("items.description")  # names a line item in what changed


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
    return {code: money(value) for code, value in sums.items()}


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
            show = money if name.endswith("balance") else (lambda v: v or "—")
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
                f"{DESCRIPTION}：{item.get('description') or ''}",
                money(item.get("amount")),
                money(match.get("amount")) if match else "（删除）",
            )
        )
    out += [
        Change(f"{DESCRIPTION}：{i.get('description') or ''}", "（新增）", money(i.get("amount")))
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
    for r in data.valid_rows("corrections"):
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
                        **statement.where(community_id=key[0], quarter=str(key[1])),
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


def witness(settings: dict) -> Path | None:
    """The published site whose seal log the data must still hold: LIANGSHAI_SEAL_WITNESS,
    else the output folder this build replaces (None when there is none)."""
    if settings["LIANGSHAI_SEAL_WITNESS"]:
        folder = setting_path(settings, "LIANGSHAI_SEAL_WITNESS")
        if not folder.is_dir():  # asked for, and gone: checking nothing would lie
            raise CannotRun(f"找不到封存见证 LIANGSHAI_SEAL_WITNESS：{folder}")
        return folder
    reuse = settings.get("LIANGSHAI_REUSE")
    return reuse.previous if reuse is not None else None
