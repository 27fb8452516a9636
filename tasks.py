"""Project commands: `invoke -l` lists them, `invoke --help NAME` explains one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "plugins"))  # works before `pip install -e .` too

SAMPLE = {"communities": 48, "quarters": 6, "seed": 2024}
# Debian packages the tests and posters need: the browser for browser tests, and a CJK font
# so that pages (and later posters) render Chinese glyphs.
DEBIAN_PACKAGES = {
    "chromium": "/usr/bin/chromium",
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}


@task
def setup(c):
    """Install the Debian packages the tests need (Chromium, a CJK font), if missing."""
    missing = [name for name, path in DEBIAN_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        print("系统依赖已安装：" + "、".join(DEBIAN_PACKAGES))
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
    from liangshai.cli import run_validate

    code = run_validate(data, strict=strict, json_file=json)
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
    from liangshai.excel import write_csv_templates, write_template

    out = Path(out)
    for path in [
        write_template(out / "statement-template.xlsx", community, quarter),
        *write_csv_templates(out),
    ]:
        print(f"写入 {path}")


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
    from liangshai.demo import generate

    print(f"生成 {communities} 个小区 × {quarters} 个季度 → {out}/ …", flush=True)
    counts = generate(Path(out), communities, quarters, seed, mixed=mixed)
    done = "完成：{communities} 个小区，{statements} 份公示表，{planted} 处预设问题"
    print(done.format(**counts))


@task
def sample(c):
    """Regenerate the shipped sample in data/ and its table of planted problems."""
    import csv
    import re
    import shutil

    from liangshai.demo import generate, planted_table

    data = ROOT / "data"
    for folder in ("statements", "ledgers"):
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
def docs(c):
    """Regenerate docs/data-dictionary.md from the format definition."""
    from liangshai.docs import data_dictionary

    path = ROOT / "docs" / "data-dictionary.md"
    path.write_text(data_dictionary(), encoding="utf-8")
    print(f"写入 {path.relative_to(ROOT)}")


@task(
    help={
        "data": "data folder (default: data)",
        "strict": "fail the build on warnings too",
        "output": "output folder (default: publish)",
    }
)
def build(c, data="data", strict=False, output="publish"):
    """Validate the data, then render the site into publish/ (atomically)."""
    from liangshai.build import build_site

    code = build_site(ROOT / "pelicanconf.py", output, data=data, strict=strict)
    if code:
        raise Exit(code=code)


@task
def serve(c, port=8000):
    """Serve publish/ on http://localhost:PORT (build first)."""
    c.run(f"{sys.executable} -m http.server {port} --directory publish")


@task(help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the whole test suite."""
    c.run(f"{sys.executable} -m pytest" + (f" -k '{k}'" if k else ""), pty=False)


@task
def lint(c):
    """Check style with ruff."""
    c.run("ruff check .")
