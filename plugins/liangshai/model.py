"""Model: the trusted shapes the site is rendered from, built by the validator.

A Statement keeps what could be read even when it is invalid, together with its problems, so a
page can say 数据有误 and why instead of hiding it.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path

import orjson

from .cache import Stored
from .problems import Problem, Report
from .quarter import Quarter
from .schema import FORMAT

ZERO = Decimal("0.00")
SECTION_ORDER = {s.code: i for i, s in enumerate(FORMAT.sections)}


def _item_order(d: dict) -> tuple:
    """Items are ordered canonically, so that the same statement typed in another order has
    the same fingerprint: by section, then category, description, amount, date, approval,
    contract and note (a blank as ""). Spelled out: it runs for every item of every statement."""
    return (
        SECTION_ORDER.get(d["section"], 99),
        d["category"] or "",
        d["description"] or "",
        d["amount"] or "",
        d["date"] or "",
        d["approval_ref"] or "",
        d["contract"] or "",
        d["note"] or "",
    )


@dataclass
class District:
    slug: str
    name: str
    full_name: str
    bureau: str
    phone: str
    email: str
    address: str
    demo_target: int


@dataclass
class Community:
    id: str
    name: str
    district: str
    street: str
    address: str
    committee: str
    company: str | None = None
    company_code: str | None = None
    account_type: str | None = None
    account_bank: str | None = None
    account_no: str | None = None  # last four digits only
    demonstration: bool = False
    active_from: Quarter | None = None
    active_to: Quarter | None = None
    former_ids: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    manager: str | None = None  # 物业服务企业 / 业委会 / 物管会
    households: int | None = None  # base data (SPEC §3.4): None disables what needs it
    floor_area: int | None = None
    parking_spaces: int | None = None
    lifts: int | None = None
    ad_positions: int | None = None
    problems: list[Problem] = field(default_factory=list)
    file: str = ""
    row: int | None = None

    def active_in(self, quarter: Quarter) -> bool:
        return (self.active_from is None or self.active_from <= quarter) and (
            self.active_to is None or quarter <= self.active_to
        )


@dataclass(slots=True)
class Item:
    section: str | None
    category: str | None
    description: str | None
    amount: Decimal | None
    date: date | None = None
    approval_ref: str | None = None
    contract: str | None = None
    note: str | None = None
    row: int | None = None

    def __reduce__(self):
        # Pickled as a call of the constructor: the validation cache holds 160,000 items at
        # Fuzhou scale, and this is a third smaller and faster than the default slots state.
        return (Item, _item_fields(self))

    def canonical(self) -> dict:
        return {
            "section": self.section,
            "category": self.category,
            "description": self.description,
            "amount": _money(self.amount),
            "date": _iso(self.date),
            "approval_ref": self.approval_ref,
            "contract": self.contract,
            "note": self.note,
        }


_item_fields = operator.attrgetter(*Item.__dataclass_fields__)


def _sums(items) -> dict[str, Decimal]:
    out = dict.fromkeys(SECTION_ORDER, ZERO)
    for i in items:
        if i.amount is not None and i.section in out:
            out[i.section] += i.amount
    return out


_stored_sums = lru_cache(maxsize=1024)(_sums)


@dataclass(slots=True)  # 800,000 of them at ten years of province scale: no __dict__ each
class Statement:
    community_id: str | None
    quarter: Quarter | None
    published_on: date | None
    prepared_by: str | None
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    account_balance: Decimal | None
    note: str | None
    items: list[Item]  # or cache.Stored: kept in the validation cache, read when used
    file: str
    row: int | None
    problems: list[Problem] = field(default_factory=list)
    errors: int = 0  # how many of the problems are errors (set by the validator)
    corrections: list = field(default_factory=list)  # validate.seals.Correction, oldest first
    sheet: str | None = None  # the worksheet it was read from, for a workbook
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    def where(self, **kw) -> dict:
        """Where a problem about this statement is: its file, row, sheet, community, quarter."""
        return {
            "file": self.file,
            "row": self.row,
            "sheet": self.sheet,
            "community_id": self.community_id,
            "quarter": str(self.quarter) if self.quarter else None,
            **kw,
        }

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def total(self, section: str) -> Decimal:
        return self.totals[section]

    @property
    def totals(self) -> dict[str, Decimal]:
        """The sum of each section. Not kept with the statement: items kept in the cache are
        summed again when asked, through a memo of the last ones (a page asks several times)."""
        items = self.items
        return _stored_sums(items) if items.__class__ is Stored else _sums(items)

    def canonical(self) -> dict:
        """The statement as plain JSON-ready data: the input of its fingerprint. Built anew
        on each call (keeping it for 160,000 statements would cost hundreds of MB)."""
        items = sorted((i.canonical() for i in self.items), key=_item_order)
        return {
            "format_version": FORMAT.version,
            "community_id": self.community_id,
            "quarter": str(self.quarter) if self.quarter else None,
            "published_on": _iso(self.published_on),
            "prepared_by": self.prepared_by,
            "opening_balance": _money(self.opening_balance),
            "closing_balance": _money(self.closing_balance),
            "account_balance": _money(self.account_balance),
            "note": self.note,
            "items": items,
        }

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: changes whenever any published figure changes.

        Kept once taken: read it only once validation has finished with the statement."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint_of(self.canonical())
        return self._fingerprint

    @property
    def verification_code(self) -> str:
        return short_code(self.fingerprint)

    def __reduce__(self):
        # Pickled as its fields, restored by the constructor: the validation cache holds
        # every statement (160,000 at province scale, read again by every build), and this
        # loads in two thirds of the time of the default slots state, 15 % smaller.
        return (_statement, _statement_fields(self))


_statement_fields = operator.attrgetter(*Statement.__dataclass_fields__)


def _statement(*fields) -> Statement:
    """A statement as __reduce__ pickled it: its fields in order, the fingerprint last."""
    s = Statement(*fields[:-1])
    s._fingerprint = fields[-1]
    return s


@dataclass
class Dataset:
    """Everything validated, ready for metrics and rendering."""

    settings: dict
    as_of: date
    districts: dict[str, District]
    communities: dict[str, Community]
    statements: dict[tuple[str, Quarter], Statement]  # valid or not, one per key
    rejected: list[Statement]  # statements that belong to no community or clash with another
    ledgers: dict[str, list]  # ledger name -> its rows (load.rows.Record), valid or not
    aliases: dict[str, str]  # former id -> current id
    report: Report
    root: Path | None = None
    registry_key: str = ""
    ledgers_key: dict = field(default_factory=dict)  # each ledger's files: load.inputs.ledgers_key
    seal_log: object = None  # load.seals.SealLog: the seal files as read, published with the site
    contracts: dict = field(default_factory=dict)  # community id -> its valid Contracts

    @cached_property
    def quarters(self) -> list[Quarter]:
        """Every quarter from `first_quarter` of site.yaml (else the first with a statement)
        to the last one that has ended. Statements outside that span are errors and never
        placed, so no typo can stretch the timeline.

        Cached: read it only once validation has filled in the statements."""
        first = self.settings.get("first_quarter")
        present = [q for (_, q) in self.statements]
        if first is None and not present:
            return []
        return (first or min(present)).range_to(Quarter.of(self.as_of).prev())

    def statement(self, community_id: str, quarter: Quarter) -> Statement | None:
        return self.statements.get((community_id, quarter))

    @cached_property
    def _by_community(self) -> dict[str, list[Statement]]:
        index: dict[str, list[Statement]] = {}
        for (cid, _), statement in self.statements.items():
            index.setdefault(cid, []).append(statement)
        for statements in index.values():
            statements.sort(key=lambda s: (s.quarter.year, s.quarter.q))  # not Quarter's __lt__
        return index

    def valid_rows(self, ledger: str) -> list:
        """The rows of a ledger that have no errors."""
        return [r for r in self.ledgers.get(ledger, []) if r.valid]

    def statements_of(self, community_id: str) -> list[Statement]:
        """Every statement of a community, active quarter or not, oldest first.

        Indexed once: ask only once validation has filled in the statements."""
        return self._by_community.get(community_id, [])


def short_code(fingerprint: str) -> str:
    """The verification code printed on posters and pages: a fingerprint's first 8 hex
    digits, grouped (3F2A-9C01)."""
    h = fingerprint[:8].upper()
    return f"{h[:4]}-{h[4:]}"


def canonical_json(doc) -> str:
    """The one serialisation that fingerprints are taken of, and open data is written in:
    keys sorted, no spaces, text as it is (not \\u-escaped). These are exactly the bytes of
    json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) (tested),
    made by orjson in a quarter of the time."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def fingerprint_of(doc: dict) -> str:
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
