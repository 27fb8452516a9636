"""Entry points behind the invoke tasks, kept here so they are importable and testable.

Every command holds one promise: bad data never ends in a traceback. Exit codes: 0 done,
1 the data has errors (the Chinese report says which; whatever could be made from the valid
data was made, unless the command refuses), 2 the command cannot run (no data folder,
unreadable settings, bad arguments, a missing font).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from functools import wraps
from pathlib import Path

from .problems import EXIT_CANNOT_RUN, EXIT_ERRORS, EXIT_OK, CannotRun
from .settings import setting_path, site_settings
from .validate.folder import validate_folder
from .validate.report import render_json, render_text


def command(name: str):
    """A command that says 无法{name} and returns 2 when it cannot run."""

    def wrap(fn):
        @wraps(fn)
        def run(*args, **kw) -> int:
            try:
                return fn(*args, **kw)
            except CannotRun as exc:
                print(f"无法{name}：{exc}", file=sys.stderr)
                return EXIT_CANNOT_RUN

        return run

    return wrap


def _report_errors(dataset, out) -> int:
    """Print the report when the data has errors; EXIT_ERRORS then, else EXIT_OK."""
    if dataset.report.ok:
        return EXIT_OK
    out.write(render_text(dataset))
    return EXIT_ERRORS


def _quarter(text: str):
    from .quarter import Quarter

    try:
        return Quarter.parse(text)
    except ValueError:
        raise CannotRun(f"季度应写作 2024Q1，而不是 {text}") from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CannotRun(f"日期应写作 2024-08-01，而不是 {text}") from None


@command("校验")
def run_validate(
    data: str | Path,
    strict: bool = False,
    json_file: str | None = None,
    as_of: date | None = None,
    out=None,
) -> int:
    out = out or sys.stdout
    dataset = validate_folder(data, strict=strict, as_of=as_of)
    out.write(render_text(dataset))
    if json_file:
        Path(json_file).parent.mkdir(parents=True, exist_ok=True)
        Path(json_file).write_text(render_json(dataset), encoding="utf-8")
    return EXIT_OK if dataset.report.ok else EXIT_ERRORS


@command("封存")
def run_seal(data: str | Path, quarter: str, on: str = "", out=None) -> int:
    """Seal the quarter's valid statements; refuse while the seal log is damaged or a sealed
    statement changed without a correction."""
    from .validate.seals import append_seals, seal_quarter

    out = out or sys.stdout
    q = _quarter(quarter)
    day = _date(on) if on else date.today()
    dataset = validate_folder(data)
    lines, refused = seal_quarter(dataset, q, day)
    if refused:
        print("拒绝封存：\n  " + "\n  ".join(refused), file=sys.stderr)
        return EXIT_ERRORS
    path = append_seals(Path(data), q, lines)
    out.write(f"封存 {q}：新增 {len(lines)} 份公示表的指纹 → {path}（请提交到版本库）\n")
    invalid = sorted(
        s.community_id for (_, sq), s in dataset.statements.items() if sq == q and not s.valid
    )
    if invalid:
        out.write(f"以下 {len(invalid)} 份公示表有误，未封存：{'、'.join(invalid)}\n")
    return EXIT_OK


@command("导出月报")
def run_report(data: str | Path, month: str, out_dir: str | Path = "reports", out=None) -> int:
    from .exports.monthly import month_end, write_report

    out = out or sys.stdout
    try:
        month_end(month)
    except ValueError:
        raise CannotRun(f"月份应写作 2024-06，而不是 {month}") from None
    dataset = validate_folder(data)
    paths, left_out = write_report(dataset, month, Path(out_dir) / month)
    for path in paths:
        out.write(f"写入 {path}\n")
    for row in left_out:
        out.write(
            f"未列入：{row['台账']} {row['文件']} 第 {row['行']} 行 — {row['未列入的原因']}\n"
        )
    return _report_errors(dataset, out)


@command("生成模板")
def run_template(out_dir: str | Path, community: str = "", quarter: str = "", out=None) -> int:
    from .exports.templates import write_csv_templates, write_template
    from .load.cells import ID_PATTERN

    out = out or sys.stdout
    if community and not ID_PATTERN.match(community):
        raise CannotRun(f"小区编号“{community}”不符合规则（小写字母、数字和连字符）")
    q = str(_quarter(quarter)) if quarter else ""
    folder = Path(out_dir)
    for path in [
        write_template(folder / "statement-template.xlsx", community, q),
        *write_csv_templates(folder),
    ]:
        out.write(f"写入 {path}\n")
    return EXIT_OK


@command("生成示例数据")
def run_demo(communities: int, quarters: int, seed: int, out_dir: str, mixed: bool, out=None):
    from .demo.generate import generate

    out = out or sys.stdout
    if not 50 <= int(communities) <= 20_000:
        raise CannotRun(f"小区数应在 50 到 20000 之间，而不是 {communities}")
    if not 1 <= int(quarters) <= 40:
        raise CannotRun(f"季度数应在 1 到 40 之间，而不是 {quarters}")
    out.write(f"生成 {communities} 个小区 × {quarters} 个季度 → {out_dir}/ …\n")
    counts = generate(Path(out_dir), int(communities), int(quarters), int(seed), mixed=mixed)
    done = "完成：{communities} 个小区，{statements} 份公示表，{planted} 处预设问题\n"
    out.write(done.format(**counts))
    return EXIT_OK


def cjk_bold_fonts() -> list[str]:
    """The installed CJK fonts with a bold face (fontconfig), which posters need."""
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh:weight=bold", "family"], capture_output=True, text=True
        )
    except OSError:
        return []
    return [line for line in found.stdout.splitlines() if line.strip()]


@command("生成公示牌")
def run_posters(
    data: str | Path,
    settings_file: Path,
    district: str = "",
    size: str = "",
    draft: bool = False,
    out=None,
) -> int:
    """Make the posters that are missing; refuse what could not be printed right. Theme,
    cache and the community URL (what the QR code says) come from the site's settings, as
    for the build, so that the build finds the posters made here."""
    from .assess.metrics import compute
    from .site.posters import SCREENS, SIZES, make_posters, site_url_problem
    from .site.urls import Urls
    from .site.views import all_views

    out = out or sys.stdout
    if not cjk_bold_fonts():
        raise CannotRun("没有安装带粗体的中文字体，公示牌会印成空方框；请先运行 invoke setup")
    if size and size not in (*SIZES, *SCREENS):
        raise CannotRun(f"尺寸只能是 {' 或 '.join((*SIZES, *SCREENS))}")
    dataset = validate_folder(data)
    problem = site_url_problem(str(dataset.settings.get("site_url", "")))
    if problem and not draft:
        raise CannotRun(
            f"{problem}。公示牌上的二维码印出来就改不了，业主扫码会打不开。\n"
            "请在 data/site.yaml 中把 site_url 设为正式的 https 网址；只想看样子，加 --draft"
        )
    if district and district not in dataset.districts:
        raise CannotRun(f"没有区县 {district}；可选：{'、'.join(dataset.districts)}")
    views = all_views(dataset, compute(dataset))
    settings = site_settings(settings_file)
    counts = make_posters(
        dataset,
        views,
        Path(settings["THEME"]),
        setting_path(settings, "LIANGSHAI_CACHE"),
        urls=Urls(settings, dataset.settings.get("site_url", "")),
        districts={district} if district else None,
        sizes=(size,) if size else (*SIZES, *SCREENS),
        draft=draft,
        out=lambda line: out.write(line + "\n"),
    )
    per = counts["seconds"] / counts["rendered"] * 1000 if counts["rendered"] else 0
    out.write(
        "公示牌：共 {posters} 张，新生成 {rendered} 张（{seconds:.1f} 秒".format(**counts)
        + (f"，平均每张 {per:.0f} 毫秒" if per else "")
        + "），其余未变化\n"
    )
    return _report_errors(dataset, out)


def _theme(settings_file: Path) -> Path:
    """The theme receipts are printed with; refused without a CJK font to print them."""
    if not cjk_bold_fonts():
        raise CannotRun("没有安装带粗体的中文字体，回执会印成空方框；请先运行 invoke setup")
    return Path(site_settings(settings_file)["THEME"])


@command("收件")
def run_intake(
    inbox: str | Path,
    settings_file: Path,
    data: str | Path = "data",
    out_dir: str | Path = "intake",
    quarter: str = "",
    received: str = "",
    cache: Path | None = None,
    out=None,
) -> int:
    """File what the inbox holds; exit 1 when any submission was not accepted. The
    validation cache is the build's unless `cache` says otherwise."""
    from .intake.inbox import take_in
    from .intake.summary import summary_text

    out = out or sys.stdout
    day = _date(received) if received else date.today()
    expected = _quarter(quarter) if quarter else None
    theme = _theme(settings_file)
    cache = cache or setting_path(site_settings(settings_file), "LIANGSHAI_CACHE")
    intake = take_in(Path(inbox), Path(data), Path(out_dir), day, theme, expected, cache)
    out.write(summary_text(intake.submissions, intake.data.report))
    out.write(f"原件已存档，回执和汇总表在 {intake.run}（{intake.summary[0].name}、")
    out.write(f"{intake.summary[1].name}）；收件记录 {intake.log}\n")
    rejected = any(sub.outcome == "rejected" for sub in intake.submissions)
    return EXIT_ERRORS if rejected else EXIT_OK


@command("自查")
def run_check(
    path: str | Path,
    settings_file: Path,
    data: str | Path = "data",
    quarter: str = "",
    receipt: str = "",
    json_file: str | None = None,
    cache: Path | None = None,
    out=None,
) -> int:
    """Check a draft (file or folder) as intake would; change nothing. Exit 1 when it
    could not be accepted as it is. The validation cache is the build's, as for intake."""
    from .intake.inbox import CHECKED, check_drafts, receipts
    from .site.fonts import prepare
    from .validate.report import problem_lines, render_json

    out = out or sys.stdout
    expected = _quarter(quarter) if quarter else None
    theme = _theme(settings_file) if receipt else None
    cache = cache or setting_path(site_settings(settings_file), "LIANGSHAI_CACHE")
    submissions, data_set = check_drafts(Path(path), Path(data), expected, cache)
    report = data_set.report
    for sub in submissions:
        out.write("\n".join(problem_lines(report, sub.problems)))
        codes = "、".join(
            f"{s.community_id} {s.quarter} 校验码 {s.verification_code}"
            for s in sub.statements
            if sub.outcome in ("filed", "replaced")
        )
        note = sub.note or codes
        out.write(f"{sub.name}：{CHECKED[sub.outcome]}" + (f"（{note}）" if note else "") + "\n")
        if receipt:
            faces = prepare(cache)
            for made in receipts(sub, data_set, Path(receipt), date.today(), theme, True, faces):
                out.write(f"写入 {made}\n")
    if json_file:
        mine = {p for sub in submissions for p in sub.problems}
        report.problems = [p for p in report.problems if p in mine]
        Path(json_file).parent.mkdir(parents=True, exist_ok=True)
        Path(json_file).write_text(render_json(data_set), encoding="utf-8")
    return EXIT_ERRORS if any(s.outcome == "rejected" for s in submissions) else EXIT_OK


# The files of a built site that make up its open data, as patterns relative to the site. The
# sample's are kept in tests/expected/ and compared byte for byte by a test; `invoke expected`
# writes them again when a change to them is intended.
OPEN_DATA = (
    "data/*.csv",
    "data/*.json",
    "search.json",
    "verify.json",
    "verify/seals.json",
    "verify/seals/*.jsonl",
)


def open_data(site: Path) -> dict[str, bytes]:
    """The open-data files of a built site, by path relative to it."""
    found = {p for pattern in OPEN_DATA for p in Path(site).glob(pattern) if p.is_file()}
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(found)}


@command("更新预期输出")
def run_expected(settings_file: Path, data: str | Path, out_dir: str | Path, out=None) -> int:
    """Build the site from `data` in a scratch folder and write its open data to `out_dir`
    (replacing what was there)."""
    from .build.atomic import build_site

    out = out or sys.stdout
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "publish"
        code = build_site(
            settings_file, site, data=data, out=io.StringIO(), cache=Path(scratch) / "cache"
        )
        if code != EXIT_OK:
            raise CannotRun(
                f"示例数据无法生成网站（退出码 {code}），请先运行 invoke build 查看原因"
            )
        files = open_data(site)
    shutil.rmtree(out_dir, ignore_errors=True)
    for name, content in files.items():
        target = Path(out_dir) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    out.write(f"写入 {len(files)} 个文件 → {out_dir}\n")
    return EXIT_OK
