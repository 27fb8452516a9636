"""Project commands: `invoke -l` lists them, `invoke --help NAME` explains one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "plugins"))  # works before `pip install -e .` too

SAMPLE = {"communities": 48, "quarters": 6, "seed": 2024}
# Debian packages the site, posters and tests need: Chromium for browser tests; a CJK font
# for pages and posters; HarfBuzz's subsetter, without which WeasyPrint embeds fonts ~25x
# slower; poppler (pdftoppm, pdftotext, pdffonts) to check rendered posters; LibreOffice
# Calc, to make test files the way property companies do (re-saved workbooks, .xls, .ods) and
# to open what we write for Excel users; Java, for the Nu HTML checker.
DEBIAN_PACKAGES = [
    "chromium",
    "fonts-noto-cjk",
    "libharfbuzz-subset0",
    "poppler-utils",
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libreoffice-calc-nogui",
    "default-jre-headless",
    "ffmpeg",  # the lift screens' video per district
]
# What `invoke bench` compares with: Hugo, the fastest common static site generator (CI
# installs it too, so that the bench's Hugo step is tested).
DEV_PACKAGES = ["hugo"]


def _installed(package: str) -> bool:
    query = ["dpkg-query", "-W", "-f=${Status}", package]
    try:
        return b"install ok installed" in subprocess.run(query, capture_output=True).stdout
    except FileNotFoundError:  # not a Debian system: nothing we can install
        return True


@task(help={"dev": "also what the bench compares with (Hugo)"})
def setup(c, dev=False):
    """Install the Debian packages the site and tests need, if missing."""
    wanted = DEBIAN_PACKAGES + (DEV_PACKAGES if dev else [])
    missing = [name for name in wanted if not _installed(name)]
    if not missing:
        print("系统依赖已安装：" + "、".join(wanted))
        return
    sudo = "" if os.geteuid() == 0 else "sudo "
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    c.run(f"{sudo}apt-get update -qq", env=env)
    c.run(f"{sudo}apt-get install -y -qq {' '.join(missing)}", env=env)


@task(
    help={
        "data": "data folder (default: data)",
        "strict": "treat warnings as errors",
        "json": "also write the report as JSON to this file",
    }
)
def validate(c, data="data", strict=False, json=None):
    """Check the data folder against the unified format (exit 0 ok, 1 errors, 2 cannot run)."""
    from liangshai.commands import run_validate

    _exit(run_validate(data, strict=strict, json_file=json))


def _exit(code: int) -> None:
    if code:
        raise Exit(code=code)


@task(
    help={
        "out": "output folder (default: templates)",
        "community": "pre-fill this community id",
        "quarter": "pre-fill this quarter",
    }
)
def template(c, out="templates", community="", quarter=""):
    """Write blank statement templates (.xlsx and CSV) derived from the format."""
    from liangshai.commands import run_template

    _exit(run_template(out, community, quarter))


@task(
    name="demo-data",
    help={
        "communities": "how many communities (50 to 20,000)",
        "quarters": "how many quarters, ending 2025Q2",
        "seed": "random seed (same seed, same data)",
        "out": "output folder (default: demo)",
        "mixed": "also write some statements as YAML and Excel",
    },
)
def demo_data(c, communities=2000, quarters=8, seed=1, out="demo", mixed=False):
    """Generate deterministic synthetic data in the unified format, at any scale."""
    from liangshai.commands import run_demo

    _exit(run_demo(communities, quarters, seed, out, mixed))


@task
def sample(c):
    """Regenerate the shipped sample in data/ and its table of planted problems."""
    import csv
    import re
    import shutil

    from liangshai.demo.generate import generate, planted_table

    data = ROOT / "data"
    for folder in ("statements", "ledgers", "seals"):
        shutil.rmtree(data / folder, ignore_errors=True)
    print(generate(data, **SAMPLE, mixed=True))
    with (data / "scenarios.csv").open(encoding="utf-8") as f:
        table = planted_table(list(csv.DictReader(f)))
    readme = data / "README.md"
    text = re.sub(
        r"(<!-- planted:start[^>]*-->\n).*?(<!-- planted:end -->)",
        lambda m: m.group(1) + table + "\n" + m.group(2),
        readme.read_text(encoding="utf-8"),
        flags=re.S,
    )
    readme.write_text(text, encoding="utf-8")


@task
def expected(c):
    """Write the sample's open data into tests/expected/ again, after a change to it that
    is intended (a test compares them byte for byte)."""
    from liangshai.commands import run_expected

    _exit(run_expected(ROOT / "pelicanconf.py", ROOT / "data", ROOT / "tests" / "expected"))


@task
def docs(c):
    """Regenerate docs/data-dictionary.md and the blank templates the site publishes
    (plugins/liangshai/blank/) from the format definition."""
    from liangshai.exports.dictionary import data_dictionary
    from liangshai.exports.templates import write_blank

    path = ROOT / "docs" / "data-dictionary.md"
    path.write_text(data_dictionary(), encoding="utf-8")
    for written in [path, *write_blank()]:
        print(f"写入 {written.relative_to(ROOT)}")


@task(
    help={
        "data": "data folder (default: data)",
        "strict": "fail the build on warnings too",
        "output": "output folder (default: publish)",
    }
)
def build(c, data="data", strict=False, output="publish"):
    """Validate the data, then render the site into publish/ (atomically)."""
    from liangshai.build.atomic import build_site

    _exit(build_site(ROOT / "pelicanconf.py", output, data=data, strict=strict))


@task(
    help={
        "district": "only this district (slug, e.g. gulou)",
        "size": "only a3, a4 or a5",
        "draft": "allow a localhost or http site URL; posters are marked 样稿",
        "data": "data folder (default: data)",
    }
)
def posters(c, district="", size="", draft=False, data="data"):
    """Make print posters (PDF) for lifts and noticeboards, then rebuild the site."""
    from liangshai.commands import run_posters

    code = run_posters(data, ROOT / "pelicanconf.py", district, size, draft)
    if code == 2:
        _exit(code)
    try:
        build(c, data=data)
    except Exit as exc:
        code = max(code, exc.code)
    _exit(code)


@task(
    help={
        "quarter": "the quarter to seal, e.g. 2024Q1",
        "data": "data folder",
        "on": "the sealing date (default: today)",
    }
)
def seal(c, quarter, data="data", on=""):
    """Record the fingerprints of a quarter's valid statements in data/seals/ (commit it)."""
    from liangshai.commands import run_seal

    _exit(run_seal(data, quarter, on))


@task(
    help={
        "inbox": "folder of files handed in (e-mail attachments, a USB stick), any names",
        "data": "data folder to file into (default: data)",
        "out": "where runs are kept: archive, receipts, summary, log.csv (default: intake)",
        "quarter": "the quarter being collected; a statement of another is refused",
        "received": "the day the files were received (default: today)",
    }
)
def intake(c, inbox, data="data", out="intake", quarter="", received=""):
    """File every statement handed in: check, file under canonical names, archive, receipts."""
    from liangshai.commands import run_intake

    _exit(run_intake(inbox, ROOT / "pelicanconf.py", data, out, quarter, received))


@task(
    help={
        "path": "a draft statement file (or a folder of them)",
        "data": "data folder to check against (default: data)",
        "quarter": "the quarter it should be",
        "receipt": "also write the receipt (and the marked workbook) into this folder",
        "json": "also write the report as JSON to this file",
    }
)
def check(c, path, data="data", quarter="", receipt="", json=None):
    """Check a draft as intake would, changing nothing (exit 0 can be handed in, 1 not)."""
    from liangshai.commands import run_check

    _exit(run_check(path, ROOT / "pelicanconf.py", data, quarter, receipt, json))


@task(
    help={
        "month": "the month reported, e.g. 2024-06",
        "data": "data folder",
        "out": "output folder (default: reports)",
    }
)
def report(c, month, data="data", out="reports"):
    """Write the bureau's monthly export (双台账): ledgers and district metrics, xlsx and CSV."""
    from liangshai.commands import run_report

    _exit(run_report(data, month, out))


@task
def serve(c, port=8000):
    """Serve publish/ on http://localhost:PORT (build first)."""
    c.run(f"{sys.executable} -m http.server {port} --directory publish")


@task(
    help={
        "scales": "community counts to measure, comma-separated (default 2000,20000; '' none)",
        "runs": "runs per measurement where cheap (median)",
        "posters": "communities to make posters for (0: skip)",
        "history": "also measure this scale on its own, as COMMUNITIESxQUARTERS (20000x40)",
    }
)
def bench(c, scales="2000,20000", runs=3, posters=100, history=""):
    """Measure validation, full and incremental builds, memory and posters vs plain Pelican
    and Hugo (installed first, as by `invoke setup --dev`)."""
    from liangshai.demo.bench import run

    setup(c, dev=True)
    sizes = [int(s) for s in scales.split(",") if s.strip()]
    span = tuple(int(n) for n in history.lower().split("x")) if history else None
    print(run(sizes, runs=runs, poster_count=posters, history=span))


@task(help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the whole test suite."""
    c.run(f"{sys.executable} -m pytest" + (f" -k '{k}'" if k else ""), pty=False)


@task
def lint(c):
    """Check style with ruff."""
    c.run("ruff check .")
