"""Rendering posters, lift-screen images and share cards with WeasyPrint, and a district's
lift-screen video with ffmpeg. Run in worker processes (posters.py plans and caches)."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from markupsafe import Markup

from ..cache import replacing
from ..schema import FORMAT
from .fonts import PRINT_FONTS, print_faces
from .qr import QRCache

# Images for lift screens (梯视) and for sharing: (width, height) in pixels, made like posters.
SCREENS = {"portrait": (1080, 1920), "landscape": (1920, 1080), "card": (600, 600)}
SECONDS = 10  # each community's image in a district's video


@dataclass(frozen=True)
class Job:
    community_id: str
    district: str
    size: str
    key: str
    data: dict

    @property
    def suffix(self) -> str:
        return "png" if self.size in SCREENS else "pdf"

    @property
    def name(self) -> str:
        return f"{self.community_id}-{self.size}.{self.suffix}"


_ENV = {}


def environment(theme: str):
    """The Jinja environment of the theme's templates (posters, screens, receipts)."""
    if theme not in _ENV:
        from jinja2 import Environment, FileSystemLoader

        _ENV[theme] = env = Environment(
            loader=FileSystemLoader(Path(theme) / "templates"), autoescape=True
        )
        env.globals["LABELS"] = FORMAT.label_names
        env.globals["PRINT_FONTS"] = Markup(PRINT_FONTS)  # quotes, not &#34;, in a <style>
    return _ENV[theme]


def poster_html(job: Job, theme: Path, cache_root: Path, fit: float = 1.0) -> str:
    qr = QRCache(Path(cache_root) / "qr").data_uri(job.data["url"])
    template = "screen.html" if job.size in SCREENS else "poster.html"
    width, height = SCREENS.get(job.size, (0, 0))
    faces = Markup(print_faces(str(cache_root)))
    return (
        environment(str(theme))
        .get_template(template)
        .render(p=job.data, size=job.size, qr=qr, fit=fit, width=width, height=height, faces=faces)
    )


# Type scales tried in turn until a poster is one page (almost all are at the first: the sample
# and demo-data posters all are, but for a few A5 ones with many lines).
FITS = (1.0, 0.9, 0.8, 0.7, 0.6)


@cache
def font_config():
    """One WeasyPrint font configuration per process, for every document it renders: a
    fresh one per render read the print faces' @font-face again each time (a fifth of a
    poster's time). The PDFs are byte for byte the same either way, in any order."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


STYLE = re.compile(r"<style>(.*?)</style>", re.S)  # the one in a print template's <head>


@lru_cache(maxsize=64)
def stylesheet(css: str, theme: str):
    """`css` parsed once per process: a poster's <style> is one of a few variants (size, type
    scale), and parsing it again for every poster took about a tenth of its time. Passed to
    WeasyPrint instead of the <style>, the PDFs are byte for byte the same."""
    from weasyprint import CSS

    return CSS(string=css, base_url=theme, font_config=font_config())


# freed before the interpreter tears modules down, or WeasyPrint's font configuration, which
# they hold, complains as it goes
atexit.register(stylesheet.cache_clear)


def one_page(job: Job, theme: str, cache_root: str):
    """The poster rendered (a WeasyPrint document) at the largest type that fits one page."""
    from weasyprint import HTML

    for fit in FITS:
        html = poster_html(job, Path(theme), Path(cache_root), fit)
        sheets = [stylesheet(m.group(1), theme) for m in STYLE.finditer(html)]
        html = STYLE.sub("", html)
        document = HTML(string=html, base_url=theme).render(
            font_config=font_config(), stylesheets=sheets
        )
        if len(document.pages) == 1:
            break
    return document


def _write(document, target: str) -> str:
    with replacing(Path(target)) as tmp:
        document.write_pdf(tmp)
    return target


def _render_task(task) -> str:
    job, target, theme, cache_root = task
    document = one_page(job, theme, cache_root)
    if job.size not in SCREENS:
        return _write(document, target)
    width, height = SCREENS[job.size]  # the page, as a PNG of exactly these pixels
    with replacing(Path(target)) as tmp:
        pdf = tmp.with_suffix(".pdf")
        document.write_pdf(pdf)
        size = ["-scale-to-x", str(width), "-scale-to-y", str(height)]
        base = str(tmp.with_suffix(""))
        subprocess.run(["pdftoppm", "-png", "-singlefile", *size, str(pdf), base], check=True)
        pdf.unlink()
        Path(base + ".png").replace(tmp)
    return target


def in_workers(work, tasks: list, workers: int, per_worker: int):
    """`work(task)` of every task, yielded in order: the first in this process, the rest on
    `workers` processes forked from it, in rounds of `per_worker` tasks a worker.

    Forked workers start with WeasyPrint imported and its fonts warmed by the first task (a
    spawned one imported and warmed them again, about a second each); fresh workers every
    round keep memory bounded, as WeasyPrint's grows with every document (about 1.7 GB after
    2,000 posters in one process)."""
    if not tasks:
        return
    yield work(tasks[0])
    rest = tasks[1:]
    if workers < 2 or len(rest) < 2:
        yield from map(work, rest)
        return
    fork = multiprocessing.get_context("fork")
    step = workers * per_worker
    for start in range(0, len(rest), step):
        with ProcessPoolExecutor(workers, mp_context=fork) as pool:
            yield from pool.map(work, rest[start : start + step])


def _combine_task(task) -> str:
    jobs, target, theme, cache_root = task
    documents = [one_page(job, theme, cache_root) for job in jobs]
    pages = [page for document in documents for page in document.pages]
    return _write(documents[0].copy(pages), target)


def make_video(frames: list[Path], target: Path) -> None:
    """A silent H.264 MP4 showing each image for SECONDS."""
    with tempfile.TemporaryDirectory() as scratch, replacing(target) as tmp:
        for k, frame in enumerate(frames):
            os.symlink(frame, Path(scratch) / f"{k:05d}.png")
        pattern = str(Path(scratch) / "%05d.png")
        command = ["ffmpeg", "-v", "error", "-y", "-framerate", f"1/{SECONDS}", "-i", pattern]
        # a still picture needs few frames: 2 a second keeps encoding quick, players happy
        command += ["-c:v", "libx264", "-tune", "stillimage", "-preset", "veryfast", "-r", "2"]
        command += ["-pix_fmt", "yuv420p", "-an", "-f", "mp4"]
        subprocess.run([*command, str(tmp)], check=True)
