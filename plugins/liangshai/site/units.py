"""Units of an incremental build: a community (its page, downloads, feed, redirects), a
company, a district. Each has a content key made of everything its files are made from; a
unit whose key the previous build recorded keeps its files (build/incremental.py's Reuse).
"""

from __future__ import annotations

from pathlib import Path

from ..assess.metrics import Metrics
from ..digest import code_digest, unit_key
from ..model import Dataset
from . import datapackage
from .posters import SCREENS, SIZE_NAMES
from .urls import Urls

# Settings that shape the pages (paths of inputs and outputs do not).
KEY_SETTINGS = ("SITENAME", "SITEURL", "RELATIVE_URLS", "THEME_STATIC_DIR", "INDEX_URL")
URL_SETTINGS = ("_URL", "_SAVE_AS")  # of the plugin's pages: every link depends on them


class Units:
    @classmethod
    def of(cls, settings: dict, theme: Path, data: Dataset, metrics: Metrics, urls, posted):
        """The units of this build: every key starts from the code, the theme, the settings
        that shape pages, and the data's own settings and date."""
        shaping = {
            k: v
            for k, v in sorted(settings.items())
            if k in KEY_SETTINGS or (k.startswith("LIANGSHAI_") and k.endswith(URL_SETTINGS))
        }
        key = unit_key(code_digest(theme), shaping, data.settings, data.as_of)
        return cls(key, data, metrics, urls, posted, settings.get("LIANGSHAI_REUSE"))

    def __init__(self, global_key: str, data: Dataset, metrics: Metrics, urls: Urls, posted, reuse):
        self.global_key, self.data, self.metrics = global_key, data, metrics
        self.urls, self.posted, self.reuse = urls, posted, reuse
        self._communities: dict[str, tuple[str, list[str]]] = {}

    def community(self, view) -> tuple[str, list[str]]:
        """The key of a community's unit, and its files."""
        c = view.community
        if c.id not in self._communities:
            made = (*SIZE_NAMES, *SCREENS)
            posters = [self.posted.communities.get((c.id, size)) for size in made]
            statements = [(s.fingerprint, s.problems) for s in self.data.statements_of(c.id)]
            key = unit_key(self.global_key, view.digest(), statements, posters)
            self._communities[c.id] = key, self.urls.community_files(c, bool(view.with_figures))
        return self._communities[c.id]

    def company(self, co) -> tuple[str, list[str]]:
        members = [self.community(v)[0] for v in co.views]
        key = unit_key(self.global_key, co.code, co.name, members, co.ledgers)
        return key, [self.urls.save_as("company", co.code)]

    def district(self, district, views, ledgers) -> tuple[str, list[str]]:
        members = [self.community(v)[0] for v in views]
        rates = [self.metrics.get(district.slug, q) for q in self.metrics.quarters]
        key = unit_key(self.global_key, district, members, rates, ledgers)
        return key, [self.urls.save_as("district", district.slug)]

    def city(self, articles: set[str], candidates: dict, quarters: list) -> tuple[bool, set]:
        """Whether the reference tables are kept, and which city pages are, as (kind, key):
        the ledgers page, and each quarter's 通报 page (`candidates`: assess.watch's)."""
        tables, ledgers = self.of_ledgers(articles)
        kept = {("ledgers", "")} if ledgers else set()
        for q, found in candidates.items():
            if self.reused(self.watch(q, found, quarters)):
                kept.add(("watch", str(q)))
        return tables, kept

    def of_ledgers(self, articles: set[str]) -> tuple[bool, bool]:
        """Whether the reference tables (datapackage.tables) and the city's ledgers page are
        kept: units made from the registry and the ledgers alone. Their rows are the
        registry's (Dataset.registry_key, which covers the settings) and the ledgers' valid
        ones, and a ledger row is made from its file's bytes (Dataset.ledgers_key), the
        registry (an old id becomes the new one) and the articles a 典型案例 may name: so
        these, and which rows are invalid, are the key; no row need be looked at again."""
        data = self.data
        invalid = [
            (kind, [(r.file, r.row) for r in rows if not r.valid])
            for kind, rows in sorted(data.ledgers.items())
        ]
        parts = (data.registry_key, sorted(data.ledgers_key.items()), invalid, sorted(articles))
        folder = self.urls.page("data")
        tables = [f"{folder}{name}" for name in datapackage.REFERENCE]
        units = (("reference", tables), ("ledgers", [self.urls.save_as("ledgers")]))
        return tuple(
            self.reused((unit_key(self.global_key, name, *parts), files)) for name, files in units
        )

    def watch(self, quarter, found: list, quarters: list) -> tuple[str, list[str]]:
        """A quarter's 通报 page: its candidates (assess.watch: each one's community, status
        and watched flags; their names, companies and districts are the registry's) and the
        quarters it links to."""
        listed = [(x.community.id, x.status.value, [f.code for f in x.flags]) for x in found]
        shown = (self.data.registry_key, str(quarter), [str(q) for q in quarters], listed)
        page = self.urls.save_as("watch", str(quarter))
        return unit_key(self.global_key, "watch", *shown), [page]

    def reused(self, unit: tuple[str, list[str]]) -> bool:
        """Record the unit for the next build; True if its files are unchanged and kept."""
        if self.reuse is None:
            return False
        key, files = unit
        self.reuse.record(key, files)
        return self.reuse.keep(key)
