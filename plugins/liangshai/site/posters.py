"""Print posters: an A4 noticeboard poster and an A5 lift poster per community, as PDF.

WeasyPrint renders theme/templates/poster.html with a CJK font from Debian (fonts-noto-cjk) and
embeds the glyphs it uses. Every poster is keyed by the SHA-256 of everything printed on it
(plus the template and the renderer's version) and kept in a cache folder, so a poster whose
inputs did not change is never rendered again. Renders run on both cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from ..assess.status import Status
from ..cache import FORGOTTEN, place, replacing
from ..model import Dataset
from ..numbers import money
from ..schema import FORMAT
from ..settings import DEFAULTS
from . import fonts
from .filters import cn_date
from .render import SCREENS, Job, _combine_task, _render_task, in_workers, make_video
from .urls import Urls
from .views import CommunityView

SIZES = ("a3", "a4", "a5")
SCREEN_NAMES = {"portrait": "电梯屏竖屏", "landscape": "电梯屏横屏"}  # the card is for sharing
VIDEO_FRAMES = "portrait"  # a district's video shows each community's portrait image
RECYCLE = 300  # posters a worker renders before it is replaced (see render.in_workers)
SIZE_NAMES = {"a3": "A3 公告栏", "a4": "A4 公告栏", "a5": "A5 电梯"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def site_url_problem(url: str) -> str | None:
    """Why posters must not point at this URL (a printed QR code cannot be fixed), or None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"网址 {url or '（空）'} 不是 https"
    if (parts.hostname or "") in LOCAL_HOSTS or (parts.hostname or "").endswith(".local"):
        return f"网址 {url} 指向本机"
    return None


def poster_data(view: CommunityView, url: str, draft: bool) -> dict:
    """Everything printed on a community's poster, as plain JSON-ready data; `url` is the
    community page's absolute address (what the QR code says)."""
    c, d, latest = view.community, view.district, view.latest
    head = FORMAT.tables["statements"]
    p = {
        "id": c.id,
        "name": c.name,
        "district": d.full_name,
        "street": c.street,
        "url": url,
        "bureau": d.bureau,
        "hotline": view.hotline,
        "phone": d.phone,
        "email": d.email,
        "as_of": cn_date(view.as_of),
        "draft": draft,
        "quarter": None,
        "status": None,
        "status_label": None,
        "totals": [],
        "flags": [],
        "posted_on": None,
        "code": None,
        "due": None,
        "share": None,
    }
    if latest is None:
        return p
    s = latest.statement
    p.update(
        quarter=latest.quarter.label,
        status=latest.status.value,
        status_label=latest.status.label,
        due=cn_date(latest.quarter.due),
        flags=[f.text for f in latest.flags],
    )
    if latest.shown:
        totals = s.totals
        p["totals"] = [
            (f"{sec.label}合计", money(totals[sec.code]), False)
            for sec in FORMAT.sections
            if sec.code != "deposit"
        ]
        p["totals"] += [
            (head.field("closing_balance").label, money(s.closing_balance), True),
            (head.field("account_balance").label, money(s.account_balance), True),
        ]
        p.update(posted_on=cn_date(s.published_on), code=s.verification_code)
        share = view.share
        if share:
            p["share"] = (
                f"按 {share.households} 户计，每户约：{FORMAT.label('sections.income')} "
                f"{share.income:,} 元，{FORMAT.label('statements.closing_balance')} "
                f"{share.closing:,} 元"
            )
    elif latest.status is Status.INVALID and s is not None:
        p["posted_on"] = cn_date(s.published_on)
    return p


class Posters:
    """Plans, renders, caches and publishes posters for one data set and theme."""

    def __init__(
        self,
        data: Dataset,
        views: dict[str, CommunityView],
        theme: Path,
        cache: Path,
        urls: Urls | None = None,
    ):
        self.data, self.views = data, views
        self.theme, self.cache = Path(theme), Path(cache) / "posters"
        self.urls = urls or Urls(DEFAULTS, data.settings.get("site_url", ""))
        templates = self.theme / "templates"
        template = (templates / "poster.html").read_bytes() + (
            templates / "screen.html"
        ).read_bytes()
        words = json.dumps(FORMAT.labels, ensure_ascii=False, sort_keys=True).encode()
        faces = fonts.print_faces(str(cache)).encode()  # as made by make_posters
        made_by = version("weasyprint").encode()
        self.salt = hashlib.sha256(template + words + faces + made_by).hexdigest()

    def jobs(self, draft: bool = False, districts=None, sizes=SIZES) -> list[Job]:
        out = []
        for cid, view in sorted(self.views.items()):
            if districts and view.community.district not in districts:
                continue
            data = poster_data(view, self.urls.absolute("community", cid), draft)
            blob = json.dumps(data, ensure_ascii=False, sort_keys=True)
            for size in sizes:
                key = hashlib.sha256(f"{self.salt}|{size}|{blob}".encode()).hexdigest()[:40]
                out.append(Job(cid, view.community.district, size, key, data))
        return out

    def cached(self, job: Job) -> Path:
        return self.cache / f"{job.key}.{job.suffix}"

    def render(self, jobs: list[Job], workers: int = 2, progress=None) -> int:
        """Render the posters not yet in the cache; returns how many were rendered."""
        todo = [j for j in jobs if not self.cached(j).exists()]
        self.cache.mkdir(parents=True, exist_ok=True)
        tasks = [(j, str(self.cached(j)), str(self.theme), str(self.cache.parent)) for j in todo]
        for done, _ in enumerate(in_workers(_render_task, tasks, workers, RECYCLE), 1):
            if progress:
                progress(done, len(tasks))
        return len(tasks)

    def combined_key(self, jobs: list[Job]) -> str:
        return hashlib.sha256("|".join(j.key for j in jobs).encode()).hexdigest()[:40]

    def combined(self, jobs: list[Job]) -> Path:
        return self.cache / f"all-{self.combined_key(jobs)}.pdf"

    def combine(self, groups: list[list[Job]], workers: int = 2) -> int:
        """One print file per group (a district's posters of one size), cached by its members;
        returns how many were made. Each is one document rendered from the posters' HTML, so
        that the district's posters share one embedding of each font (joining the posters'
        own PDFs kept a font subset per poster: 300 KB each)."""
        tasks = [
            (group, str(self.combined(group)), str(self.theme), str(self.cache.parent))
            for group in groups
            if not self.combined(group).exists()
        ]
        list(in_workers(_combine_task, tasks, workers, 1))
        return len(tasks)

    def video(self, jobs: list[Job]) -> Path:
        return self.cache / f"video-{self.combined_key(jobs)}.mp4"

    def screens_by_district(self, jobs: list[Job]) -> dict[str, list[Job]]:
        groups: dict[str, list[Job]] = {}
        for j in jobs:
            if j.size == VIDEO_FRAMES:
                groups.setdefault(j.district, []).append(j)
        return groups

    def videos(self, jobs: list[Job]) -> bool:
        """A silent MP4 per district for screens that play video (render.make_video); False
        when ffmpeg is not installed."""
        groups = [g for g in self.screens_by_district(jobs).values() if not self.video(g).exists()]
        if groups and shutil.which("ffmpeg") is None:
            return False
        for group in groups:
            make_video([self.cached(j) for j in group], self.video(group))
        return True

    def by_district(self, jobs: list[Job]) -> dict[tuple[str, str], list[Job]]:
        """A district's posters of each size (screens are not printed)."""
        groups: dict[tuple[str, str], list[Job]] = {}
        for j in jobs:
            if j.size in SCREENS:
                continue
            groups.setdefault((j.district, j.size), []).append(j)
        return groups

    def in_cache(self) -> list[Job]:
        """Every poster and screen image of the current data already in the cache: the
        final ones, then the drafts."""
        names = set(os.listdir(self.cache)) if self.cache.is_dir() else set()
        if not names:  # no posters made yet: skip planning them
            return []
        every = [j for draft in (False, True) for j in self.jobs(draft, sizes=(*SIZES, *SCREENS))]
        return [j for j in every if self.cached(j).name in names]

    def posted(self, cached: list[Job] | None = None) -> Posted:
        """The posters in the cache for the current data (final ones before drafts; `cached`
        as in_cache() gives them), and the district files whose every poster is there."""
        found: dict[tuple[str, str], Job] = {}
        for j in self.in_cache() if cached is None else cached:
            found.setdefault((j.community_id, j.size), j)
        files, communities, districts = {}, {}, {}
        for (cid, size), job in found.items():
            at = self.urls.screen if size in SCREENS else self.urls.poster
            communities[(cid, size)] = url = at(job.district, job.name)
            files[url] = self.cached(job)
        for district, group in self.screens_by_district(list(found.values())).items():
            path = self.video(group)
            if path.exists():
                districts[(district, "video")] = url = self.urls.screen(district, f"{district}.mp4")
                files[url] = path
        for (district, size), group in self.by_district(list(found.values())).items():
            path = self.combined(group)
            if path.exists():
                districts[(district, size)] = url = self.urls.district_posters(district, size)
                files[url] = path
        return Posted(communities, districts, files)


def prune(posters: Posters) -> int:
    """Remove the files this data folder's last posters run wanted and this one does not
    (those of figures since changed: every quarter's filings make a new set of a few
    hundred KB each), unless another data folder's run wants them, and what no run lists
    and was made over 30 days ago (before there were lists). What a run wants is
    the current data's posters and screens in the cache, final and draft, and the
    district files; it is listed in `wanted-<data folder>.json`. Returns how many went."""
    cached = posters.in_cache()
    wanted = {posters.cached(j).name for j in cached}
    wanted |= {path.name for path in posters.posted(cached).files.values()}
    ours = posters.cache / f"wanted-{place(posters.data.root or '')}.json"
    others: set[str] = set()
    for path in posters.cache.glob("wanted-*.json"):
        if path != ours:
            others |= _names(path)
    before, gone, now = _names(ours), 0, time.time()
    made = [p for p in posters.cache.glob("*.*") if p.suffix in SUFFIXES]
    listed = before | wanted | others
    old = {p.name for p in made if p.name not in listed and _age(p, now) > FORGOTTEN}
    for name in (before - wanted - others) | old:
        with suppress(FileNotFoundError):
            (posters.cache / name).unlink()
            gone += 1
    with replacing(ours) as tmp:
        tmp.write_text(json.dumps(sorted(wanted)), encoding="utf-8")
    for code in (posters.cache.parent / "qr").glob("*.svg"):  # an earlier release's QR codes
        code.unlink(missing_ok=True)
    return gone


SUFFIXES = {".pdf", ".png", ".mp4"}  # the cached files (not the lists, not temporary files)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0


def _names(path: Path) -> set[str]:
    """The names a wanted-*.json lists (none if it is missing or damaged)."""
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and "/" not in n and n != path.name}


@dataclass(frozen=True)
class Posted:
    """The posters made (by `invoke posters`) for the current data, by site-relative URL."""

    communities: dict[tuple[str, str], str]  # (community id, size) -> URL
    districts: dict[tuple[str, str], str]  # (district slug, size) -> URL of its print file
    files: dict[str, Path]  # URL -> the cached PDF

    def of(self, community_id: str, names: dict = SIZE_NAMES) -> list[tuple[str, str]]:
        """(name, URL) of a community's posters (or, with SCREEN_NAMES, screen images)."""
        return [
            (name, url)
            for size, name in names.items()
            if (url := self.communities.get((community_id, size)))
        ]


def make_posters(
    data: Dataset,
    views,
    theme: Path,
    cache: Path,
    districts=None,
    sizes=SIZES,
    draft: bool = False,
    workers: int = 2,
    out=print,
    urls: Urls | None = None,
) -> dict:
    """Render what is missing, and the district print files. Returns counts and timings."""
    fonts.prepare(Path(cache))  # the print faces, made before the workers start
    posters = Posters(data, views, theme, cache, urls)
    jobs = posters.jobs(draft=draft, districts=districts, sizes=sizes)
    started = time.perf_counter()
    step = max(1, len(jobs) // 20)

    def progress(done, total):
        if done == total or done % step == 0:
            out(f"  公示牌 {done}/{total}")

    rendered = posters.render(jobs, workers=workers, progress=progress)
    seconds = time.perf_counter() - started
    posters.combine(list(posters.by_district(jobs).values()), workers=workers)
    if not posters.videos(jobs):
        out("  未安装 ffmpeg：电梯屏视频没有生成（invoke setup 会安装它）")
    removed = prune(posters)
    if removed:
        out(f"  已删除 {removed} 个过期的公示牌文件（数据已更新，不再使用）")
    return {
        "posters": len(jobs),
        "rendered": rendered,
        "seconds": seconds,
        "districts": len({j.district for j in jobs}),
        "removed": removed,
    }
