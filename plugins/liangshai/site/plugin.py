"""The Pelican side: settings checked and completed, the theme's filters, the generator."""

from __future__ import annotations

from jinja2 import FileSystemBytecodeCache
from pelican import signals

from ..load.cells import CONTROL
from ..problems import CannotRun
from ..settings import DEFAULTS, setting_path, settings_problems
from .filters import FILTERS
from .generator import LiangshaiGenerator
from .tables import unified_table


def initialized(pelican):
    settings = pelican.settings
    problems = settings_problems(settings)  # `pelican` run directly, not through build.py
    if problems:
        raise CannotRun("设置有误：\n  " + "\n  ".join(problems))
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    settings["JINJA_FILTERS"] = {
        **settings.get("JINJA_FILTERS", {}),
        **FILTERS,
        "unified_table": unified_table,
    }
    # Every user-supplied string is escaped: names, notes and descriptions come from files
    # that anyone may have typed into.
    # A build reads each template once: no need to look at its file again before every page.
    # Compiled templates are kept in the cache (each of Pelican's generators compiles its
    # own, some 30 a build: 0.4 s); Jinja checks each against its source's checksum.
    compiled = setting_path(settings, "LIANGSHAI_CACHE") / "jinja"
    compiled.mkdir(parents=True, exist_ok=True)
    settings["JINJA_ENVIRONMENT"] = {
        **settings["JINJA_ENVIRONMENT"],
        "autoescape": True,
        "auto_reload": False,
        "bytecode_cache": FileSystemBytecodeCache(str(compiled)),
    }


def strip_control_characters(content):
    """Column articles are the bureau's own Markdown, but text pasted into them can carry
    control characters that no feed (XML) may hold: they are dropped on reading."""
    if getattr(content, "_content", None):
        content._content = CONTROL.sub("", content._content)
    for key, value in content.metadata.items():
        if isinstance(value, str) and CONTROL.search(value):
            content.metadata[key] = CONTROL.sub("", value)
            if hasattr(content, key):
                setattr(content, key, content.metadata[key])


def get_generators(pelican):
    return LiangshaiGenerator


def connect():
    """Connect to Pelican's signals (called by the package's register())."""
    signals.initialized.connect(initialized)
    signals.content_object_init.connect(strip_control_characters)
    signals.get_generators.connect(get_generators)
