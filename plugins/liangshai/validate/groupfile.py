"""A group's cache file (validate.folder): the index of its batch tables' rows (see
validate.groups), what reading and checking its files found, its statements without their
items, and each statement's items as a pickle of its own.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from ..cache import Held, Stored, file_stamp, replacing
from ..model import Statement
from ..problems import Report

# A group's statements, what reading its files found, and what checking its statements found
Part = tuple[list[Statement], Report, Report]

# Statements per pickle in the cache. Pickle remembers every object it has written, and
# that memo slows it down once it outgrows the CPU caches: a whole 20,000-statement folder
# took twice as long per statement as in pieces. (Pieces do not share objects: a problem of
# a statement and the same problem in the folder's list come back equal, not identical.)
PICKLE_CHUNK = 250


_LOADING = (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, ValueError)


def save(path: Path, part: Part, index=None) -> None:
    """The group's index (pickled after its size, so that a load can pass over it), its two
    reports, its statements without their items (in pieces), then the items of each
    statement, pickled one statement at a time so that any one can be read alone: in a
    statement as saved, `items` is where its own are, (offset after the pieces, size,
    count). Items still in an earlier version's file (a statement taken from there, see
    validate.groups) are copied as they are pickled in it."""
    statements, reading, checking = part
    blobs, places, offset = [], [], 0
    for s in statements:
        s.fingerprint  # noqa: B018 -- computed once, kept in the cache with the statement
        items = s.items
        if isinstance(items, Stored):
            blob = items.pickled()
        else:
            blob = pickle.dumps(list(items), protocol=5)
        blobs.append(blob)
        places.append((offset, len(blob), len(items)))
        offset += len(blob)
    kept = [s.items for s in statements]
    indexed = pickle.dumps(index, protocol=5)
    try:
        for s, where in zip(statements, places, strict=True):
            s.items = where
        with replacing(path, keep=True) as tmp, tmp.open("wb") as f:
            pickle.dump(len(indexed), f, protocol=5)
            f.write(indexed)
            pickle.dump((reading, checking), f, protocol=5)
            pickle.dump(len(statements), f, protocol=5)
            for k in range(0, len(statements), PICKLE_CHUNK):
                pickle.dump(statements[k : k + PICKLE_CHUNK], f, protocol=5)
            f.write(b"".join(blobs))
    finally:
        for s, items in zip(statements, kept, strict=True):
            s.items = items


def index(path: Path):
    """The index a group's cache file holds: None if it has none, or cannot be read."""
    try:
        with path.open("rb") as f:
            size = pickle.load(f)
            return pickle.loads(f.read(size)) if isinstance(size, int) else None
    except _LOADING:
        return None


def load(path: Path, memo: dict) -> Part | None:
    """A group as save() wrote it; each statement's items stay in the file until used. What
    repeats from quarter to quarter (a community's id, who prepared it, the quarter, the
    day) is one object in `memo`, not one per statement (pickle shares only within a piece).
    None when the file is damaged: cut short, or not what save() writes."""
    statements: list[Statement] = []
    where = os.path.abspath(path)
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            held = Held(os.dup(f.fileno()))
            f.seek(pickle.load(f), os.SEEK_CUR)  # past the index
            reports = pickle.load(f)
            count = pickle.load(f)
            while len(statements) < count:
                statements += pickle.load(f)
            base = f.tell()
        places = [s.items for s in statements]
        end = max((base + offset + size for offset, size, _ in places), default=base)
    except _LOADING:
        return None
    ours = isinstance(reports, tuple) and len(reports) == 2
    if end != st.st_size or not ours or not all(isinstance(r, Report) for r in reports):
        return None
    stamp, one = file_stamp(st), memo.setdefault
    for s in statements:  # each field spelled out: faster than getattr by name
        offset, size, n = s.items
        s.items = Stored(where, base + offset, size, n, stamp, held)
        s.community_id = one(s.community_id, s.community_id)
        s.prepared_by = one(s.prepared_by, s.prepared_by)
        s.quarter = one(s.quarter, s.quarter)
        s.published_on = one(s.published_on, s.published_on)
        s.file = one(s.file, s.file)
        account, closing = s.account_balance, s.closing_balance
        # the same figure written the same way (the same digits and exponent; as_tuple
        # would tell the same, at eight times the cost), as they nearly always are: one
        # Decimal, not two
        if account is not None and account == closing and str(account) == str(closing):
            s.account_balance = closing
    return statements, *reports
