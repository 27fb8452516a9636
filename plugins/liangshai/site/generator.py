"""The Pelican generator, a thin adapter: validate and assess in generate_context, then hand
every page and file to its maker in generate_output.

What a page shows is decided in views.py and pages.py, where each page gets a small context;
where it goes, in urls.py; how it is written, in output.py and sitefiles.py.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

from pelican.generators import Generator

from ..assess.ledgers import LedgerIndex
from ..assess.metrics import compute
from ..assess.watch import candidates_of
from ..parallel import WorkerFailed, in_parallel
from ..settings import setting_path
from ..validate.folder import blocking, gc_paused, validate_folder
from ..validate.ledgers import check_cases
from ..validate.seals import check_witness, witness
from . import codes, datapackage, feeds, joined, messages, opendata, pages, sitefiles
from .output import Output
from .posters import Posters
from .units import Units
from .urls import Urls, link_code
from .views import all_views, company_views, search_entries


class BuildError(Exception):
    """The site cannot be built from this data (the registry is broken, or --strict failed)."""


class LiangshaiGenerator(Generator):
    def generate_context(self):
        s, data = self.settings, self.validated()
        # Like the validated data, the views are many small objects that live until the end
        # of the build: made with the cyclic collector paused, then kept out of its way.
        with gc_paused():
            self.metrics, self.ledgers = compute(data), LedgerIndex(data)
            self.views = all_views(data, self.metrics, self.ledgers)
            self.by_district: dict[str, list] = {}  # the views of each district, in id order
            for view in self.views.values():
                self.by_district.setdefault(view.community.district, []).append(view)
            self.companies = company_views(self.views, self.ledgers)
            self.candidates = candidates_of(self.views.values(), self.metrics.quarters)  # 通报
        self.urls = Urls(s, data.settings.get("site_url", ""))
        self.posters = Posters(data, self.views, Path(self.theme), self.cache(), self.urls)
        self.posted = self.posters.posted()
        self.context.update(pages.site_context(data, self.urls))

    def validated(self):
        """The data, validated and held against the published seals; BuildError when it
        must not be built at all (see validate.folder.blocking), or --strict and not clean."""
        s = self.settings
        self.data = data = validate_folder(
            setting_path(s, "LIANGSHAI_DATA"), s["LIANGSHAI_STRICT"], cache=self.cache()
        )
        s["LIANGSHAI_RESULT"] = data  # for build.py, which reports on it after the run
        check_witness(data, witness(s))
        check_cases(data, article_slugs(self.context))
        fatal = blocking(data.report)
        if fatal or (s["LIANGSHAI_STRICT"] and not data.report.ok):
            named = "；".join(p.message for p in fatal[:5])
            raise BuildError(
                f"数据有 {len(data.report.errors)} 个错误，未生成网站"
                + (f"：{named}" if named else "（运行 invoke validate 查看详情）")
            )
        return data

    def cache(self) -> Path:
        return setting_path(self.settings, "LIANGSHAI_CACHE")

    def generate_output(self, writer):
        s = self.settings
        relative = s["RELATIVE_URLS"]
        out = Output(writer, self.output_path, self.get_template, self.context, self.urls, relative)
        reuse = s.get("LIANGSHAI_REUSE")
        units = Units.of(s, Path(self.theme), self.data, self.metrics, self.urls, self.posted)
        messages.check_codes(v.community for v in self.views.values())  # before any is written
        city = CityFiles(self.cache(), self.urls.page("data"), self.data, self.metrics, reuse)
        try:
            jobs, keys = self.jobs(out, units, city)
            in_parallel(
                s["LIANGSHAI_WORKERS"],
                jobs,
                lambda kv: kv and city.put(*kv),
                self.cache(),
                s["LIANGSHAI_PARALLEL_LEAST"],
                started=partial(city.start, Path(self.output_path), keys),
            )
            sitefiles.sitemap(out, reuse.kept if reuse else [], self.redirects())
            city.finish()
        except WorkerFailed:
            raise BuildError("生成页面时出错（详见上方日志）") from None
        finally:
            city.close()

    def jobs(self, out: Output, units: Units, city: CityFiles) -> tuple[list, list[str]]:
        """Every page and file but the city-wide data files, as jobs for in_parallel, and the
        fragment keys of the city files. A community, company or district whose unit is
        unchanged since the last build is left out; its files kept, and its share of the city
        files copied from the last build's. The communities come first, in the city files'
        order (CityFiles joins them as they come), then the rest, the slowest first."""
        data, page = self.data, out.page
        jobs = [
            partial(sitefiles.blank_templates, out),
            partial(sitefiles.data_page, out, data),
            partial(self.write_posters, out),
            partial(codes.write, out, data),
            lambda: out.file("search.json", opendata.to_json(search_entries(data))),
            partial(sitefiles.seal_log, out, data),
            partial(feeds.write_column_feed, out, self.env, self.context, data.settings),
            partial(out.redirects, self.category_redirects()),
            partial(sitefiles.not_found, out),
            partial(sitefiles.icons, out, self.theme),
            partial(sitefiles.robots, out),
        ]
        articles, quarters = article_slugs(self.context), self.metrics.quarters
        tables_kept, kept = units.city(articles, self.candidates, quarters)
        if not tables_kept:
            jobs.append(partial(sitefiles.reference_tables, out, data))
        for kind, key, context in pages.site_pages(self, data, self.metrics):
            if (kind, key) not in kept:
                jobs.append(partial(page, kind, key, context))
        latest = self.metrics.quarters[-1], self.candidates[self.metrics.quarters[-1]]
        for slug, district in data.districts.items():
            views = self.by_district.get(slug, [])
            ledgers = self.ledgers.view({v.community.id for v in views})
            if not units.reused(units.district(district, views, ledgers)):
                context = pages.district_page(data, self.metrics, district, views, ledgers, latest)
                jobs.append(partial(page, "district", slug, context))
        keys, communities = {}, []
        for cid, view in sorted(self.views.items()):
            keys[cid] = key = units.community(view)[0]
            if not units.reused(units.community(view)):
                communities.append(partial(self.write_community, out, view, key))
            elif not city.has(key):  # kept page, but the last build's city files are lost
                city.put(key, community_fragment(self.data, self.metrics, self.urls, view))
        for co in self.companies.values():
            if not units.reused(units.company(co)):
                jobs.append(partial(page, "company", co.code, pages.company_page(data, co, latest)))
        return communities + jobs, list(keys.values())

    def write_community(self, out: Output, view, key: str) -> tuple[str, opendata.Fragment]:
        """A community's page, downloads, feed and redirects; its share of the city-wide files
        goes back to be stored under its unit key."""
        c, data = view.community, self.data
        out.page("community", c.id, pages.community_page(view, self.posted))
        base = self.urls.page("community", c.id)
        fragment = community_fragment(data, self.metrics, self.urls, view)
        out.file(f"{base}{c.id}.csv", opendata.items_csv([fragment]))
        facts = opendata.community_facts(data, c)
        out.file(f"{base}{c.id}.json", opendata.statements_json(data, [fragment], community=facts))
        feed = feeds.community_feed(self.env, view, self.urls)
        if feed:
            out.file(f"{base}feed.xml", feed)
        out.redirects(self.former_ids(c))
        return key, fragment

    def write_posters(self, out: Output) -> None:
        """Link the cached posters into the output, and list them for the bureau."""
        for url, path in self.posted.files.items():
            out.link(path, url)
        listing = pages.posters_page(self.data.districts, self.by_district, self.posted)
        out.page("posters", "", listing)

    def former_ids(self, c) -> list[tuple[str, str, str]]:
        """(output path, target URL, name) of the redirect page at each former id and at the
        short link of each id (SMS carry them)."""
        target, urls = self.urls.page("community", c.id), self.urls
        pages = [(urls.save_as("community", old), target, c.name) for old in c.former_ids]
        short = [urls.save_as("short", link_code(i)) for i in (c.id, *c.former_ids)]
        return pages + [(path, target, c.name) for path in short]

    def category_redirects(self) -> list[tuple[str, str, str]]:
        categories = self.context.get("categories", [])
        return sitefiles.old_categories(categories, self.settings["CATEGORY_SAVE_AS"])

    def redirects(self) -> set[str]:
        """The output paths of every redirect page, which the sitemap leaves out."""
        pages = [r for c in self.data.communities.values() for r in self.former_ids(c)]
        return {path for path, _, _ in pages + self.category_redirects()}


class CityFiles:
    """The city-wide data files (opendata's and messages'), joined from the communities'
    fragments: those this build made, kept on disk until then, and the others' pieces copied
    from the last build's files (joined.py).

    They are joined in a thread of their own while the pages are rendered (`start`, once the
    workers are forked; `finish` waits for it): copying the kept pieces, hundreds of MB at
    province scale, is the kernel's work and lets the renderers run meanwhile."""

    def __init__(self, cache: Path, folder: str, data, metrics, reuse):
        (cache / "opendata.sqlite").unlink(missing_ok=True)  # an earlier release's store
        self.folder, self.index = folder, cache / "city-files.json"
        self.layout = {**opendata.city_layout(data), **messages.layout(metrics.quarters)}
        previous = reuse.previous / folder if reuse and reuse.old else None
        self.last = joined.LastIndex(self.index, previous, self.layout)
        self.made = joined.Scratch(cache)
        self.put, self.has = self.made.put, self.last.has
        self.thread: threading.Thread | None = None
        self.failed: BaseException | None = None

    def parts(self, key: str) -> dict[str, str]:
        fragment = self.made.get(key)
        return {**opendata.city_parts(fragment), **messages.parts(fragment.messages)}

    def start(self, output: Path, keys: list[str]) -> None:
        self.thread = threading.Thread(target=self._write, args=(output, keys), name="city-files")
        self.thread.start()

    def _write(self, output: Path, keys: list[str]) -> None:
        try:
            joined.write(output / self.folder, self.layout, keys, self.parts, self.last, self.index)
        except BaseException as exc:  # raised again in the build's thread, by finish()
            self.failed = exc

    def finish(self) -> None:
        """Wait for the files, once every fragment is put."""
        self._stop()
        if self.failed is not None:
            raise self.failed

    def close(self) -> None:
        self._stop()
        self.made.close()

    def _stop(self) -> None:
        self.made.all_put()  # a writer waiting for fragments that will never come gives up
        if self.thread is not None:
            self.thread.join()


def article_slugs(context: dict) -> set[str]:
    """The slugs of the column's articles (a 典型案例 names one)."""
    return {a.slug for a in context.get("articles", [])}


def community_fragment(data, metrics, urls: Urls, view) -> opendata.Fragment:
    """A community's share of the city-wide files: its statements and items (CSV, JSON), its
    rows of statuses.csv and its lines of the SMS and WeChat files."""
    entries = opendata.entries(data, metrics, data.statements_of(view.community.id))
    lines = messages.community_lines(view, metrics.quarters, urls)
    return opendata.Fragment.of(entries, datapackage.status_lines(view), lines)
