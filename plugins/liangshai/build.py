"""Build the site atomically: render into a temporary folder, then swap it in.

A failed build (bad registry, --strict with problems, a crash) leaves the previous publish/
untouched, so the live site never shows half a build.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from . import DEFAULTS
from .cli import EXIT_CANNOT_RUN, EXIT_ERRORS, EXIT_OK
from .generator import BuildError, setting_path
from .incremental import Reuse, list_files, tree_digest
from .load import CannotRun
from .report import render_text


def build_site(
    settings_file: str | Path = "pelicanconf.py",
    output: str | Path = "publish",
    data: str | Path | None = None,
    strict: bool = False,
    out=None,
    cache: str | Path | None = None,
    **settings_override,
) -> int:
    from pelican import Pelican
    from pelican.settings import read_settings

    out = out or sys.stdout
    target = Path(output).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".publish-new-", dir=target.parent))
    override = {
        "OUTPUT_PATH": str(staging),
        "LIANGSHAI_STRICT": strict,
        "DELETE_OUTPUT_DIRECTORY": False,
    }
    if data is not None:
        override["LIANGSHAI_DATA"] = str(Path(data).resolve())
    if cache is not None:
        override["LIANGSHAI_CACHE"] = str(Path(cache).resolve())
    override.update(settings_override)
    settings = read_settings(str(settings_file), override=override)
    for key, value in DEFAULTS.items():  # the plugin sets these too, once Pelican starts
        settings.setdefault(key, value)
    reuse = Reuse(setting_path(settings, "LIANGSHAI_CACHE"), target)
    inputs = inputs_digest(settings, settings_file)
    if reuse.unchanged(inputs):
        shutil.rmtree(staging)
        out.write(f"输入没有变化，网站无需重新生成：{target}\n")
        return EXIT_OK
    settings["LIANGSHAI_REUSE"] = reuse
    try:
        Pelican(settings).run()
    except CannotRun as exc:
        shutil.rmtree(staging)
        print(f"无法生成网站：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except BuildError as exc:
        shutil.rmtree(staging)
        out.write(render_text(settings["LIANGSHAI_RESULT"]))
        print(f"未生成网站：{exc}", file=sys.stderr)
        return EXIT_ERRORS
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = settings["LIANGSHAI_RESULT"]
    if result.report.problems:
        out.write(render_text(result))
    if reuse.incremental:
        files = reuse.commit(staging)
        shutil.rmtree(staging)
    else:
        files = list_files(staging)
        swap_in(staging, target)
    reuse.save(inputs, files)
    reused = f"（{reuse.reused} 个单元未变化，直接沿用）" if reuse.reused else ""
    out.write(f"网站已生成：{target}{reused}\n")
    return EXIT_OK


def inputs_digest(settings: dict, settings_file) -> str:
    """Everything a build reads: data, content, theme, code, settings and cached posters."""
    import pelican

    h = tree_digest(
        [
            setting_path(settings, "LIANGSHAI_DATA"),
            Path(settings["PATH"]),
            Path(settings["THEME"]),
            Path(__file__).parent,
            Path(settings_file),
        ]
    )
    posters = setting_path(settings, "LIANGSHAI_CACHE") / "posters"
    names = sorted(p.name for p in posters.glob("*.pdf")) if posters.is_dir() else []
    h.update(repr((settings["LIANGSHAI_STRICT"], names, pelican.__version__)).encode())
    return h.hexdigest()


def swap_in(staging: Path, target: Path) -> None:
    """Replace `target` with `staging` by renames, so readers see the old or the new site."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".publish-old-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old)
