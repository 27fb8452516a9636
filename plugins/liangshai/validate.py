"""Validate: apply the rules of the format to what was loaded, and build the model.

Cell-level problems were found while loading; here come the rules across cells, rows and
files: registry consistency, the balance identity, continuity, the cost cap, approvals,
deposits, deadlines and the ledgers' closure rules. Every problem lands in the one Report.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

from .incremental import tree_digest
from .load import Inputs, load_inputs, read_statement_folder
from .model import Community, Dataset, District, Item, Statement
from .parallel import WorkerFailed, in_parallel
from .problems import Report
from .quarter import Quarter
from .rows import Draft, Record
from .schema import FORMAT
from .seal import check_seals

CACHE_VERSION = 2  # bump when cached statements would no longer match what the code makes


def validate_folder(
    root: Path | str, strict: bool = False, as_of: date | None = None, cache: Path | None = None
) -> Dataset:
    """Load and validate a data folder. Raises load.CannotRun only when no run is possible.

    With a `cache` folder, quarter folders whose inputs did not change are not read again."""
    report = Report(strict=strict)
    with gc_paused():
        inputs = load_inputs(Path(root), report)
        return validate(inputs, report, as_of or inputs.settings["as_of"], cache)


@contextmanager
def gc_paused():
    """Validation makes a few million small objects and no garbage cycles; Python's cyclic
    collector would walk all of them again and again as they pile up (the load would take
    over 50 % longer). At the end they move to the collector's permanent generation: the
    first collection after the pause would otherwise walk them all once more (0.1-0.25 s
    at 2,000 communities). Being free of cycles, they are still freed when let go."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def registry_key(inputs: Inputs, as_of: date) -> str:
    """What every statement's checks depend on besides its own folder."""
    files = [inputs.root / name for name in ("communities.csv", "districts.yaml", "site.yaml")]
    h = tree_digest([f for f in files if f.exists()] + [Path(__file__).parent])
    h.update(repr((as_of, CACHE_VERSION)).encode())
    return h.hexdigest()


def validate(inputs: Inputs, report: Report, as_of: date, cache: Path | None = None) -> Dataset:
    districts = build_districts(inputs.districts, report)
    communities, aliases = build_communities(inputs.communities, districts, report)
    data = Dataset(
        settings=inputs.settings,
        as_of=as_of,
        districts=districts,
        communities=communities,
        statements={},
        rejected=[],
        ledgers={},
        aliases=aliases,
        report=report,
        root=inputs.root,
    )
    data.registry_key = registry_key(inputs, as_of)
    for statements, folder_report in checked_folders(data, inputs.folders, cache):
        report.merge(folder_report)
        for statement in statements:
            place(data, statement)
    check_continuity(data)
    data.ledgers = {
        name: check_ledger(name, records, data) for name, records in inputs.ledgers.items()
    }
    data.seal_log = inputs.seals
    check_seals(data, inputs.seals.seals)
    for statement in list(data.statements.values()) + data.rejected:
        statement.problems = list(dict.fromkeys(statement.problems))
        statement.errors = sum(p.severity == "error" for p in statement.problems)
    return data


def _dupes(records: list[Record], key: str, report: Report, code: str = "duplicate-id"):
    """Yield each record whose `key` was not seen before; report the ones that repeat."""
    seen: dict = {}
    for r in records:
        value = r[key]
        if value is None:
            continue
        if value in seen:
            report.add(
                code,
                file=r.file,
                row=r.row,
                field=key,
                value=value,
                details={"other_row": seen[value].row},
            )
            continue
        seen[value] = r
        yield r


def build_districts(records: list[Record], report: Report) -> dict[str, District]:
    out = {}
    for r in _dupes(records, "slug", report):
        if r.problems:
            continue  # reported already; a district with a bad field is left out of the site
        out[r["slug"]] = District(**r.values)
    return out


def build_communities(records, districts, report):
    by_name = {}
    for d in districts.values():
        by_name.update({d.slug: d.slug, d.name: d.slug, d.full_name: d.slug})
    communities: dict[str, Community] = {}
    for r in _dupes(records, "id", report):
        values = dict(r.values)
        district = by_name.get(values["district"]) if values["district"] else None
        if values["district"] and district is None:
            choices = "、".join(f"{d.slug}（{d.name}）" for d in districts.values())
            r.problems.append(
                report.add(
                    "unknown-district",
                    file=r.file,
                    row=r.row,
                    field="district",
                    label=FORMAT.tables["communities"].field("district").label,
                    value=values["district"],
                    details={"choices": choices},
                )
            )
        values["district"] = district
        values["demonstration"] = bool(values["demonstration"])
        values["former_ids"] = values["former_ids"] or ()
        values["former_names"] = values.get("former_names") or ()
        c = Community(**values, problems=list(r.problems), file=r.file, row=r.row)
        if c.active_from and c.active_to and c.active_to < c.active_from:
            c.problems.append(
                report.add(
                    "invalid-active-range",
                    file=r.file,
                    row=r.row,
                    field="active_to",
                    value=str(c.active_to),
                    details={"start": c.active_from},
                )
            )
        if not c.account_type and not unread(r.problems, "account_type"):
            c.problems.append(
                report.add(
                    "no-special-account",
                    file=r.file,
                    row=r.row,
                    field="account_type",
                    community_id=c.id,
                )
            )
        communities[c.id] = c
    aliases: dict[str, str] = {}
    for c in communities.values():
        for old in c.former_ids:
            other = (
                f"小区 {old}"
                if old in communities
                else (f"小区 {aliases[old]} 的曾用编号" if old in aliases else None)
            )
            if other:
                c.problems.append(
                    report.add(
                        "alias-conflict",
                        file=c.file,
                        row=c.row,
                        field="former_ids",
                        value=old,
                        details={"other": other},
                    )
                )
            else:
                aliases[old] = c.id
    return communities, aliases


# ----------------------------------------------------------------------------- statements


def _statement_from(draft: Draft) -> Statement:
    h = draft.header
    problems = list(h.problems) + draft.items_lost
    items = []
    for r in draft.items:
        if r.problems:
            problems += r.problems
        v = r.values
        items.append(
            Item(
                v.get("section"),
                v.get("category"),
                v.get("description"),
                v.get("amount"),
                v.get("date"),
                v.get("approval_ref"),
                v.get("contract"),
                v.get("note"),
                r.row,
            )
        )
    return Statement(
        community_id=h["community_id"],
        quarter=h["quarter"],
        published_on=h["published_on"],
        prepared_by=h["prepared_by"],
        opening_balance=h["opening_balance"],
        closing_balance=h["closing_balance"],
        account_balance=h["account_balance"],
        note=h["note"],
        items=items,
        file=h.file,
        row=h.row,
        problems=problems,
    )


def check_statement(data: Dataset, draft: Draft) -> Statement:
    """A statement with the rules that concern it alone (and the registry) applied."""
    s = _statement_from(draft)

    def problem(code, item_file=None, **kw):
        kw.setdefault("row", s.row)
        s.problems.append(
            data.report.add(
                code,
                file=item_file or s.file,
                community_id=s.community_id,
                quarter=str(s.quarter) if s.quarter else None,
                **kw,
            )
        )

    if s.community_id in data.aliases:
        current = data.aliases[s.community_id]
        problem(
            "former-id-used",
            field="community_id",
            value=s.community_id,
            details={"current": current},
        )
        s.community_id = current
    community = data.communities.get(s.community_id)
    if s.community_id is not None and community is None:
        problem("unknown-community", field="community_id", value=s.community_id)
    if s.quarter is not None:
        check_dates(s, community, data, draft.folder, problem)
    item_file = draft.items[0].file if draft.items else s.file
    if not draft.items_lost:  # with its items unreadable, sums would only add noise
        check_items(s, problem, item_file)
        check_sums(s, problem)
    return s


# A statement with one of these is kept out of the site: its quarter is not one the site shows.
OUT_OF_TIME = {"quarter-out-of-range", "future-quarter"}


def place(data: Dataset, s: Statement) -> None:
    """File a statement under its community and quarter, unless another is there already."""
    key = (s.community_id, s.quarter)
    if (
        s.community_id not in data.communities
        or s.quarter is None
        or any(p.code in OUT_OF_TIME for p in s.problems)
    ):
        data.rejected.append(s)
    elif key in data.statements:
        first = data.statements[key]
        for one, other in ((s, first), (first, s)):  # both are suspect: say so on each
            one.problems.append(
                data.report.add(
                    "duplicate-statement",
                    file=one.file,
                    row=one.row,
                    community_id=s.community_id,
                    quarter=str(s.quarter),
                    details={"other": _where(other)},
                )
            )
        data.rejected.append(s)
    else:
        data.statements[key] = s


def _cache_path(data: Dataset, folder: Path, cache: Path) -> Path:
    digest = tree_digest([folder], hashlib.sha256(data.registry_key.encode()))
    return Path(cache) / "validation" / f"{digest.hexdigest()[:40]}.pickle"


Checked = tuple[list[Statement], Report]  # a folder's statements, and what reading it found


def checked_folders(data: Dataset, folders: list[Path], cache: Path | None) -> list[Checked]:
    """The statements and problems of each quarter folder, in order.

    With a cache, a folder whose inputs did not change (its files, the registry, the settings,
    this code) is read from it; the others are checked on two cores, the largest first, and
    saved to it. A forked worker hands its folders over through the cache."""
    if cache is None:
        return [check_folder(data, folder) for folder in folders]
    paths = [_cache_path(data, folder, cache) for folder in folders]
    missing = [k for k, path in enumerate(paths) if not path.exists()]
    missing.sort(key=lambda k: -sum(f.lstat().st_size for f in folders[k].iterdir()))
    here, results = os.getpid(), {}

    def check(k):
        checked = check_folder(data, folders[k])
        _save(paths[k], checked)
        return k, checked if os.getpid() == here else None

    def collect(result):
        k, checked = result
        results[k] = checked or _load(paths[k])

    with suppress(WorkerFailed):  # a folder a worker failed on is checked again below
        jobs = [partial(check, k) for k in missing]
        in_parallel(min(2, os.cpu_count() or 1), jobs, collect, Path(cache), least=2)
    return [
        results.get(k) or (_load(paths[k]) if paths[k].exists() else check_folder(data, folder))
        for k, folder in enumerate(folders)
    ]


def check_folder(data: Dataset, folder: Path) -> Checked:
    report = Report(strict=data.report.strict)
    scratch = replace(data, report=report)
    drafts = read_statement_folder(folder, data.root, report)
    return [check_statement(scratch, d) for d in drafts], report


# Statements per pickle in the cache. Pickle remembers every object it has written, and
# that memo slows it down once it outgrows the CPU caches: a whole 20,000-statement folder
# took twice as long per statement as in pieces. (Pieces do not share objects: a problem of
# a statement and the same problem in the folder's list come back equal, not identical.)
PICKLE_CHUNK = 250


def _save(path: Path, checked: Checked) -> None:
    statements, report = checked
    for s in statements:
        s.fingerprint  # noqa: B018 -- computed once, kept in the cache with the statement
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(report, f, protocol=5)
        for k in range(0, len(statements), PICKLE_CHUNK):
            pickle.dump(statements[k : k + PICKLE_CHUNK], f, protocol=5)
    tmp.replace(path)


def _load(path: Path) -> Checked:
    statements: list[Statement] = []
    with path.open("rb") as f:
        report = pickle.load(f)
        while f.peek(1):
            statements += pickle.load(f)
    return statements, report


def _where(s: Statement) -> str:
    return f"{s.file} 第 {s.row} 行" if s.row else s.file


def check_dates(s: Statement, community, data: Dataset, folder, problem) -> None:
    as_of = data.as_of
    if folder is not None and folder != s.quarter:
        # The folder is the stronger word: the statement is shown (as 数据有误) where it was
        # handed in, and a typo cannot put it in a quarter the site does not show.
        problem(
            "quarter-mismatch", field="quarter", value=str(s.quarter), details={"folder": folder}
        )
        s.quarter = folder
    q = s.quarter
    first, last = data.settings.get("first_quarter"), Quarter.of(as_of)
    if (first is not None and q < first) or q > last:
        span = {"first": first or "—", "last": last}
        problem("quarter-out-of-range", field="quarter", value=str(q), details=span)
        return
    if as_of <= q.end:
        problem("future-quarter", field="quarter", value=str(q), details={"as_of": as_of})
    if community is not None and not community.active_in(q):
        active = f"{community.active_from or '—'} 至 {community.active_to or '今'}"
        problem("inactive-community", field="quarter", details={"active": active})
    if s.published_on is not None:
        if s.published_on < q.end:
            problem(
                "published-too-early",
                field="published_on",
                value=str(s.published_on),
                details={"quarter_end": q.end},
            )
        elif s.published_on > as_of:
            problem(
                "published-in-future",
                field="published_on",
                value=str(s.published_on),
                details={"as_of": as_of},
            )


def unread(problems, name: str, row: int | None = None) -> bool:
    """Whether field `name` (of `row`, if given) could not be read: no check may then judge
    it blank (a red flag is never raised from a value that was not read)."""
    return any(p.field == name and (row is None or p.row == row) for p in problems)


def check_items(s: Statement, problem, item_file: str) -> None:
    fields = FORMAT.tables["items"]
    for item in s.items:
        if item.amount is not None and item.amount < 0:
            problem(
                "negative-amount",
                item_file,
                row=item.row,
                field="amount",
                label=fields.field("amount").label,
                value=str(item.amount),
            )
        if item.section is None or item.category is None:
            continue
        category = FORMAT.category(item.section, item.category)
        section = FORMAT.section_by_code(item.section)
        if category is None:
            choices = "、".join(c.short for c in section.categories)
            problem(
                "invalid-category",
                item_file,
                row=item.row,
                field="category",
                label=fields.field("category").label,
                value=item.category,
                details={"section": section.label, "choices": choices},
            )
            continue
        item.category = category.code
        if (
            section.needs_approval
            and not item.approval_ref
            and not unread(s.problems, "approval_ref", item.row)
        ):
            problem(
                "use-without-approval",
                item_file,
                row=item.row,
                field="approval_ref",
                value=item.description,
            )
    if not s.items and not s.note:
        problem("no-items")


def check_sums(s: Statement, problem) -> None:
    if any(i.amount is None or i.section is None for i in s.items):
        return  # a bad item was reported already; sums over it would only add noise
    income, cost, use = s.total("income"), s.total("cost"), s.total("use")
    if s.opening_balance is not None and s.closing_balance is not None:
        expected = s.opening_balance + income - cost - use
        if expected != s.closing_balance:
            problem(
                "balance-mismatch",
                field="closing_balance",
                value=str(s.closing_balance),
                details={
                    "closing": s.closing_balance,
                    "opening": s.opening_balance,
                    "income": income,
                    "cost": cost,
                    "use": use,
                    "expected": expected,
                    "diff": s.closing_balance - expected,
                },
            )
    if cost > income * FORMAT.cost_cap:
        pct = f"{cost / income:.0%}" if income else "全部"
        problem("cost-over-cap", details={"cost": cost, "income": income, "pct": pct})
    if (
        s.account_balance is not None
        and s.closing_balance is not None
        and s.account_balance < s.closing_balance
    ):
        problem(
            "not-deposited",
            field="account_balance",
            value=str(s.account_balance),
            details={
                "account": s.account_balance,
                "closing": s.closing_balance,
                "diff": s.closing_balance - s.account_balance,
            },
        )


def check_continuity(data: Dataset) -> None:
    for (cid, q), s in data.statements.items():
        prev = data.statements.get((cid, q.prev()))
        if prev is None or prev.closing_balance is None or s.opening_balance is None:
            continue
        if prev.closing_balance != s.opening_balance:
            s.problems.append(
                data.report.add(
                    "continuity-broken",
                    file=s.file,
                    row=s.row,
                    field="opening_balance",
                    value=str(s.opening_balance),
                    community_id=cid,
                    quarter=str(q),
                    details={
                        "opening": s.opening_balance,
                        "prev_quarter": prev.quarter,
                        "prev_closing": prev.closing_balance,
                        "diff": s.opening_balance - prev.closing_balance,
                        "gap": abs(s.opening_balance - prev.closing_balance),
                    },
                )
            )


# ----------------------------------------------------------------------------- ledgers

_DATE_ORDER = {  # ledger -> (earlier field, later field) pairs that must not be reversed
    "rectifications": (("found_on", "deadline"), ("found_on", "closed_on")),
    "complaints": (("received_on", "deadline"), ("received_on", "closed_on")),
}
_CLOSING_MEASURE = {"rectifications": "measure", "complaints": "outcome"}  # 销号 needs these


def check_ledger(name: str, records: list[Record], data: Dataset) -> list[Record]:
    table = FORMAT.tables[name]
    report = data.report
    keep = list(_dupes(records, "id", report, "duplicate-record")) if "id" in table.key else records

    def problem(r, code, **kw):
        r.problems.append(report.add(code, file=r.file, row=r.row, **kw))

    for r in keep:
        cid = r["community_id"]
        if cid in data.aliases:
            r.values["community_id"] = cid = data.aliases[cid]
        if cid is not None and cid not in data.communities:
            problem(r, "unknown-community", field="community_id", value=cid)
        if r["status"] == "已销号":
            if r["closed_on"] is None:
                problem(r, "closed-without-date", field="closed_on")
            measure = _CLOSING_MEASURE.get(name)
            if measure and not r[measure]:
                problem(
                    r, "closed-without-measure", field=measure, label=table.field(measure).label
                )
        for early, late in _DATE_ORDER.get(name, ()):
            if r[early] and r[late] and r[late] < r[early]:
                problem(
                    r,
                    "date-order",
                    field=late,
                    label=table.field(late).label,
                    value=str(r[late]),
                    details={"other_label": table.field(early).label, "other": r[early]},
                )
        if (
            name == "corrections"
            and cid
            and r["quarter"]
            and ((cid, r["quarter"]) not in data.statements)
        ):
            problem(r, "unknown-statement", community_id=cid, quarter=str(r["quarter"]))
    return keep
