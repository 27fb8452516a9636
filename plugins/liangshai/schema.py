"""The unified disclosure format, read once from format.yaml into small typed objects.

Nothing else in the project spells out a column, a category or a check message: it asks
`FORMAT` here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from types import SimpleNamespace

import yaml

FORMAT_FILE = Path(__file__).with_name("format.yaml")
METRICS_FILE = Path(__file__).with_name("metrics.yaml")


def normalize_name(text: str) -> str:
    """Fold a header or a choice for matching: width, case, spaces and punctuation variants."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return s.replace(" ", "").replace("_", "").replace("\u3000", "")


@dataclass(frozen=True)
class Category:
    section: str
    code: str
    short: str
    label: str

    def names(self) -> tuple[str, ...]:
        return (self.code, self.short, self.label)


@dataclass(frozen=True)
class Section:
    code: str
    label: str
    description: str
    aliases: tuple[str, ...]
    categories: tuple[Category, ...]
    needs_approval: bool = False

    def names(self) -> tuple[str, ...]:
        return (self.code, self.label, *self.aliases)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    required: bool
    aliases: tuple[str, ...] = ()
    description: str = ""
    values: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.name, self.label, *self.aliases)


@dataclass(frozen=True)
class Ledger:
    """What a ledger's rows mean (format.yaml, a ledger table's `ledger`)."""

    date: str  # the field of the day an item arose
    closed: str | None = None  # the status value that closes an item (销号)
    closing_needs: tuple[str, ...] = ()  # fields a closed item must have
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later) dates never reversed


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    file: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    ledger: Ledger | None = None
    _by_header: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for f in self.fields:
            for n in f.names():
                self._by_header.setdefault(normalize_name(n), f)

    def field_for_header(self, header: str) -> Field | None:
        return self._by_header.get(normalize_name(header))

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # "error" or "warning"
    title: str
    message: str
    hint: str
    flag: str | None = None  # short red-flag label shown to owners
    owner: str | None = None  # the red flag explained to an owner
    fatal: bool = False  # refuses the whole build (a sealed figure would change quietly)
    ask: str | None = None  # a question for owners to put to the company (no accusation)
    watch: bool = False  # puts the community on the bureau's list of 通报 candidates


@dataclass(frozen=True)
class Limits:
    """What an input may weigh before it is read at all (format.yaml, files.limits)."""

    file_bytes: int
    yaml_depth: int
    workbook_bytes: int
    workbook_entries: int
    sheet_rows: int


class Labels(SimpleNamespace):
    """Nested labels as attributes (LABELS.statements.quarter) or keys (LABELS.sections[code])."""

    @classmethod
    def of(cls, tree: dict) -> Labels:
        return cls(**{k: cls.of(v) if isinstance(v, dict) else v for k, v in tree.items()})

    def __getitem__(self, key: str):
        return getattr(self, key)


@dataclass(frozen=True)
class Format:
    version: int
    title: str
    subtitle: str
    cost_cap: Decimal
    max_text_length: int
    sections: tuple[Section, ...]
    tables: dict[str, Table]
    checks: dict[str, Check]
    statuses: dict[str, dict[str, str]]
    files: dict  # the data folder's rules: ignored names, notes, unsupported formats
    limits: Limits
    published: dict[str, tuple[Field, ...]]  # columns the open data adds, by table
    _sections: dict[str, Section] = field(default_factory=dict, compare=False, repr=False)
    _categories: dict[tuple[str, str], Category] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self):
        for s in self.sections:
            for n in s.names():
                self._sections[normalize_name(n)] = s
            for c in s.categories:
                for n in c.names():
                    self._categories.setdefault((s.code, normalize_name(n)), c)

    def section(self, text: str) -> Section | None:
        """The section named by code, label or alias, or None."""
        return self._sections.get(normalize_name(text))

    def category(self, section: str, text: str) -> Category | None:
        """The category of `section` named by code, short label or full label, or None."""
        key = (section, text)
        if key not in self._categories:  # cache the raw spelling too: this is on the hot path
            self._categories[key] = self._categories.get((section, normalize_name(text)))
        return self._categories[key]

    def section_by_code(self, code: str) -> Section:
        return self._sections[code]

    @cached_property
    def labels(self) -> dict:
        """Every label of the format by where it is defined: `statements.closing_balance`
        (a field), `tables.items`, `sections.income`, `statuses.on_time`,
        `published.statements.status`. Templates get it as LABELS; nothing spells a label
        again (a test holds that)."""
        out: dict = {name: {f.name: f.label for f in t.fields} for name, t in self.tables.items()}
        out["tables"] = {name: t.label for name, t in self.tables.items()}
        out["sections"] = {s.code: s.label for s in self.sections}
        out["statuses"] = {code: s["label"] for code, s in self.statuses.items()}
        out["published"] = {
            name: {f.name: f.label for f in fields} for name, fields in self.published.items()
        }
        return out

    def label(self, path: str) -> str:
        """The label at a dotted path of `labels`, e.g. label("statements.quarter")."""
        node = self.labels
        for part in path.split("."):
            node = node[part]
        return node

    @cached_property
    def label_names(self) -> Labels:
        """`labels` for templates (LABELS): attributes, read at once by Jinja (a mapping's
        keys cost Jinja a failed attribute lookup each, on every row of every page)."""
        return Labels.of(self.labels)

    @cached_property
    def flag_checks(self) -> tuple[Check, ...]:
        """The checks that raise a red flag, in order (asked for each statement's flags)."""
        return tuple(c for c in self.checks.values() if c.flag)


def read_yaml(path: Path):
    """One of the plugin's own YAML files, read with libyaml when present (eight times faster
    than pure Python; the format is read by every command when it starts)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


@cache
def load_format(path: Path = FORMAT_FILE) -> Format:
    raw = read_yaml(path)
    sections = tuple(
        Section(
            code=s["code"],
            label=s["label"],
            description=s.get("description", ""),
            aliases=tuple(s.get("aliases", ())),
            needs_approval=bool(s.get("needs_approval", False)),
            categories=tuple(Category(section=s["code"], **c) for c in s["categories"]),
        )
        for s in raw["sections"]
    )
    tables = {
        name: Table(
            name=name,
            label=t["label"],
            file=t["file"],
            description=t.get("description", ""),
            key=tuple(t.get("key", ())),
            fields=tuple(_field(f) for f in t["fields"]),
            ledger=_ledger(t.get("ledger")),
        )
        for name, t in raw["tables"].items()
    }
    checks = {code: Check(code=code, **c) for code, c in raw["checks"].items()}
    return Format(
        version=raw["version"],
        title=raw["title"],
        subtitle=raw["subtitle"],
        cost_cap=Decimal(raw["cost_cap"]),
        max_text_length=int(raw["max_text_length"]),
        sections=sections,
        tables=tables,
        checks=checks,
        statuses=raw["statuses"],
        files=raw["files"],
        limits=Limits(**raw["files"]["limits"]),
        published={
            name: tuple(_field({"type": "text", "required": False, **f}) for f in fields)
            for name, fields in raw["published"].items()
        },
    )


def _field(f: dict) -> Field:
    return Field(
        name=f["name"],
        label=f["label"],
        type=f["type"],
        required=bool(f["required"]),
        aliases=tuple(f.get("aliases", ())),
        description=f.get("description", ""),
        values=tuple(str(v) for v in f.get("values", ())),
    )


def _ledger(raw: dict | None) -> Ledger | None:
    if raw is None:
        return None
    return Ledger(
        date=raw["date"],
        closed=raw.get("closed"),
        closing_needs=tuple(raw.get("closing_needs", ())),
        date_order=tuple(tuple(pair) for pair in raw.get("date_order", ())),
    )


FORMAT = load_format()
