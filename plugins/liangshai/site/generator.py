"""The Pelican generator, a thin adapter: validate and assess in generate_context, then hand
every page and file to its maker in generate_output.

What a page shows is decided in views.py and pages.py, where each page gets a small context;
where it goes, in urls.py; how it is written, in output.py and sitefiles.py.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from markdown import markdown
from markupsafe import Markup
from pelican.generators import Generator

from ..assess.ledgers import LedgerIndex
from ..assess.metrics import CITY, DEFINITIONS, compute
from ..assess.status import Status
from ..digest import code_digest, unit_key
from ..exports.dictionary import data_dictionary
from ..parallel import WorkerFailed, in_parallel
from ..problems import CannotRun
from ..schema import FORMAT
from ..settings import setting_path
from ..validate.folder import blocking, gc_paused, validate_folder
from ..validate.seals import check_witness
from . import feeds, opendata, pages, sitefiles
from .output import Output
from .posters import Posters
from .units import Units
from .urls import Urls
from .views import all_views, company_views, search_entries, verification_index

# Settings that shape the pages (paths of inputs and outputs do not).
KEY_SETTINGS = ("SITENAME", "SITEURL", "RELATIVE_URLS", "THEME_STATIC_DIR", "INDEX_URL")
URL_SETTINGS = ("_URL", "_SAVE_AS")  # of the plugin's pages: every link depends on them


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
        self.urls = Urls(s, data.settings.get("site_url", ""))
        self.posters = Posters(data, self.views, Path(self.theme), self.cache(), self.urls)
        self.posted = self.posters.posted()
        site = data.settings
        self.context.update(  # what every template may use; each page adds its own context
            FORMAT=FORMAT,
            Status=Status,
            RATES=DEFINITIONS,
            CITY=CITY,
            AS_OF=data.as_of,
            CITY_NAME=site["city"],
            BUREAU=site["bureau"],
            HOTLINE=str(site["hotline"]),
            CAMPAIGN=site.get("campaign", {}),
            CANONICAL_SITEURL=self.urls.site_url,
            districts=data.districts,
            page_url=self.urls.page,
        )

    def validated(self):
        """The data, validated and held against the published seals; BuildError when it
        must not be built at all (see validate.folder.blocking), or --strict and not clean."""
        s = self.settings
        self.data = data = validate_folder(
            setting_path(s, "LIANGSHAI_DATA"), s["LIANGSHAI_STRICT"], cache=self.cache()
        )
        s["LIANGSHAI_RESULT"] = data  # for build.py, which reports on it after the run
        check_witness(data, self.seal_witness())
        self.check_cases(data)
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

    def seal_witness(self) -> Path | None:
        """The published site whose seal log the data must still hold: the setting, else the
        output folder this build replaces."""
        if self.settings["LIANGSHAI_SEAL_WITNESS"]:
            witness = setting_path(self.settings, "LIANGSHAI_SEAL_WITNESS")
            if not witness.is_dir():  # asked for, and gone: checking nothing would lie
                raise CannotRun(f"找不到封存见证 LIANGSHAI_SEAL_WITNESS：{witness}")
            return witness
        reuse = self.settings.get("LIANGSHAI_REUSE")
        return reuse.previous if reuse is not None else None

    def check_cases(self, data) -> None:
        """A 典型案例 link must name an article of the column; one that does not is an
        error, and the link is not made (the rectification itself is still shown)."""
        slugs = {a.slug for a in self.context.get("articles", [])}
        for r in data.ledgers.get("rectifications", []):
            if r["case"] and r["case"] not in slugs:
                data.report.add(
                    "unknown-case", file=r.file, row=r.row, field="case", value=r["case"]
                )
                r.values["case"] = None

    def generate_output(self, writer):
        s = self.settings
        relative = s["RELATIVE_URLS"]
        out = Output(writer, self.output_path, self.get_template, self.context, self.urls, relative)
        shaping = {
            k: v
            for k, v in sorted(s.items())
            if k in KEY_SETTINGS or (k.startswith("LIANGSHAI_") and k.endswith(URL_SETTINGS))
        }
        key = unit_key(code_digest(Path(self.theme)), shaping, self.data.settings, self.data.as_of)
        units = Units(
            key, self.data, self.metrics, self.urls, self.posted, s.get("LIANGSHAI_REUSE")
        )
        store = opendata.FragmentStore(self.cache() / "opendata.sqlite")
        try:
            jobs, keys = self.jobs(out, units, store)
            in_parallel(
                s["LIANGSHAI_WORKERS"],
                jobs,
                lambda kv: kv and store.put(*kv),
                self.cache(),
                s["LIANGSHAI_PARALLEL_LEAST"],
            )
            store.keep_only(keys)
            kept = s["LIANGSHAI_REUSE"].kept if s.get("LIANGSHAI_REUSE") else []
            sitefiles.sitemap(out, kept, self.redirects())  # last: it lists what was written
        except WorkerFailed:
            raise BuildError("生成页面时出错（详见上方日志）") from None
        finally:
            store.commit()
        folder = Path(self.output_path) / self.urls.page("data")
        opendata.write_city_files(self.data, store.each(keys), folder)

    def jobs(self, out: Output, units: Units, store) -> tuple[list, list[str]]:
        """Every page and file but the city-wide data files, as jobs for in_parallel (the
        slowest first), and the fragment keys of the city files. A community, company or
        district whose unit is unchanged since the last build is left out; its files kept."""
        data, page = self.data, out.page
        jobs = [
            partial(sitefiles.blank_templates, out),
            partial(
                page, "home", "", pages.home_page(self.metrics, self.by_district, data.districts)
            ),
            partial(
                page,
                "methods",
                "",
                pages.MethodsPage(self.metrics.quarters[-1], self.metrics.latest()),
            ),
            partial(page, "ledgers", "", pages.LedgersPage(self.ledgers.view())),
            partial(page, "companies", "", pages.CompaniesPage(self.companies)),
            partial(page, "verify", "", pages.verify_page(data.seal_log)),
            partial(self.write_data_page, out),
            partial(self.write_posters, out),
            lambda: out.file("verify.json", opendata.to_json(verification_index(data))),
            lambda: out.file("search.json", opendata.to_json(search_entries(data))),
            partial(sitefiles.seal_log, out, data),
            partial(self.write_column_feed, out),
            partial(self.write_category_redirects, out),
            partial(sitefiles.not_found, out),
            partial(sitefiles.icons, out, self.theme),
            partial(sitefiles.robots, out),
            partial(sitefiles.reference_tables, out, data, self.metrics),
        ]
        for slug, district in data.districts.items():
            views = self.by_district.get(slug, [])
            ledgers = self.ledgers.view({v.community.id for v in views})
            if not units.reused(units.district(district, views, ledgers)):
                context = pages.district_page(self.metrics, district, views, ledgers)
                jobs.append(partial(page, "district", slug, context))
        keys = {}
        for cid, view in self.views.items():
            keys[cid] = key = units.community(view)[0]
            if not units.reused(units.community(view)):
                jobs.append(partial(self.write_community, out, view, key))
            elif not store.has(key):  # kept page, but its fragment was lost with the cache
                store.put(key, self.fragment(view))
        for co in self.companies.values():
            if not units.reused(units.company(co)):
                jobs.append(partial(page, "company", co.code, pages.company_page(co)))
        return jobs, [keys[cid] for cid in sorted(keys)]

    def fragment(self, view) -> opendata.Fragment:
        statements = self.data.statements_of(view.community.id)
        return opendata.Fragment.of(opendata.entries(self.data, self.metrics, statements))

    def write_community(self, out: Output, view, key: str) -> tuple[str, opendata.Fragment]:
        """A community's page, downloads, feed and redirects; its share of the city-wide files
        goes back to be stored under its unit key."""
        c, data = view.community, self.data
        out.page("community", c.id, pages.community_page(view, self.posted))
        base, fragment = self.urls.page("community", c.id), self.fragment(view)
        out.file(f"{base}{c.id}.csv", opendata.items_csv([fragment]))
        facts = opendata.community_facts(data, c)
        out.file(f"{base}{c.id}.json", opendata.statements_json(data, [fragment], community=facts))
        feed = feeds.community_feed(self.env, view, self.urls)
        if feed:
            out.file(f"{base}feed.xml", feed)
        for old in c.former_ids:
            out.redirect(
                self.urls.save_as("community", old), self.urls.page("community", c.id), c.name
            )
        return key, fragment

    def write_posters(self, out: Output) -> None:
        """Link the cached posters into the output, and list them for the bureau."""
        for url, path in self.posted.files.items():
            out.link(path, url)
        out.page(
            "posters", "", pages.posters_page(self.data.districts, self.by_district, self.posted)
        )

    def write_data_page(self, out: Output) -> None:
        dictionary = markdown(data_dictionary().split("\n", 2)[2], extensions=["tables"])
        dictionary = dictionary.replace("<h2", "<h3").replace("</h2>", "</h3>")
        licence = self.data.settings.get("data_license", "")
        out.page("data", "", pages.DataPage(Markup(dictionary), licence))

    def write_column_feed(self, out: Output) -> None:
        index = self.settings["INDEX_URL"]
        feed = feeds.column_feed(
            self.env, self.context, index, self.urls, self.data.settings["bureau"]
        )
        if feed:
            out.file(f"{index}feed.xml", feed)

    def old_categories(self):
        categories = self.context.get("categories", [])
        return sitefiles.old_categories(categories, self.settings["CATEGORY_SAVE_AS"])

    def write_category_redirects(self, out: Output) -> None:
        for save_as, category in self.old_categories():
            out.redirect(save_as, category.url, category.name)

    def redirects(self) -> set[str]:
        """The output paths of redirect pages: former ids, and the first release's category
        addresses."""
        communities = self.data.communities.values()
        paths = {self.urls.save_as("community", old) for c in communities for old in c.former_ids}
        return paths | {old for old, _ in self.old_categories()}
