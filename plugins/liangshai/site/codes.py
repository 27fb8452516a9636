"""The verification codes printed on posters and pages (核验码), for looking them up:
verify.json, each code → one statement, as it has always been published; and the verify
page's lookup, a file for each first two digits of a code (verify/codes/3F.json) with every
statement printed with each of its codes, so that a phone fetches a few KB, and the owner
of a statement whose code another one shares finds their own."""

from __future__ import annotations

from ..model import Dataset
from ..validate.folder import gc_paused
from . import opendata
from .output import Output
from .urls import CODES


def write(out: Output, data: Dataset) -> None:
    with gc_paused():  # a million small lists at ten years, and no cycles among them
        index, shared = printed(data)
    out.file("verify.json", opendata.to_json(index))
    by_prefix: dict[str, list[str]] = {f"{k:02X}": [] for k in range(256)}  # every one
    for code in index:
        by_prefix[code[:2]].append(code)
    for prefix, codes in by_prefix.items():  # one at a time: memory stays as verify.json's
        lookup = {code: shared.get(code) or [index[code]] for code in codes}
        out.file(f"{CODES}/{prefix}.json", opendata.to_json(lookup))


def printed(data: Dataset) -> tuple[dict[str, list], dict[str, list[list]]]:
    """Every verification code ever printed, current or corrected: code → [id, quarter, now]
    (verify.json: the last statement whose current code it is, else the first it was printed
    for); and the codes printed for more than one statement → each of them, in community
    then quarter order. A code is a fingerprint's first 32 bits: among n codes some n²/2³³
    pairs share one (several at province scale), and an owner must find their own."""
    index: dict[str, list] = {}
    shared: dict[str, list[list]] = {}
    for cid in sorted({cid for cid, _ in data.statements}):  # in community, then quarter order
        for s in data.statements_of(cid):
            if not s.valid:
                continue
            quarter, code = str(s.quarter), s.verification_code
            if not s.corrections and code not in index:  # nearly always
                index[code] = [cid, quarter, True]
                continue
            for correction in s.corrections:
                _printed(index, shared, correction.old_code, [cid, quarter, False])
            _printed(index, shared, code, [cid, quarter, True])
    return index, shared


def _printed(index: dict, shared: dict, code: str, entry: list) -> None:
    found = index.get(code)
    if found is None:
        index[code] = entry
        return
    if code in shared or found[:2] != entry[:2]:
        listed = shared.setdefault(code, [found])
        same = [k for k, other in enumerate(listed) if other[:2] == entry[:2]]
        if not same:
            listed.append(entry)
        elif entry[2]:  # the same statement: current if either says so
            listed[same[0]] = entry
    if entry[2]:
        index[code] = entry
