"""Seal files as read: each line checked against its own fingerprint and the line before it.

Each line of data/seals/<QUARTER>.jsonl carries the SHA-256 of the line before it (`prev`; the
first line, of the file's genesis), so a file is a hash chain: no line can be edited, dropped
or moved without breaking every link after it. The site publishes the lines and each file's
head (verify/seals/, verify/seals.json); `published_log` reads them back from a published site.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..model import fingerprint_of as fingerprint
from ..quarter import Quarter
from .files import Source

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
