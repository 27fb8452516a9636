"""Submissions held against the data folder: each statement checked as if it were filed
(registry, previous and next quarter, contracts, seals), and an outcome for each file.

Two validations: the data folder as it is, to find what each statement would replace or
repeat; then the data folder with the statements handed in put in place of those, so that
every check sees them where they would be.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from ..load.rows import Draft
from ..model import Dataset, Statement
from ..problems import Report
from ..quarter import Quarter
from ..validate.folder import Overlay, validate_folder
from ..validate.statements import check_statement
from .submissions import Submission


def check_submissions(
    root: Path,
    submissions: list[Submission],
    report: Report,
    expected: Quarter | None = None,
    cache: Path | None = None,
) -> Dataset:
    """Validate the submissions against the data folder `root`; set each one's statements,
    problems and outcome. Returns the data folder as it would be with them filed."""
    batch = Batch(validate_folder(root, cache=cache), [s for s in submissions if not s.outcome])
    overlay = Overlay()
    placed = [sub for sub in batch.live if not batch.duplicate(sub)]
    for sub in placed:
        conflicted = batch.conflicts(sub, report)
        for draft, c in batch.pairs[sub.number]:
            _check_quarter(sub, c, expected, report)
            (overlay.loose if conflicted else overlay.drafts).append(draft)
            old = batch.old.get(_key(c))
            if old is not None and not conflicted:
                overlay.withdrawn.add((old.file, _key(c)))
                batch.replacing(sub, c, old, report)
    after = validate_folder(root, cache=cache, overlay=overlay, report=report)
    _settle(batch.live, after, report)
    return after


def _key(s: Statement) -> tuple:
    return (s.community_id, s.quarter)


class Batch:
    """The submissions of one run, each draft with the statement it makes on its own (for
    its key and fingerprint), held against the data folder and against each other."""

    def __init__(self, before: Dataset, live: list[Submission]):
        """Only what is needed of `before` is kept (the statements the batch meets, how many
        statements their files hold), so that it is freed before the second validation."""
        self.live = live
        scratch = replace(before, report=Report())
        self.pairs: dict[int, list[tuple[Draft, Statement]]] = {}
        self.by_key: dict[tuple, list[tuple[Submission, Statement]]] = defaultdict(list)
        for sub in live:
            for draft in sub.drafts:
                draft.folder = draft.header["quarter"]  # filed by what it says it is
            self.pairs[sub.number] = [(d, check_statement(scratch, d)) for d in sub.drafts]
            for _, c in self.pairs[sub.number]:
                if None not in _key(c):
                    self.by_key[_key(c)].append((sub, c))
        self.old = {key: before.statements[key] for key in self.by_key if key in before.statements}
        files = {s.file for s in self.old.values()}
        self.shared = Counter(s.file for s in before.statements.values() if s.file in files)

    def duplicate(self, sub: Submission) -> bool:
        """Whether every statement of the submission is already in the data folder, or in a
        submission before it, figure for figure: nothing to file (its outcome says so)."""
        pairs = self.pairs[sub.number]
        if not pairs:
            return False
        where = []
        for _, c in pairs:
            old = self.old.get(_key(c))
            earlier = [
                o
                for o, other in self.by_key.get(_key(c), [])
                if o.number < sub.number and other.fingerprint == c.fingerprint
            ]
            if old is not None and old.fingerprint == c.fingerprint:
                where.append(f"已入库的 {old.file}")
            elif earlier:
                where.append(f"同批收到的 {earlier[0].name}")
            else:
                return False
        codes = "、".join(c.verification_code for _, c in pairs)
        sub.outcome = "duplicate"
        sub.note = f"与{'、'.join(dict.fromkeys(where))}内容相同（校验码 {codes}），无需重复报送"
        sub.statements = [c for _, c in pairs]
        return True

    def conflicts(self, sub: Submission, report: Report) -> bool:
        """Whether another submission of the batch (not a mere duplicate) holds a statement
        of the same community and quarter: neither is filed until the clerk knows which file
        counts, since only one of them can stand in the quarter folder."""
        found = False
        for _, c in self.pairs[sub.number]:
            for other, o in self.by_key.get(_key(c), []):
                if other is not sub and other.outcome != "duplicate":
                    how = "内容相同" if o.fingerprint == c.fingerprint else "内容不同"
                    details = {"other": other.name, "how": how}
                    report.add("intake-conflict", **c.where(details=details))
                    found = True
                    break
        return found

    def replacing(self, sub: Submission, c: Statement, old: Statement, report: Report) -> None:
        """A statement replaces a file that holds it alone; from a batch file of many
        statements its rows must first be taken out by hand."""
        if self.shared[old.file] > 1:
            report.add("intake-in-batch", **c.where(details={"other": old.file}))
        else:
            sub.replaced.append(old.file)


def _check_quarter(sub: Submission, c: Statement, expected: Quarter | None, report) -> None:
    where = c.where(field="quarter", value=str(c.quarter))
    if expected is not None and c.quarter is not None and c.quarter != expected:
        report.add("intake-wrong-quarter", **where, details={"expected": expected})
    if len(sub.quarters) > 1:
        quarters = "、".join(str(q) for q in sub.quarters)
        report.add("intake-mixed-quarters", **where, details={"quarters": quarters})


def _settle(live: list[Submission], after: Dataset, report: Report) -> None:
    """Each submission's statements and problems (reading, its statements' checks, the
    intake's own), and its outcome."""
    by_file = defaultdict(list)
    for s in [*after.statements.values(), *after.rejected]:
        by_file[s.file].append(s)
    problems = defaultdict(list)
    for p in report.problems:
        problems[p.file].append(p)
    for sub in live:
        if sub.outcome:
            continue
        sub.statements = [s for name in sub.names for s in by_file.get(name, [])]
        found = [p for name in sub.names for p in problems.get(name, [])]
        found += [p for s in sub.statements for p in s.problems]
        sub.problems = list(dict.fromkeys(found))
        if not sub.statements or any(report.is_error(p) for p in sub.problems):
            sub.outcome, sub.replaced = "rejected", []
        else:
            sub.outcome = "replaced" if sub.replaced else "filed"
