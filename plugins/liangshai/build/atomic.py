"""Build the site atomically: render a complete new tree beside the old one, then swap.

Pelican writes what changed into a fresh sibling folder, made world-readable. The new tree is
the spare one (the site before last, see spare.py) brought up to date with it, or, when there
is no spare, that folder with the unchanged units hard-linked from the old output. It takes
the place of publish/ in one rename (Linux renameat2 with RENAME_EXCHANGE), so that a build
killed at any moment leaves publish/ exactly the old site or exactly the new one. The next
build removes what a killed one left beside it."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..digest import PACKAGE, list_files
from ..problems import EXIT_CANNOT_RUN, EXIT_ERRORS, EXIT_OK, CannotRun
from ..settings import setting_path, site_settings
from ..validate.report import render_text
from .incremental import LastInputs, Reuse, inputs_digest, settings_cache, settings_key
from .spare import publish, spare_of


def build_site(
    settings_file: str | Path = "pelicanconf.py",
    output: str | Path = "publish",
    data: str | Path | None = None,
    strict: bool = False,
    out=None,
    cache: str | Path | None = None,
    **settings_override,
) -> int:
    out = out or sys.stdout
    target = Path(output).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with locked(target):
            return _build(settings_file, target, data, strict, out, cache, settings_override)
    except CannotRun as exc:
        print(f"无法生成网站：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def _build(settings_file, target: Path, data, strict, out, cache, settings_override) -> int:
    remove_leftovers(target)
    override = {"LIANGSHAI_STRICT": strict, "DELETE_OUTPUT_DIRECTORY": False}
    if data is not None:
        override["LIANGSHAI_DATA"] = str(Path(data).resolve())
    if cache is not None:
        override["LIANGSHAI_CACHE"] = str(Path(cache).resolve())
    override.update(settings_override)
    key = settings_key(settings_file, override)
    last = LastInputs(settings_cache(settings_file, override), target)
    if last.unchanged(key):  # without Pelican, without reading unchanged files
        out.write(f"输入没有变化，网站无需重新生成：{target}\n")
        return EXIT_OK
    from pelican import Pelican

    from ..site.generator import BuildError

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    override["OUTPUT_PATH"] = str(staging)
    umask = os.umask(0o022)  # whatever the caller's: a web server must be able to read it
    try:
        settings = site_settings(settings_file, **override)
        cache = setting_path(settings, "LIANGSHAI_CACHE")
        reuse, posters = Reuse(cache, target), cache / "posters"
        paths = input_paths(settings, settings_file)
        if last.cache != cache:  # the quick look would not find this cache: no record there
            last = LastInputs(None, target)
        hashes = last.hashes()
        inputs = inputs_digest(paths, posters, key, hashes)
        if reuse.unchanged(inputs):
            last.save(key, paths, posters, inputs, hashes)
            out.write(f"输入没有变化，网站无需重新生成：{target}\n")
            return EXIT_OK
        settings["LIANGSHAI_REUSE"] = reuse
        try:
            Pelican(settings).run()
        except BuildError as exc:
            out.write(render_text(settings["LIANGSHAI_RESULT"]))
            print(f"未生成网站：{exc}", file=sys.stderr)
            return EXIT_ERRORS
        result = settings["LIANGSHAI_RESULT"]
        if result.report.problems:
            out.write(render_text(result))
        written = list_files(staging)
        readable(staging, written)
        reuse.forget()
        last.forget()
        spare = publish(staging, target, reuse, written)
        reuse.save(inputs, written, spare)
        last.save(key, paths, posters, inputs, hashes)
    finally:
        os.umask(umask)
        shutil.rmtree(staging, ignore_errors=True)
    reused = f"（{reuse.reused} 个单元未变化，直接沿用）" if reuse.reused else ""
    out.write(f"网站已生成：{target}{reused}\n")
    return EXIT_OK


@contextmanager
def locked(target: Path):
    """One build at a time beside an output folder (a second one would remove the first's
    new tree as a leftover). The lock is on the parent folder itself: no file is left."""
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CannotRun(f"另一次生成正在写入 {target}，请等它结束") from None
        yield
    finally:
        os.close(fd)


def remove_leftovers(target: Path) -> None:
    """Trees a killed build left beside `target`: a new one not swapped in, or the old one
    not yet removed or made the spare (the spare itself is kept: the build's record says
    whether it can be used)."""
    spare = spare_of(target)
    old_spare = spare.with_name(spare.name + "-old")
    for path in [*target.parent.glob(f".{target.name}.new-*"), old_spare]:
        shutil.rmtree(path, ignore_errors=True)


def readable(root: Path, written) -> None:
    """Every folder 0755 and file 0644 at least: the output is served by another user.
    `written`: the files this build made (relative to `root`); the files kept are links to
    the previous output's, made readable by the build that wrote them."""
    os.chmod(root, 0o755)
    folders = set()
    for rel in written:
        _at_least(os.path.join(root, rel), 0o644)
        folder = os.path.dirname(rel)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    for folder in folders:
        _at_least(os.path.join(root, folder), 0o755)


def _at_least(path: str, mode: int) -> None:
    current = stat.S_IMODE(os.lstat(path).st_mode)
    if current & mode != mode:
        os.chmod(path, current | mode)


def input_paths(settings: dict, settings_file) -> list[Path]:
    """What a build reads: data, content, theme, code and the settings file."""
    return [
        setting_path(settings, "LIANGSHAI_DATA"),
        Path(settings["PATH"]),
        Path(settings["THEME"]),
        PACKAGE,
        Path(settings_file),
    ]
