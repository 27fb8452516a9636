"""The Pelican generator: validate in generate_context, write every page in generate_output.

Pages go through Pelican's writer (so overwrite protection and signals keep working); data
files (CSV, JSON, Atom, sitemap) are written directly. Output paths come from settings
(LIANGSHAI_*_SAVE_AS) so that URLs are defined in one place.
"""

from __future__ import annotations

import os
import shutil
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from markdown import markdown
from pelican.generators import Generator
from pelican.utils import slugify

from ..assess.ledgers import LedgerIndex
from ..assess.metrics import CITY, DEFINITIONS, compute
from ..assess.status import Status
from ..digest import code_digest, list_files, unit_key
from ..exports.dictionary import data_dictionary
from ..exports.templates import BLANK
from ..load.seals import HEADS, PUBLISHED
from ..parallel import WorkerFailed, in_parallel
from ..problems import CannotRun
from ..schema import FORMAT
from ..settings import setting_path
from ..validate.folder import gc_paused, validate_folder
from ..validate.seals import check_witness
from . import charts, datapackage, opendata
from .posters import SIZE_NAMES, Posters, link
from .views import all_views, company_views, district_list, search_entries, verification_index

REGISTRY_FILES = ("communities.csv", "districts.yaml")


class BuildError(Exception):
    """The site cannot be built from this data (the registry is broken, or --strict failed)."""


# Settings that shape the pages (paths of inputs and outputs do not).
KEY_SETTINGS = ("SITENAME", "SITEURL", "RELATIVE_URLS", "THEME_STATIC_DIR", "INDEX_URL")


class LiangshaiGenerator(Generator):
    def generate_context(self):
        s = self.settings
        data = validate_folder(
            setting_path(s, "LIANGSHAI_DATA"),
            strict=s["LIANGSHAI_STRICT"],
            cache=setting_path(s, "LIANGSHAI_CACHE"),
        )
        s["LIANGSHAI_RESULT"] = data  # for build.py, which reports on it after the run
        check_witness(data, self.seal_witness())
        self.check_cases(data)
        # A site without a sound registry, or one that would quietly publish changed sealed
        # figures, is not built at all; other errors show as 数据有误 on their pages.
        fatal = [
            p
            for p in data.report.errors
            if p.check.fatal or (p.file or "").endswith(REGISTRY_FILES)
        ]
        if fatal or (s["LIANGSHAI_STRICT"] and not data.report.ok):
            named = "；".join(p.message for p in fatal[:5])
            raise BuildError(
                f"数据有 {len(data.report.errors)} 个错误，未生成网站"
                + (f"：{named}" if named else "（运行 invoke validate 查看详情）")
            )
        # Like the validated data, the views are many small objects that live until the end
        # of the build: made with the cyclic collector paused, then kept out of its way.
        with gc_paused():
            self.data, self.metrics = data, compute(data)
            self.ledgers = LedgerIndex(data)
            self.by_community: dict[str, list] = {}  # every statement, active quarter or not
            for (cid, _), statement in data.statements.items():
                self.by_community.setdefault(cid, []).append(statement)
            for statements in self.by_community.values():
                statements.sort(key=lambda s: s.quarter)
            self.views = all_views(data, self.metrics, self.ledgers)
            self.by_district: dict[str, list] = {}  # the views of each district, in id order
            for view in self.views.values():
                self.by_district.setdefault(view.community.district, []).append(view)
            self.companies = company_views(self.views, self.ledgers)
        self.posters = Posters(
            data, self.views, Path(self.theme), self.cache_folder(), s["LIANGSHAI_COMMUNITY_URL"]
        )
        self.poster_jobs, self.poster_files = self.posters.available()
        site = data.settings
        self.site_url = str(site.get("site_url", "")).rstrip("/")
        self.context.update(
            ls=self,  # templates read data, metrics and views from the generator
            FORMAT=FORMAT,
            Status=Status,
            RATES=DEFINITIONS,
            CITY=CITY,
            AS_OF=data.as_of,
            CITY_NAME=site["city"],
            BUREAU=site["bureau"],
            HOTLINE=str(site["hotline"]),
            CAMPAIGN=site.get("campaign", {}),
            CANONICAL_SITEURL=self.site_url,
            page_url=self.url,  # every link to a page of the plugin's, from the *_URL settings
        )

    def cache_folder(self) -> Path:
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

    # ------------------------------------------------------------------ helpers for templates

    def poster_url(self, community_id: str, size: str) -> str | None:
        """Site-relative URL of a community's poster, if it has been made (invoke posters)."""
        job = self.poster_jobs.get((community_id, size))
        return f"{self.url('posters')}{job.district}/{job.name}" if job else None

    def district_poster_url(self, slug: str, size: str) -> str | None:
        if (slug, size) not in self.poster_files:
            return None
        return f"{self.url('posters')}{slug}/{slug}-all-{size}.pdf"

    def url(self, kind: str, key: str = "") -> str:
        """Site-relative URL of a page, from the *_URL settings (e.g. 'c/rongyin-huayuan/')."""
        return self.settings[f"LIANGSHAI_{kind.upper()}_URL"].format(key=key)

    def district_views(self, slug):
        return self.by_district.get(slug, [])

    def trend(self, view):
        rows = [
            (f"{qv.quarter.year % 100}Q{qv.quarter.q}", qv.statement.totals)
            for qv in reversed(view.with_figures)
        ]
        return charts.trend_svg(rows)

    # ------------------------------------------------------------------ output

    def _write(self, writer, kind, key, template, **kw):
        save_as = self.settings[f"LIANGSHAI_{kind.upper()}_SAVE_AS"].format(key=key)
        writer.write_file(
            save_as,
            self.get_template(template),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            canonical=f"{self.site_url}/{self.url(kind, key)}",
            **kw,
        )

    def _file(self, name: str, text) -> None:
        """Write a data file (UTF-8): text, or an iterable of text pieces (streamed to disk).

        Thousands are written per build, so with few system calls: each folder is made once,
        and an explicit buffer size spares open() its terminal and block-size checks."""
        path = os.path.join(self.output_path, name)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        with open(path, "wb", buffering=1 << 16) as f:
            for piece in [text] if isinstance(text, str) else text:
                f.write(piece.encode("utf-8"))

    def generate_output(self, writer):
        settings = {
            k: v
            for k, v in sorted(self.settings.items())
            if k in KEY_SETTINGS
            or (k.startswith("LIANGSHAI_") and k.endswith("URL"))
            or (k.endswith("_SAVE_AS") and k.startswith("LIANGSHAI_"))
        }
        self.global_key = unit_key(
            code_digest(Path(self.theme)), settings, self.data.settings, self.data.as_of
        )
        self._unit_keys: dict[str, tuple[str, list[str]]] = {}
        self._folders: set[str] = set()  # made by _file already
        store = self.fragments = opendata.FragmentStore(self.cache_folder() / "opendata.sqlite")
        try:
            in_parallel(
                self.settings["LIANGSHAI_WORKERS"],
                self.jobs(writer, store),
                lambda kv: kv and store.put(*kv),
                self.cache_folder(),
                self.settings["LIANGSHAI_PARALLEL_LEAST"],
            )
            store.keep_only(self.fragment_keys)
            self._file("sitemap.xml", self.sitemap())  # last: it lists what was written
            self._file(
                "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {self.site_url}/sitemap.xml\n"
            )
        except WorkerFailed:
            raise BuildError("生成页面时出错（详见上方日志）") from None
        finally:
            store.commit()
        self.write_open_data()

    def jobs(self, writer, store: opendata.FragmentStore) -> list:
        """Every page and file but the city-wide data files, as jobs for in_parallel (the
        slowest first). A community, company or district whose unit is unchanged since the
        last build is left out; its files are kept."""
        data, page = self.data, partial(self._write, writer)
        jobs = [
            self.write_templates,
            partial(page, "home", "", "home", page_name="home"),
            partial(page, "methods", "", "methods", page_name="methods"),
            partial(
                page, "ledgers", "", "ledgers", ledgers=self.ledgers.view(), page_name="ledgers"
            ),
            partial(page, "companies", "", "companies", page_name="companies"),
            partial(page, "verify", "", "verify", page_name="verify"),
            partial(self.write_data_page, writer),
            partial(self.write_posters, writer),
            lambda: self._file("verify.json", opendata.to_json(verification_index(data))),
            lambda: self._file("search.json", opendata.to_json(search_entries(data))),
            self.write_seal_log,
            self.write_column_feed,
            partial(self.write_category_redirects, writer),
            self.write_not_found,
            self.write_icons,
            self.write_reference_tables,
        ]
        for slug, district in data.districts.items():
            views = self.district_views(slug)
            ledgers = self.ledgers.view({v.community.id for v in views})
            if not self.reused("district", (district, views, ledgers)):
                jobs.append(
                    partial(
                        page,
                        "district",
                        slug,
                        "district",
                        district=district,
                        listed=district_list(views),
                        ledgers=ledgers,
                        page_name="district",
                    )
                )
        keys = {}
        for cid, view in self.views.items():
            keys[cid] = key = self.unit("community", view)[0]
            if not self.reused("community", view):
                jobs.append(partial(self.write_community, writer, view, key))
            elif not store.has(key):  # kept page, but its fragment was lost with the cache
                store.put(key, self.fragment(view))
        for co in self.companies.values():
            if not self.reused("company", co):
                jobs.append(
                    partial(
                        page,
                        "company",
                        co.code,
                        "company",
                        company=co,
                        listed=district_list(co.views),
                        page_name="company",
                    )
                )
        self.fragment_keys = [keys[cid] for cid in sorted(keys)]
        return jobs

    def write_posters(self, writer):
        """Link the cached posters into the output, and list them for the bureau."""
        out = Path(self.output_path)
        for (cid, size), job in self.poster_jobs.items():
            link(self.posters.cached(job), out / self.poster_url(cid, size))
        for (slug, size), path in self.poster_files.items():
            link(path, out / self.district_poster_url(slug, size))
        self._write(writer, "posters", "", "posters", SIZE_NAMES=SIZE_NAMES, page_name="posters")

    # ------------------------------------------------------------------ incremental builds

    def unit(self, kind: str, item) -> tuple[str, list[str]]:
        """The content key of a community, company or district unit, and its files."""
        if kind == "community":
            view = item
            c = view.community
            if c.id in self._unit_keys:
                return self._unit_keys[c.id]
            base = self.url("community", c.id)
            files = [self.save_as("community", c.id), f"{base}{c.id}.csv", f"{base}{c.id}.json"]
            files += [f"{base}feed.xml"] if view.with_figures else []
            files += [self.save_as("community", old) for old in c.former_ids]
            posters = [self.poster_url(c.id, size) for size in SIZE_NAMES]
            statements = [(s.fingerprint, s.problems) for s in self.by_community.get(c.id, [])]
            key = unit_key(self.global_key, view.digest(), statements, posters)
            self._unit_keys[c.id] = key, files
        elif kind == "company":
            members = [self.unit("community", v)[0] for v in item.views]
            key = unit_key(self.global_key, item.code, item.name, members, item.ledgers)
            files = [self.save_as("company", item.code)]
        else:
            district, views, ledgers = item
            members = [self.unit("community", v)[0] for v in views]
            rates = [self.metrics.get(district.slug, q) for q in self.metrics.quarters]
            key = unit_key(self.global_key, district, members, rates, ledgers)
            files = [self.save_as("district", district.slug)]
        return key, files

    def reused(self, kind: str, item) -> bool:
        """Record the unit for the next build; True if its files are unchanged and kept."""
        reuse = self.settings.get("LIANGSHAI_REUSE")
        if reuse is None:
            return False
        key, files = self.unit(kind, item)
        reuse.record(key, files)
        return reuse.keep(key)

    def fragment(self, view) -> opendata.Fragment:
        statements = self.by_community.get(view.community.id, [])
        return opendata.Fragment.of(opendata.entries(self.data, self.metrics, statements))

    def save_as(self, kind: str, key: str = "") -> str:
        return self.settings[f"LIANGSHAI_{kind.upper()}_SAVE_AS"].format(key=key)

    def write_community(self, writer, view, key: str) -> tuple[str, opendata.Fragment]:
        """A community's page, downloads, feed and redirects; its share of the city-wide files
        goes back to be stored under its unit key."""
        c = view.community
        self._write(
            writer,
            "community",
            c.id,
            "community",
            view=view,
            c=c,
            district=view.district,
            page_name="community",
        )
        base = self.url("community", c.id)
        fragment = self.fragment(view)
        self._file(f"{base}{c.id}.csv", opendata.items_csv([fragment]))
        facts = opendata.community_facts(self.data, c)
        self._file(
            f"{base}{c.id}.json", opendata.statements_json(self.data, [fragment], community=facts)
        )
        feed = self.community_feed(view)
        if feed:
            self._file(f"{base}feed.xml", feed)
        for old in c.former_ids:
            self.write_redirect(
                writer, self.save_as("community", old), self.url("community", c.id), c.name
            )
        return key, fragment

    def community_feed(self, view) -> str | None:
        """Atom feed of a community: one entry per published statement and correction."""
        entries = view.feed_entries
        if not entries:
            return None
        return self.env.get_template("community_feed.xml").render(
            c=view.community,
            author=view.district.bureau,
            link=f"{self.site_url}/{self.url('community', view.community.id)}",
            entries=entries,
            updated=max(e.stamp for e in entries),
        )

    def write_open_data(self) -> None:
        """The city-wide files, joined from every community's stored fragment."""
        folder = Path(self.output_path) / self.url("data")
        opendata.write_city_files(self.data, self.fragments.each(self.fragment_keys), folder)

    def write_column_feed(self) -> None:
        """The column's Atom feed, newest first: absolute links and ids from site_url (a
        reader resolves nothing against the feed's own address), the article's HTML with its
        own address as xml:base, so the relative links in it still lead where they should."""
        articles = sorted(self.context.get("articles", []), key=lambda a: a.date, reverse=True)
        if not articles:
            return
        host = urlsplit(self.site_url).hostname or "localhost"
        first = min(a.date for a in articles)
        feed = self.env.get_template("column_feed.xml").render(
            {
                **self.context,
                "articles": articles,
                "link": f"{self.site_url}/{self.settings['INDEX_URL']}",
                "host": host,
                "tag": f"tag:{host},{first:%Y-%m-%d}:/{self.settings['INDEX_URL']}",
                "updated": max(getattr(a, "modified", a.date) for a in articles).isoformat(),
                "author": self.data.settings["bureau"],
            }
        )
        self._file(f"{self.settings['INDEX_URL']}feed.xml", feed)

    def write_seal_log(self) -> None:
        """The seal files as the data holds them, and each one's chain head: what the next
        build (and anyone) checks the data's seal log against."""
        log = self.data.seal_log
        for quarter, lines in log.lines.items():
            self._file(f"{PUBLISHED}/{quarter}.jsonl", "".join(f"{x}\n" for x in lines))
        self._file(HEADS, opendata.to_json(log.heads()))

    def write_templates(self) -> None:
        """The blank Excel and CSV templates, as made by `invoke docs` and shipped with the
        plugin (making them takes openpyxl, a third of a second just to import)."""
        out = Path(self.output_path) / self.url("data") / "templates"
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(BLANK.iterdir()):
            shutil.copyfile(path, out / path.name)

    def write_data_page(self, writer) -> None:
        dictionary = markdown(data_dictionary().split("\n", 2)[2], extensions=["tables"])
        dictionary = dictionary.replace("<h2", "<h3").replace("</h2>", "</h3>")
        self._write(writer, "data", "", "data", dictionary=dictionary, page_name="data")

    def sitemap(self) -> str:
        """Every public page that this build wrote or kept: each index.html of the output
        but redirects and the 404 page."""
        kept = self.settings["LIANGSHAI_REUSE"].kept if self.settings.get("LIANGSHAI_REUSE") else []
        pages = {f for f in list_files(Path(self.output_path)) + kept if f.endswith("index.html")}
        pages -= self.redirects()
        urls = sorted(f"{self.site_url}/{f.removesuffix('index.html')}" for f in pages)
        body = "".join(f"<url><loc>{u}</loc></url>\n" for u in urls)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</urlset>\n"
        )

    def redirects(self) -> set[str]:
        """The output paths of redirect pages: former ids, and the first release's category
        addresses."""
        paths = {
            self.save_as("community", old)
            for c in self.data.communities.values()
            for old in c.former_ids
        }
        return paths | {old for old, _ in self.old_categories()}

    def old_categories(self) -> list[tuple[str, object]]:
        """(the first release's output path, category) for each category whose slug changed:
        the first release slugified names without substitutions ("dian xing an li")."""
        out = []
        for category, _ in self.context.get("categories", []):
            old = slugify(category.name, regex_subs=())
            if old != category.slug:
                out.append((self.settings["CATEGORY_SAVE_AS"].format(slug=old), category))
        return out

    def write_redirect(self, writer, save_as: str, target_url: str, name: str) -> None:
        writer.write_file(
            save_as,
            self.get_template("redirect"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            target_url=target_url,
            target_name=name,
            page_name="redirect",
        )

    def write_category_redirects(self, writer) -> None:
        for save_as, category in self.old_categories():
            self.write_redirect(writer, save_as, category.url, category.name)

    def write_not_found(self) -> None:
        """404.html at the root, for the web server to serve for any missing address."""
        template = self.get_template("404")
        self._file("404.html", template.render({**self.context, "SITEURL": self.site_url}))

    def write_reference_tables(self) -> None:
        """The registry, districts, ledgers, statuses and the Data Package descriptor."""
        for name, text in datapackage.tables(self.data, self.metrics).items():
            self._file(f"{self.url('data')}{name}", text)

    def write_icons(self) -> None:
        """favicon.ico at the root, where browsers ask for it whatever the page says."""
        shutil.copyfile(
            Path(self.theme) / "static" / "favicon.ico", Path(self.output_path) / "favicon.ico"
        )
