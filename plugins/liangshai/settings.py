"""The plugin's settings: (name, default, help) each, checked when a build or a command starts.

An unknown LIANGSHAI_* name (a typo) or a bad value is one clear Chinese message each.
"""

from __future__ import annotations

import os
from pathlib import Path

from .problems import CannotRun

# Every setting of the plugin: (name, default, what it is). Checked when a build or a command
# starts: an unknown LIANGSHAI_* name or a bad value is one clear message each.
PAGES = (
    "home",
    "community",
    "district",
    "methods",
    "data",
    "posters",
    "company",
    "companies",
    "ledgers",
    "verify",
    "watch",
    "sitemap",
    "short",
)
_PAGE_PATHS = {
    "home": "",
    "community": "c/{key}/",
    "district": "d/{key}/",
    "company": "company/{key}/",
    "companies": "company/",
    "watch": "watch/{key}/",
    "short": "s/{key}/",
}
SETTINGS = [
    ("LIANGSHAI_DATA", "data", "the data folder, relative to the settings file"),
    ("LIANGSHAI_STRICT", False, "fail the build on warnings too"),
    *(
        entry
        for page in PAGES
        for entry in (
            (
                f"LIANGSHAI_{page.upper()}_URL",
                _PAGE_PATHS.get(page, f"{page}/"),
                f"the address of the {page} page",
            ),
            (
                f"LIANGSHAI_{page.upper()}_SAVE_AS",
                _PAGE_PATHS.get(page, f"{page}/") + "index.html",
                f"the output file of the {page} page: its URL plus index.html",
            ),
        )
    ),
    ("LIANGSHAI_CACHE", ".cache", "QR codes, posters and build caches, kept across builds"),
    (
        "LIANGSHAI_SEAL_WITNESS",
        "",
        "a published site whose seal log the data must still hold; '' = the output replaced",
    ),
    ("LIANGSHAI_WORKERS", min(2, os.cpu_count() or 1), "processes rendering pages"),
    ("LIANGSHAI_PARALLEL_LEAST", 100, "fewer changed pages than this: one process"),
]
DEFAULTS = {name: default for name, default, _ in SETTINGS}
INTERNAL = {"LIANGSHAI_RESULT", "LIANGSHAI_REUSE"}  # set by build.py during a build
KEYED = {"community", "district", "company", "watch", "short"}  # pages with one address per {key}
_KINDS = {bool: "True 或 False", int: "整数", str: "文字（路径或网址）"}


def settings_problems(settings: dict) -> list[str]:
    """What is wrong with the LIANGSHAI_* settings, one Chinese sentence each."""
    out = []
    for name in sorted(settings):
        if name.startswith("LIANGSHAI_") and name not in DEFAULTS and name not in INTERNAL:
            out.append(f"未知的设置 {name}（可用的设置见 README）")
    for name, default, _ in SETTINGS:
        value = settings.get(name, default)
        if isinstance(default, str) and isinstance(value, os.PathLike):
            continue  # a path setting given as a Path
        if type(value) is not type(default):
            out.append(f"设置 {name} 应为{_KINDS[type(default)]}，而不是 {value!r}")
        elif isinstance(default, int) and not isinstance(default, bool) and value < 0:
            out.append(f"设置 {name} 不能是负数：{value}")
    for page in PAGES:
        url, save_as = (
            settings.get(name, DEFAULTS[name])
            for name in (f"LIANGSHAI_{page.upper()}_URL", f"LIANGSHAI_{page.upper()}_SAVE_AS")
        )
        if not isinstance(url, str) or not isinstance(save_as, str):
            continue
        if page in KEYED and "{key}" not in url:
            out.append(f"设置 LIANGSHAI_{page.upper()}_URL 须含 {{key}}：{url!r}")
        if url and not url.endswith("/"):
            out.append(f"设置 LIANGSHAI_{page.upper()}_URL 应以 / 结尾：{url!r}")
        if save_as != url + "index.html":
            out.append(
                f"设置 LIANGSHAI_{page.upper()}_SAVE_AS 应为 {url + 'index.html'!r}"
                f"（URL 加 index.html），而不是 {save_as!r}"
            )
    return out


def site_settings(settings_file, **override) -> dict:
    """Pelican's settings from the settings file, with the plugin's defaults (the plugin sets
    them too, once Pelican starts)."""
    from pelican.settings import read_settings  # Pelican only when a command needs it

    settings = read_settings(str(settings_file), override=override)
    problems = settings_problems(settings)
    if problems:
        raise CannotRun(f"{settings_file} 的设置有误：\n  " + "\n  ".join(problems))
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    return settings


def setting_path(settings: dict, name: str):
    """A path setting, relative to the folder of the settings file (where `content/` is)."""
    path = Path(settings[name])
    return path if path.is_absolute() else Path(settings["PATH"]).parent / path
