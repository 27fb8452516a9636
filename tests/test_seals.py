"""Seals that cannot be bypassed: the seal log is a hash chain, published with the site, and
each build holds the data's log against the previously published one (the witness)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest

from conftest import ROOT, seal
from liangshai.build.atomic import build_site
from liangshai.load.seals import genesis, line_hash
from liangshai.model import canonical_json, fingerprint_of
from liangshai.quarter import Quarter
from liangshai.validate.seals import seal_quarter

Q1 = Quarter(2024, 1)
SEALS = "seals/2024Q1.jsonl"


@pytest.fixture
def site(folder, tmp_path):
    """Build into one output folder again and again, as a bureau does; returns (code, text)."""

    def make(**kw):
        out = io.StringIO()
        code = build_site(
            ROOT / "pelicanconf.py",
            tmp_path / "publish",
            data=folder.root,
            out=out,
            cache=tmp_path / "cache",
            **kw,
        )
        return code, out.getvalue()

    return make


def test_the_site_publishes_the_seal_log_and_its_heads(folder, site, tmp_path):
    seal(folder)
    assert site()[0] == 0
    published = tmp_path / "publish" / "verify"
    assert (published / "seals" / "2024Q1.jsonl").read_bytes() == folder.path(SEALS).read_bytes()
    heads = json.loads((published / "seals.json").read_text(encoding="utf-8"))
    lines = folder.path(SEALS).read_text(encoding="utf-8").splitlines()
    assert heads["files"]["2024Q1"] == {"lines": 2, "head": line_hash(lines[-1])}
    assert line_hash(lines[-1]) in (published / "index.html").read_text(encoding="utf-8")


def test_each_line_is_chained_to_the_one_before(folder):
    seal(folder)
    lines = folder.path(SEALS).read_text(encoding="utf-8").splitlines()
    docs = [json.loads(x) for x in lines]
    assert docs[0]["prev"] == genesis("2024Q1") and docs[1]["prev"] == line_hash(lines[0])
    folder.write(SEALS, lines[1] + "\n" + lines[0] + "\n")  # order swapped
    data = folder.validate()
    assert {p.code for p in data.report.problems} == {"seal-damaged"}


def forge(folder, change):
    """Edit the seal log as a careful forger would: change a statement, recompute its
    fingerprint and every link after it, so that the file checks out on its own."""
    lines = folder.path(SEALS).read_text(encoding="utf-8").splitlines()
    docs = [json.loads(x) for x in lines]
    change(docs)
    prev, out = genesis("2024Q1"), []
    for doc in docs:
        doc["fingerprint"] = fingerprint_of(doc["statement"])
        doc["prev"] = prev
        out.append(canonical_json(doc))
        prev = line_hash(out[-1])
    folder.write(SEALS, "".join(x + "\n" for x in out))


@pytest.mark.parametrize(
    ("tamper", "what"),
    [
        (lambda f: f.path(SEALS).unlink(), "被删除"),
        (lambda f: forge(f, lambda docs: docs.pop()), "被删除"),
        (  # sealed later, so that a back-dated correction would pass
            lambda f: forge(f, lambda docs: docs[0].update(sealed_on="2024-12-31")),
            "被改动过（封存日期或指纹）",
        ),
    ],
    ids=["deleted", "truncated", "edited"],
)
def test_tampering_with_a_published_seal_refuses_the_build(folder, site, tamper, what):
    seal(folder)
    assert site()[0] == 0
    tamper(folder)
    assert folder.validate().report.ok  # on its own, the log looks fine …
    code, text = site()
    assert code == 1  # … but it no longer holds what was published
    assert "seal-missing" in text and what in text and "2024Q1" in text
    assert "minjiang-xincun" in text or "rongyin-huayuan" in text


def test_a_seal_witness_elsewhere_outlives_the_output(folder, site, tmp_path):
    seal(folder)
    assert site()[0] == 0
    witness = tmp_path / "mirror"
    shutil.copytree(tmp_path / "publish", witness)  # e.g. the live site, fetched first
    shutil.rmtree(tmp_path / "publish")
    shutil.rmtree(tmp_path / "cache")
    folder.path(SEALS).unlink()
    code, text = site(LIANGSHAI_SEAL_WITNESS=str(witness))
    assert code == 1 and "seal-missing" in text and str(witness) in text


def test_a_correction_resealed_is_the_legitimate_way(folder, site):
    seal(folder)
    assert site()[0] == 0
    folder.edit("statements/2024Q1/statements.csv", lambda rows: rows[1].update(note="补充说明"))
    assert site()[0] == 1  # changed without a correction record
    folder.write(
        "ledgers/corrections.csv",
        "community_id,quarter,corrected_on,reason\nminjiang-xincun,2024Q1,2024-08-05,补充说明\n",
    )
    assert site()[0] == 0
    lines, refused = seal(folder, on=date(2024, 8, 6))
    assert len(lines) == 1 and not refused
    assert site()[0] == 0  # the published lines are still there; one more follows them


def renamed(rows):
    for r in rows:
        if r["community_id"] == "rongyin-huayuan":
            r["community_id"] = "rongyin-garden"


def test_a_renamed_community_keeps_its_seals(folder):
    seal(folder)

    def rename(rows):
        rows[0].update(id="rongyin-garden", former_ids="rongyin-huayuan")

    folder.edit("communities.csv", rename)
    for quarter in ("2024Q1", "2024Q2"):
        for name in ("statements", "items"):
            folder.edit(f"statements/{quarter}/{name}.csv", renamed)
    assert folder.validate().report.problems == []  # the rename alone changes nothing sealed
    folder.edit("statements/2024Q1/statements.csv", lambda rows: rows[0].update(note="改"))
    data = folder.validate()
    (p,) = [p for p in data.report.problems if p.code == "sealed-changed"]
    assert p.community_id == "rongyin-garden"  # and the seal still protects it


def test_a_damaged_seal_line_refuses_the_build_and_seal(folder, site):
    seal(folder)
    text = folder.path(SEALS).read_text(encoding="utf-8")
    folder.write(SEALS, text[:-40] + "\n")  # cut short, as a bad copy would
    code, out = site()
    assert code == 1 and "seal-damaged" in out
    _, refused = seal_quarter(folder.validate(), Q1, date(2024, 9, 1))
    assert refused and "封存记录损坏" in refused[0]


def test_the_published_head_alone_still_holds_the_chain(folder, site, tmp_path):
    seal(folder)
    assert site()[0] == 0
    (tmp_path / "publish" / "verify" / "seals" / "2024Q1.jsonl").unlink()  # lines gone,
    forge(folder, lambda docs: docs[1].update(sealed_on="2024-12-31"))  # the head remains
    code, text = site()
    assert code == 1 and "seal-missing" in text and "链头" in text


def test_a_seal_file_checked_out_with_crlf_is_the_same_chain(folder, site):
    seal(folder)
    assert site()[0] == 0
    text = folder.path(SEALS).read_text(encoding="utf-8")
    folder.write(SEALS, "\ufeff" + text.replace("\n", "\r\n"))  # git autocrlf, Notepad's BOM
    assert folder.validate().report.problems == []
    assert site()[0] == 0
    lines, refused = seal(folder, on=date(2024, 9, 1))
    assert lines == [] and not refused
