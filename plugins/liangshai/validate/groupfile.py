"""A group's cache file (validate.folder): what reading and checking its files found, its
statements without their items, and each statement's items as a pickle of its own.
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


def save(path: Path, part: Part) -> None:
    """The group's two reports, its statements without their items (in pieces), then the
    items of each statement, pickled one statement at a time so that any one can be read
    alone: in a statement as saved, `items` is where its own are, (offset after the pieces,
    size, count)."""
    statements, reading, checking = part
    blobs, places, offset = [], [], 0
    for s in statements:
        s.fingerprint  # noqa: B018 -- computed once, kept in the cache with the statement
        blob = pickle.dumps(list(s.items), protocol=5)
        blobs.append(blob)
        places.append((offset, len(blob), len(s.items)))
        offset += len(blob)
    kept = [s.items for s in statements]
    try:
        for s, where in zip(statements, places, strict=True):
            s.items = where
        with replacing(path, keep=True) as tmp, tmp.open("wb") as f:
            pickle.dump((reading, checking), f, protocol=5)
            pickle.dump(len(statements), f, protocol=5)
            for k in range(0, len(statements), PICKLE_CHUNK):
                pickle.dump(statements[k : k + PICKLE_CHUNK], f, protocol=5)
            f.write(b"".join(blobs))
    finally:
        for s, items in zip(statements, kept, strict=True):
            s.items = items


_SHARED = ("community_id", "prepared_by", "quarter", "published_on", "file")


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
            reports = pickle.load(f)
            count = pickle.load(f)
            while len(statements) < count:
                statements += pickle.load(f)
            base = f.tell()
        places = [s.items for s in statements]
        end = max((base + offset + size for offset, size, _ in places), default=base)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
        return None
    ours = isinstance(reports, tuple) and len(reports) == 2
    if end != st.st_size or not ours or not all(isinstance(r, Report) for r in reports):
        return None
    stamp = file_stamp(st)
    for s in statements:
        offset, size, n = s.items
        s.items = Stored(where, base + offset, size, n, stamp, held)
        for name in _SHARED:
            value = getattr(s, name)
            setattr(s, name, memo.setdefault(value, value))
        account, closing = s.account_balance, s.closing_balance
        if account is not None and closing is not None and account.as_tuple() == closing.as_tuple():
            s.account_balance = closing  # as they nearly always are: one Decimal, not two
    return statements, *reports
