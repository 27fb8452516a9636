"""The one URL builder: every address of the plugin's pages and files, from the settings.

Templates ask it through `page_url`, the posters' QR codes through `absolute`, search.js and
/verify/ through the `data-community` pattern a template writes from it, and the generator
for output paths. Changing LIANGSHAI_COMMUNITY_URL moves every link, file and QR code
together (printed QR codes keep the address they were printed with: redirect the old ones).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache

from ..model import Community
from ..settings import DEFAULTS, PAGES

CODES = "verify/codes"  # the verify page's lookup files (site/codes.py), inside the site


@cache  # asked for each quarter's messages and pages: 20,000 ids × quarters
def link_code(community_id: str) -> str:
    """The code of a community's short link (/s/<code>/): eight characters of the SHA-256 of
    its id, in lowercase base32 — the same forever for the same id (a renamed community keeps
    one at each former id), 40 bits, so that 20,000 communities clash with odds of 1 in 5,000
    (a build that meets a clash says so)."""
    digest = hashlib.sha256(f"liangshai:s:{community_id}".encode()).digest()
    return base64.b32encode(digest).decode()[:8].lower()


class Urls:
    def __init__(self, settings: Mapping, site_url: str = ""):
        self.settings = settings
        self.site_url = str(site_url).rstrip("/")
        self._patterns = {
            (kind, suffix): settings.get(name, DEFAULTS[name])
            for kind in PAGES
            for suffix in ("URL", "SAVE_AS")
            if (name := f"LIANGSHAI_{kind.upper()}_{suffix}")
        }

    def page(self, kind: str, key: str = "") -> str:
        """Site-relative address of a page (e.g. 'c/rongyin-huayuan/')."""
        return self._patterns[(kind, "URL")].format(key=key)

    def save_as(self, kind: str, key: str = "") -> str:
        """The page's output file, relative to the output folder."""
        return self._patterns[(kind, "SAVE_AS")].format(key=key)

    def absolute(self, kind: str, key: str = "") -> str:
        """The page's address with the site's (what feeds, sitemaps and QR codes need)."""
        return f"{self.site_url}/{self.page(kind, key)}"

    def column(self) -> str:
        """The 点题整治 column: Pelican's index of articles (INDEX_URL)."""
        return self.settings["INDEX_URL"]

    def poster(self, district: str, name: str) -> str:
        return f"{self.page('posters')}{district}/{name}"

    def screen(self, district: str, name: str) -> str:
        """A lift-screen or share image: screens/<district>/<name>."""
        return f"screens/{district}/{name}"

    def district_posters(self, district: str, size: str) -> str:
        return self.poster(district, f"{district}-all-{size}.pdf")

    def community_files(self, c: Community, feed: bool) -> list[str]:
        """A community's output files: its page, CSV and JSON downloads, feed (when it has
        figures to announce), a redirect page at each former id and at each short link."""
        base = self.page("community", c.id)
        files = [self.save_as("community", c.id), f"{base}{c.id}.csv", f"{base}{c.id}.json"]
        files += [f"{base}feed.xml"] if feed else []
        files += [self.save_as("community", old) for old in c.former_ids]
        return files + [self.save_as("short", link_code(i)) for i in (c.id, *c.former_ids)]

    def short(self, community_id: str) -> str:
        """The community's short link, for SMS: the site's address without its scheme."""
        address = self.absolute("short", link_code(community_id))
        return address.split("://", 1)[-1]
