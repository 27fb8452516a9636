"""晾晒 Liangshai: residential-community public-income statements, validated and published.

The pipeline, one module per stage:
  schema (format.yaml) → load → validate → model / status → metrics → views → generator
  (pages, open data, feeds), with excel, report and demo beside it.

As a Pelican plugin, `register()` adds the generator and the theme's filters.
"""

import os

DEFAULTS = {
    "LIANGSHAI_DATA": "data",
    "LIANGSHAI_STRICT": False,
    "LIANGSHAI_HOME_URL": "",
    "LIANGSHAI_HOME_SAVE_AS": "index.html",
    "LIANGSHAI_COMMUNITY_URL": "c/{key}/",
    "LIANGSHAI_COMMUNITY_SAVE_AS": "c/{key}/index.html",
    "LIANGSHAI_DISTRICT_URL": "d/{key}/",
    "LIANGSHAI_DISTRICT_SAVE_AS": "d/{key}/index.html",
    "LIANGSHAI_METHODS_URL": "methods/",
    "LIANGSHAI_METHODS_SAVE_AS": "methods/index.html",
    "LIANGSHAI_DATA_URL": "data/",
    "LIANGSHAI_DATA_SAVE_AS": "data/index.html",
    "LIANGSHAI_POSTERS_URL": "posters/",
    "LIANGSHAI_POSTERS_SAVE_AS": "posters/index.html",
    "LIANGSHAI_COMPANY_URL": "company/{key}/",
    "LIANGSHAI_COMPANY_SAVE_AS": "company/{key}/index.html",
    "LIANGSHAI_COMPANIES_URL": "company/",
    "LIANGSHAI_COMPANIES_SAVE_AS": "company/index.html",
    "LIANGSHAI_LEDGERS_URL": "ledgers/",
    "LIANGSHAI_LEDGERS_SAVE_AS": "ledgers/index.html",
    "LIANGSHAI_VERIFY_URL": "verify/",
    "LIANGSHAI_VERIFY_SAVE_AS": "verify/index.html",
    "LIANGSHAI_CACHE": ".cache",  # QR codes, posters and build caches, kept across builds
    # A previously published site (or a copy of it) whose seal log the data must still hold;
    # "" means the output folder the build replaces.
    "LIANGSHAI_SEAL_WITNESS": "",
    "LIANGSHAI_WORKERS": min(2, os.cpu_count() or 1),  # processes rendering community pages
    "LIANGSHAI_PARALLEL_LEAST": 100,  # fewer changed communities than this: one process
}


def site_settings(settings_file, **override) -> dict:
    """Pelican's settings from the settings file, with the plugin's defaults (the plugin sets
    them too, once Pelican starts)."""
    from pelican.settings import read_settings

    settings = read_settings(str(settings_file), override=override)
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    return settings


def setting_path(settings: dict, name: str):
    """A path setting, relative to the folder of the settings file (where `content/` is)."""
    from pathlib import Path

    path = Path(settings[name])
    return path if path.is_absolute() else Path(settings["PATH"]).parent / path


def initialized(pelican):
    from .filters import FILTERS
    from .tables import unified_table

    settings = pelican.settings
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
    settings["JINJA_ENVIRONMENT"] = {
        **settings["JINJA_ENVIRONMENT"],
        "autoescape": True,
        "auto_reload": False,
    }


def strip_control_characters(content):
    """Column articles are the bureau's own Markdown, but text pasted into them can carry
    control characters that no feed (XML) may hold: they are dropped on reading."""
    from .cells import CONTROL

    if getattr(content, "_content", None):
        content._content = CONTROL.sub("", content._content)
    for key, value in content.metadata.items():
        if isinstance(value, str) and CONTROL.search(value):
            content.metadata[key] = CONTROL.sub("", value)
            if hasattr(content, key):
                setattr(content, key, content.metadata[key])


def get_generators(pelican):
    from .generator import LiangshaiGenerator

    return LiangshaiGenerator


def register():
    from pelican import signals

    signals.initialized.connect(initialized)
    signals.content_object_init.connect(strip_control_characters)
    signals.get_generators.connect(get_generators)
