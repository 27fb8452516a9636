"""`invoke bench`: speed and memory of validation, builds and posters, against plain Pelican.

Every measurement runs in a fresh subprocess (as a user runs it), timed by wall clock, with
its peak resident memory taken from the kernel (os.wait4). Nothing here is a test: numbers on
shared machines vary by ±15 %, so tests check behaviour and this prints figures.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from decimal import Decimal
from pathlib import Path

from ..quarter import Quarter
from .generate import generate

ROOT = Path(__file__).resolve().parents[3]


# Run first in every measured subprocess: at exit it writes its peak resident memory (kB),
# its own or its workers', whichever is larger. Not the kernel's ru_maxrss of the subprocess
# as this process sees it: on Linux that starts from the RSS of the process that started it
# (exec keeps the high-water mark of the forked copy), so after generating 20,000 x 40 here
# every step "took" the 4 GB this process held.
PEAK = """
import atexit, resource
def _peak(path={path!r}):
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(path, "w") as f:
        f.write(str(max(own, workers)))
atexit.register(_peak)
"""


def timed(code: str) -> tuple[float, float]:
    """Run Python `code` in a subprocess: (seconds, peak RSS in MB of it and its workers)."""
    with tempfile.TemporaryDirectory(prefix="liangshai-peak-") as tmp:
        peak = Path(tmp) / "peak"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", PEAK.format(path=str(peak)) + code],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
        )
        seconds = time.perf_counter() - started
        if proc.returncode:
            raise RuntimeError(f"benchmark step failed ({proc.returncode}): {code}")
        return seconds, int(peak.read_text()) / 1024


def validate_code(data: Path) -> str:
    return f"from liangshai.validate.folder import validate_folder; validate_folder({str(data)!r})"


def build_code(data: Path, out: Path, cache: Path) -> str:
    return (
        f"import io, sys; from liangshai.build.atomic import build_site; sys.exit(build_site("
        f"'pelicanconf.py', {str(out)!r}, data={str(data)!r}, cache={str(cache)!r}, "
        f"out=io.StringIO()))"
    )


def posters_code(data: Path, cache: Path, count: int, counts: Path) -> str:
    """Posters (A4 and A5) for the first `count` communities; make_posters' counts (posters
    rendered, seconds rendering them) are written to `counts` as JSON."""
    return textwrap.dedent(f"""
        import json
        from pathlib import Path
        from liangshai.assess.metrics import compute
        from liangshai.site.posters import make_posters
        from liangshai.validate.folder import validate_folder
        from liangshai.site.views import all_views
        data = validate_folder({str(data)!r})
        views = dict(list(all_views(data, compute(data)).items())[:{count}])
        made = make_posters(data, views, Path('theme'), Path({str(cache)!r}),
                            sizes=('a4', 'a5'), out=lambda *a: None)
        Path({str(counts)!r}).write_text(json.dumps(made))
    """)


def change_one_statement(data: Path, k: int = 0) -> str:
    """Add 1.00 元 to one income line of the `k`-th statement of the latest quarter (and to
    its balances); returns its community's id."""
    folder = sorted((data / "statements").iterdir())[-1]
    items = list(csv.DictReader(io.StringIO((folder / "items.csv").read_text("utf-8"))))
    heads = list(csv.DictReader(io.StringIO((folder / "statements.csv").read_text("utf-8"))))
    target = heads[k]["community_id"]
    line = next(i for i in items if i["community_id"] == target and i["section"] == "income")
    line["amount"] = f"{Decimal(line['amount']) + 1:.2f}"
    for name in ("closing_balance", "account_balance"):
        heads[k][name] = f"{Decimal(heads[k][name]) + 1:.2f}"
    for path, rows in ((folder / "items.csv", items), (folder / "statements.csv", heads)):
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return target


def file_one_statement(data: Path) -> str:
    """File a statement as a YAML file of its own (as intake files a workbook or YAML
    statement) for the first community with none in the latest quarter; returns its id."""
    folder = sorted((data / "statements").iterdir())[-1]
    heads = csv.DictReader(io.StringIO((folder / "statements.csv").read_text("utf-8")))
    have = {row["community_id"] for row in heads}
    registry = csv.DictReader(io.StringIO((data / "communities.csv").read_text("utf-8-sig")))
    cid = next(row["id"] for row in registry if row["id"] not in have)
    (folder / f"{cid}.yaml").write_text(
        textwrap.dedent(f"""\
            community_id: "{cid}"
            quarter: "{folder.name}"
            published_on: {Quarter.parse(folder.name).due.isoformat()}
            prepared_by: "业主委员会"
            opening_balance: 0.00
            closing_balance: 100.00
            account_balance: 100.00
            income:
              - category: "parking"
                description: "公共道路及地面停车位使用费"
                amount: 100.00
                date: {Quarter.parse(folder.name).start.isoformat()}
        """),
        encoding="utf-8",
    )
    return cid


ROWS = "\n".join(f"| 停车费 {k} | 公共道路停车位使用费 | {1000 + k}.00 |" for k in range(15))
TABLE = f"## 公示表\n\n| 科目 | 明细 | 金额 |\n|---|---|---|\n{ROWS}\n"


def _pages(content: Path, pages: int, front) -> None:
    """As many Markdown pages as communities, a 15-row Chinese table each."""
    content.mkdir(parents=True)
    for n in range(pages):
        (content / f"p{n}.md").write_text(front(n) + TABLE, encoding="utf-8")


def plain_pelican(pages: int, work: Path) -> float:
    """Plain Pelican on as many Markdown pages (a 15-row Chinese table each), default theme."""
    content = work / "content"
    _pages(content, pages, lambda n: f"Title: 小区 {n}\nDate: 2025-01-01\nSlug: p{n}\n\n")
    conf = work / "conf.py"
    conf.write_text(
        "SITENAME = 'plain'\nPATH = 'content'\nFEED_ALL_ATOM = None\n"
        "CATEGORY_FEED_ATOM = None\nTIMEZONE = 'Asia/Shanghai'\n"
        "DEFAULT_LANG = 'zh'\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican",
            str(content),
            "-s",
            str(conf),
            "-o",
            str(work / "out"),
            "-q",
        ],
        check=True,
        cwd=work,
        capture_output=True,
    )
    return time.perf_counter() - started


# The smallest Hugo site that renders each page as a whole HTML document (Hugo renders
# nothing for a page without a layout).
HUGO_LAYOUT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>
"""
HUGO_LIST = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ .Title }}</title></head><body><ul>{{ range .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
"""


def hugo(pages: int, work: Path) -> float | None:
    """Hugo (Debian's) on the same Markdown pages, or None when it is not installed
    (`invoke setup --dev` installs it)."""
    if shutil.which("hugo") is None:
        return None
    _pages(work / "content", pages, lambda n: f"---\ntitle: 小区 {n}\ndate: 2025-01-01\n---\n\n")
    for name, text in (("single", HUGO_LAYOUT), ("list", HUGO_LIST)):
        layout = work / "layouts" / "_default" / f"{name}.html"
        layout.parent.mkdir(parents=True, exist_ok=True)
        layout.write_text(text, encoding="utf-8")
    (work / "hugo.toml").write_text(
        "baseURL = 'https://example.org/'\nlanguageCode = 'zh-CN'\ntitle = 'plain'\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    command = ["hugo", "--quiet", "--source", str(work), "--destination", str(work / "out")]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def measure(
    communities: int, quarters: int, work: Path, runs: int, say, compare: bool = True
) -> dict:
    """Each build and each plain Pelican run writes into a folder of its own, and nothing is
    deleted until the whole bench is over: on ext4 (measured here), creating files in the
    seconds after thousands were deleted costs up to ten times the system time, and a run
    after an rmtree would measure that deletion rather than the build."""
    data = work / "data"
    say(f"[{communities} × {quarters}] 生成数据 …")
    generate(data, communities, quarters, seed=1)
    say(f"[{communities} × {quarters}] 校验 …")
    validation = statistics.median(timed(validate_code(data))[0] for _ in range(runs))
    say(f"[{communities} × {quarters}] 完整生成 …")
    fulls = [
        timed(build_code(data, work / f"publish-{k}", work / f"cache-{k}")) for k in range(runs)
    ]
    full, rss = statistics.median(s for s, _ in fulls), max(m for _, m in fulls)
    say(f"[{communities} × {quarters}] 无变化重建、改一份公示表重建 …")
    out, cache = work / f"publish-{runs - 1}", work / f"cache-{runs - 1}"
    unchanged = statistics.median(timed(build_code(data, out, cache))[0] for _ in range(runs))
    change_one_statement(data)
    one = timed(build_code(data, out, cache))[0]
    # and another community's: the steady state, where the spare tree (the site before last)
    # is brought up to date rather than a whole new tree linked (build/spare.py)
    change_one_statement(data, 1)
    again = timed(build_code(data, out, cache))[0]
    file_one_statement(data)  # and one filed as a file of its own, as intake files them
    filed = timed(build_code(data, out, cache))[0]
    result = {
        "scale": f"{communities} × {quarters}",
        "validation": validation,
        "full": full,
        "rss": rss,
        "unchanged": unchanged,
        "one": one,
        "again": again,
        "filed": filed,
        "plain": None,
        "hugo": None,
    }
    if compare:
        say(f"[{communities} × {quarters}] 普通 Pelican 与 Hugo（各 {communities} 个页面）…")
        plains = [plain_pelican(communities, work / f"plain-{k}") for k in range(runs)]
        result["plain"] = statistics.median(plains)
        hugos = [hugo(communities, work / f"hugo-{k}") for k in range(runs)]
        result["hugo"] = statistics.median(hugos) if None not in hugos else None
    return result


def posters_rate(work: Path, count: int, say) -> tuple[float, float]:
    """Posters per second while rendering (both cores; validation and planning left out)."""
    data, cache, counts = work / "data", work / "poster-cache", work / "poster-counts.json"
    if not data.exists():
        generate(data, 2000, 8, seed=1)
    say(f"[公示牌] {count} 个小区 × 2 种尺寸 …")
    timed(posters_code(data, cache, count, counts))
    made = json.loads(counts.read_text())
    seconds = max(made["seconds"], 1e-9)
    return made["rendered"] / seconds, seconds / max(made["rendered"], 1) * 1000


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ratio(ours: float, other: float | None) -> str:
    return "—" if other is None else f"{ours / other:.2f}"


def table(results: list[dict], posters: tuple[float, float] | None) -> str:
    head = (
        "| scale | validation s | full build s | peak RSS MB | no-change rebuild s | "
        "one statement changed s | another changed s | one filed as its own file s | "
        "plain Pelican s | Hugo s | ours / plain | ours / Hugo |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['scale']} | {r['validation']:.2f} | {r['full']:.2f} | "
            f"{r['rss']:.0f} | {r['unchanged']:.2f} | {r['one']:.2f} | {r['again']:.2f} | "
            f"{r['filed']:.2f} | "
            f"{_seconds(r['plain'])} | {_seconds(r['hugo'])} | "
            f"{_ratio(r['full'], r['plain'])} | {_ratio(r['full'], r['hugo'])} |"
        )
    if any(r["plain"] is not None and r["hugo"] is None for r in results):
        lines.append("\nHugo is not installed (invoke setup --dev): no ours / Hugo.")
    if posters:
        lines.append("")
        lines.append(
            f"posters: {posters[0]:.1f} per second, {posters[1]:.0f} ms each "
            f"(A4 + A5, {os.cpu_count()} cores, rendering only)"
        )
    return "\n".join(lines)


def run(
    scales: list[int],
    quarters: int = 8,
    runs: int = 3,
    poster_count: int = 100,
    say=print,
    history: tuple[int, int] | None = None,
) -> str:
    """The bench at each scale (with plain Pelican and Hugo beside it); with `history`
    (communities, quarters), that scale too, on its own: time and memory as years add up."""
    results = []
    with tempfile.TemporaryDirectory(prefix="liangshai-bench-") as tmp:
        for n in scales:
            work = Path(tmp) / str(n)
            results.append(measure(n, quarters, work, runs if n <= 5000 else 1, say))
        if history:
            work = Path(tmp) / "history"
            results.append(measure(*history, work, 1, say, compare=False))
        first = Path(tmp) / (str(scales[0]) if scales else "posters")
        posters = posters_rate(first, poster_count, say) if poster_count else None
    return table(results, posters)
