"""The site-wide files beside the pages: the published seal log, the blank templates, the
open data's reference tables and page, the sitemap, robots.txt, the 404 page and the icon."""

from __future__ import annotations

from pathlib import Path

from markdown import markdown
from markupsafe import Markup
from pelican.utils import slugify

from ..digest import list_files
from ..exports.dictionary import data_dictionary
from ..exports.templates import BLANK
from ..load.seals import HEADS, PUBLISHED
from ..model import Dataset
from . import datapackage, opendata
from .output import Output
from .pages import DataPage


def seal_log(out: Output, data: Dataset) -> None:
    """The seal files as the data holds them, and each one's chain head: what the next
    build (and anyone) checks the data's seal log against."""
    log = data.seal_log
    for quarter, lines in log.lines.items():
        out.file(f"{PUBLISHED}/{quarter}.jsonl", "".join(f"{x}\n" for x in lines))
    out.file(HEADS, opendata.to_json(log.heads()))


def blank_templates(out: Output) -> None:
    """The blank Excel and CSV templates, as made by `invoke docs` and shipped with the
    plugin (making them takes openpyxl, a third of a second just to import)."""
    for path in sorted(BLANK.iterdir()):
        out.copy(path, f"{out.urls.page('data')}templates/{path.name}")


def reference_tables(out: Output, data: Dataset) -> None:
    """The registry, districts, ledgers and the Data Package descriptor."""
    for name, text in datapackage.tables(data).items():
        out.file(f"{out.urls.page('data')}{name}", text)


def robots(out: Output) -> None:
    out.file("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {out.urls.site_url}/sitemap.xml\n")


def sitemap(out: Output, kept: list[str], redirects: set[str]) -> None:
    """Every public page that this build wrote or kept: each index.html of the output
    but redirects and the 404 page."""
    pages = {f for f in list_files(Path(out.path)) + kept if f.endswith("index.html")}
    urls = sorted(f"{out.urls.site_url}/{f.removesuffix('index.html')}" for f in pages - redirects)
    body = "".join(f"<url><loc>{u}</loc></url>\n" for u in urls)
    out.file(
        "sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}</urlset>\n",
    )


def not_found(out: Output) -> None:
    """404.html at the root, for the web server to serve for any missing address: with
    absolute links, so that it works at any depth."""
    template = out.get_template("404")
    out.file("404.html", template.render({**out.context, "SITEURL": out.urls.site_url}))


def icons(out: Output, theme: Path) -> None:
    """favicon.ico at the root, where browsers ask for it whatever the page says."""
    out.copy(Path(theme) / "static" / "favicon.ico", "favicon.ico")


def old_categories(categories, category_save_as: str) -> list[tuple[str, str, str]]:
    """(the first release's output path, the category's URL, its name) for each category
    whose slug changed: the first release slugified names without substitutions
    ("dian xing an li")."""
    out = []
    for category, _ in categories:
        old = slugify(category.name, regex_subs=())
        if old != category.slug:
            out.append((category_save_as.format(slug=old), category.url, category.name))
    return out


def data_page(out: Output, data: Dataset) -> None:
    """/data/: the files, the data dictionary and the licence."""
    dictionary = markdown(data_dictionary().split("\n", 2)[2], extensions=["tables"])
    dictionary = dictionary.replace("<h2", "<h3").replace("</h2>", "</h3>")
    licence = data.settings.get("data_license", "")
    out.page("data", "", DataPage(Markup(dictionary), licence))
