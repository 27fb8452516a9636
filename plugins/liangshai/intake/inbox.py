"""The intake loop: an inbox of files handed in → checked against the data folder → filed,
archived, answered with receipts, summed up. And `check_one`, the same check of one draft
that changes nothing.
"""

from __future__ import annotations

import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from ..load.files import inside
from ..load.workbook import NOT_A_WORKBOOK
from ..model import Dataset
from ..parallel import in_parallel
from ..problems import CannotRun, Report
from ..quarter import Quarter
from ..site.fonts import prepare
from .checking import check_submissions
from .filing import append_log, archive, file_accepted, run_folder
from .receipts import marked_workbook, receipt_context, receipt_stem, write_receipt
from .submissions import Submission, read_inbox
from .summary import summary_rows, write_summary

OUTBOX = "outbox"  # a run's receipts, to send back to those who handed the files in

# What a check of a draft (nothing filed) says of each outcome.
CHECKED = {
    "filed": "校验通过，可以报送",
    "replaced": "校验通过，可以报送（将替换已报送的旧版）",
    "duplicate": "与已报送的相同，无需重复报送",
    "rejected": "校验未通过，请修改后再报送",
    "ignored": "已忽略",
}


@dataclass
class Intake:
    run: Path
    submissions: list[Submission]
    data: Dataset
    receipts: dict[int, list[Path]] = field(default_factory=dict)  # submission number -> files
    summary: list[Path] = field(default_factory=list)
    log: Path | None = None


def _separate(inbox: Path, data: Path, out: Path) -> None:
    if not inbox.is_dir():
        raise CannotRun(f"找不到收件箱 {inbox}")
    if not data.is_dir():
        raise CannotRun(f"找不到数据文件夹 {data}")
    for a, b in ((inbox, data), (data, inbox), (out, inbox), (inbox, out)):
        if inside(a, b):
            raise CannotRun(f"收件箱 {inbox}、数据文件夹 {data} 和收件记录 {out} 不能互相包含")


def take_in(
    inbox: Path,
    data: Path,
    out: Path,
    received: date,
    theme: Path,
    expected: Quarter | None = None,
    cache: Path | None = None,
) -> Intake:
    """Read every file of the inbox, check it against the data folder, file what is valid,
    move every original into the run's archive, write receipts and the summary. With a
    `cache` (the build's), quarter folders that did not change are not validated again."""
    inbox, data, out = Path(inbox), Path(data), Path(out)
    _separate(inbox, data, out)
    report = Report()
    submissions = read_inbox(inbox, report)
    checked = check_submissions(data, submissions, report, expected, cache)
    run = run_folder(out, received)
    intake = Intake(run, submissions, checked)
    # Receipts first, while the inbox is as it was: a failure here moves nothing. On both
    # cores: a PDF takes about 0.3 s, most of it WeasyPrint subsetting the CJK font.
    faces = prepare(cache) if cache else ""
    jobs = [
        partial(_receipts_of, sub, checked, run / OUTBOX, received, theme, False, faces)
        for sub in submissions
        if sub.outcome != "ignored"
    ]
    in_parallel(2, jobs, lambda made: intake.receipts.update([made]), run / ".scratch", least=4)
    shutil.rmtree(run / ".scratch", ignore_errors=True)
    moved = archive(submissions, inbox, run)
    file_accepted(submissions, data, run, moved)
    intake.summary = write_summary(summary_rows(submissions, checked, intake.receipts), run)
    intake.log = append_log(submissions, out, run, received)
    return intake


def receipts(
    sub: Submission,
    data: Dataset,
    folder: Path,
    received: date,
    theme: Path,
    check: bool = False,
    faces: str = "",
) -> list[Path]:
    """The receipts of one submission: the marked workbook (for a workbook that was read
    and has problems) and the printed receipt (in `faces`, site.fonts)."""
    stem = folder / receipt_stem(sub)
    made = []
    read = any(file == sub.name for file, _ in data.report.layouts)
    if sub.kind == "xlsx" and sub.problems and read:
        original = sub.paths[0].read_bytes()
        with suppress(*NOT_A_WORKBOOK):  # read as values, but openpyxl cannot edit it: PDF only
            made.append(marked_workbook(sub, data.report, original, stem.with_suffix(".xlsx")))
    context = receipt_context(sub, data, received, "自查" if check else folder.parent.name)
    if check:
        context.update(outcome_label=CHECKED[sub.outcome], check=True)
    made += write_receipt(context, theme, stem, faces)
    return made


def _receipts_of(sub: Submission, *args) -> tuple[int, list[Path]]:
    return sub.number, receipts(sub, *args)


def check_drafts(
    path: Path, data: Path, expected: Quarter | None = None, cache: Path | None = None
) -> tuple[list[Submission], Dataset]:
    """A draft (a file, or a folder of them) checked as intake would check it: against the
    registry, the quarters around it and the seals. Nothing is filed or moved."""
    path, data = Path(path), Path(data)
    if not path.exists():
        raise CannotRun(f"找不到 {path}")
    if not data.is_dir():
        raise CannotRun(f"找不到数据文件夹 {data}")
    report = Report()
    folder = path if path.is_dir() else path.parent
    only = None if path.is_dir() else [path]
    submissions = read_inbox(folder, report, only, label=folder.resolve().name or "草稿")
    return submissions, check_submissions(data, submissions, report, expected, cache)
