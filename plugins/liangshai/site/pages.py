"""Page contexts: what each template is given, one small dataclass per page kind.

A template sees the fields of its page's context as variables (plus the site-wide ones of
`Site`), and nothing else: no generator, no data set to reach into. Each is built here from
the view models, metrics and URLs, so what a page shows can be tested without rendering it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from markupsafe import Markup

from ..assess.ledgers import LedgerView
from ..assess.metrics import CITY, DEFINITIONS, Metrics, Rate
from ..assess.status import Status
from ..assess.watch import Candidate, contract_counts, counts, reason_labels
from ..load.inputs import FOOTER_FIELDS
from ..load.seals import HEADS, PUBLISHED, SealLog
from ..model import Dataset, District
from ..quarter import Quarter
from ..schema import FORMAT
from ..validate.completeness import RULES as COMPLETENESS
from . import charts
from .posters import SCREEN_NAMES, SIZE_NAMES, Posted
from .urls import CODES, Urls
from .views import SUMMED, CommunityView, CompanyView, ListedCommunity, district_list


def variables(context) -> dict:
    """A context's fields as template variables (not deep-copied, unlike asdict)."""
    return {f.name: getattr(context, f.name) for f in fields(context)}


@dataclass(frozen=True)
class CommunityPage:
    """A community: its quarters, the trend chart, ledgers, downloads and posters."""

    view: CommunityView
    c: object  # the Community, as templates have always called it
    district: District
    trend: Markup | None  # the SVG chart, when two or more quarters have figures
    posters: list[tuple[str, str]]  # (size name, URL)
    screens: list[tuple[str, str]]  # (name, URL) of the lift-screen images
    card: str | None  # the share card (og:image, WeChat's thumbnail), site-relative


def community_page(view: CommunityView, posted: Posted) -> CommunityPage:
    shown = view.with_figures
    rows = [(f"{qv.quarter.year % 100}Q{qv.quarter.q}", qv.statement.totals) for qv in shown]
    trend = charts.trend_svg(rows[::-1]) if len(shown) > 1 else None
    cid = view.community.id
    screens, card = posted.of(cid, SCREEN_NAMES), posted.communities.get((cid, "card"))
    return CommunityPage(view, view.community, view.district, trend, posted.of(cid), screens, card)


@dataclass(frozen=True)
class DistrictRates:
    district: District
    communities: int
    latest: dict[str, Rate]


@dataclass(frozen=True)
class HomePage:
    """The home page: the city's latest rates, and each district's."""

    quarter: Quarter
    city: dict[str, Rate]
    district_rates: list[DistrictRates]


def home_page(metrics: Metrics, by_district: dict[str, list], data: Dataset) -> HomePage:
    rows = [
        DistrictRates(d, len(by_district.get(slug, [])), metrics.latest(slug))
        for slug, d in data.districts.items()
    ]
    return HomePage(metrics.quarters[-1], metrics.latest(), rows)


@dataclass(frozen=True)
class MethodsPage:
    """How every figure is defined, with the city's latest as an example; the completeness
    checks' thresholds (metrics.yaml, `completeness`)."""

    quarter: Quarter
    city: dict[str, Rate]
    complete: dict


def methods_page(metrics: Metrics) -> MethodsPage:
    rules = dict(COMPLETENESS)
    rules["assets"] = [
        {**rule, "label": FORMAT.category("income", rule["category"]).short}
        for rule in COMPLETENESS["assets"]
    ]
    return MethodsPage(metrics.quarters[-1], metrics.latest(), rules)


@dataclass(frozen=True)
class DistrictPage:
    """A district: its rates now and by quarter, its communities, its ledgers."""

    district: District
    listed: list[ListedCommunity]
    ledgers: LedgerView
    quarter: Quarter
    latest: dict[str, Rate]
    history: list[tuple[Quarter, dict[str, Rate]]]  # newest first
    watch: dict[str, int]  # the latest quarter's 通报 candidates by reason (counts())
    contracts: tuple[int, int]  # contracts registered, of which not filed (报备)


def district_page(
    data: Dataset, metrics: Metrics, district: District, views: list, ledgers: LedgerView, latest
) -> DistrictPage:
    """`latest`: the latest quarter and its 通报 candidates (assess.watch)."""
    history = [(q, metrics.get(district.slug, q)) for q in reversed(metrics.quarters)]
    quarter, found = latest
    watched = counts([x for x in found if x.community.district == district.slug])
    rates = metrics.latest(district.slug)
    filed = contract_counts(data, [v.community for v in views])
    listed = district_list(views)
    return DistrictPage(district, listed, ledgers, quarter, rates, history, watched, filed)


@dataclass(frozen=True)
class WatchGroup:
    district: District
    candidates: list[Candidate]
    counts: dict[str, int]


@dataclass(frozen=True)
class WatchPage:
    """The bureau's list of 通报 candidates for one quarter, by district and company."""

    quarter: Quarter
    quarters: list[Quarter]  # every quarter with a list, newest first
    reasons: dict[str, str]  # count key -> its words
    counts: dict[str, int]  # city-wide
    groups: list[WatchGroup]


def site_pages(site, data: Dataset, metrics: Metrics) -> list[tuple[str, str, object]]:
    """(kind, key, context) of the pages there is one of (or one per quarter), from what the
    generator `site` assembled: its ledgers, companies, views by district, URLs, context."""
    return [
        ("home", "", home_page(metrics, site.by_district, data)),
        ("methods", "", methods_page(metrics)),
        ("ledgers", "", LedgersPage(site.ledgers.view())),
        ("companies", "", CompaniesPage(site.companies)),
        ("verify", "", verify_page(data.seal_log)),
        ("sitemap", "", sitemap_page(data, metrics, site.urls, site.context)),
        *(
            ("watch", str(q), watch_page(data, metrics, q, found))
            for q, found in site.candidates.items()
        ),
    ]


def watch_page(data: Dataset, metrics: Metrics, quarter: Quarter, found: list) -> WatchPage:
    """`found`: the quarter's candidates (assess.watch), made once for the whole build."""
    by_district: dict[str, list[Candidate]] = {}
    for x in found:
        by_district.setdefault(x.community.district, []).append(x)
    groups = [
        WatchGroup(d, by_district[slug], counts(by_district[slug]))
        for slug, d in data.districts.items()
        if slug in by_district
    ]
    quarters = list(reversed(metrics.quarters))
    return WatchPage(quarter, quarters, reason_labels(), counts(found), groups)


@dataclass(frozen=True)
class CompanyPage:
    company: CompanyView
    listed: list[ListedCommunity]
    quarter: Quarter  # the latest quarter
    watch: dict[str, int]  # its 通报 candidates among the company's communities
    contracts: tuple[int, int]  # contracts registered, of which not filed (报备)


def company_page(data: Dataset, company: CompanyView, latest: tuple) -> CompanyPage:
    """`latest`: the latest quarter and its 通报 candidates (assess.watch)."""
    quarter, found = latest
    mine = {v.community.id for v in company.views}
    watched = counts([x for x in found if x.community.id in mine])
    filed = contract_counts(data, [v.community for v in company.views])
    return CompanyPage(company, district_list(company.views), quarter, watched, filed)


@dataclass(frozen=True)
class CompaniesPage:
    companies: dict[str, CompanyView]


@dataclass(frozen=True)
class LedgersPage:
    ledgers: LedgerView


@dataclass(frozen=True)
class DistrictPosters:
    district: District
    prints: list[tuple[str, str]]  # (what, URL): the district's print files, its screen video
    rows: list[tuple[object, list[str | None]]]  # (community, URL of each size or None)


@dataclass(frozen=True)
class PostersPage:
    """Every poster made, by district, with each district's print files."""

    sizes: list[str]  # size names, the table's columns
    groups: list[DistrictPosters]


def posters_page(districts: dict, by_district: dict[str, list], posted: Posted) -> PostersPage:
    groups = []
    for slug, d in districts.items():
        prints = [
            (f"{size.upper()} 汇总打印文件", url)
            for size in SIZE_NAMES
            if (url := posted.districts.get((slug, size)))
        ]
        if video := posted.districts.get((slug, "video")):
            prints.append(("电梯屏视频（MP4）", video))
        made = (*SIZE_NAMES, *SCREEN_NAMES)
        rows = [
            (v.community, [posted.communities.get((v.community.id, s)) for s in made])
            for v in by_district.get(slug, [])
        ]
        groups.append(DistrictPosters(d, prints, rows))
    return PostersPage([*SIZE_NAMES.values(), *SCREEN_NAMES.values()], groups)


@dataclass(frozen=True)
class SealFile:
    quarter: str
    lines: int
    head: str
    url: str  # site-relative


@dataclass(frozen=True)
class VerifyPage:
    """How to check a poster's code, and the published seal log's chain heads."""

    seal_files: list[SealFile]
    heads_url: str  # the chain heads, for machines
    codes_url: str = f"{CODES}/{{prefix}}.json"  # the lookup, by a code's first two digits


def verify_page(log: SealLog) -> VerifyPage:
    heads = log.heads()["files"]
    return VerifyPage(
        [SealFile(q, h["lines"], h["head"], f"{PUBLISHED}/{q}.jsonl") for q, h in heads.items()],
        HEADS,
    )


@dataclass(frozen=True)
class SitemapPage:
    """The HTML site map a government site must have: every kind of page, by section, as
    (name, site-relative URL)."""

    sections: list[tuple[str, list[tuple[str, str]]]]


def sitemap_page(data: Dataset, metrics: Metrics, urls: Urls, context: dict) -> SitemapPage:
    kinds = [
        ("home", "首页"),
        ("methods", "统计口径"),
        ("data", "开放数据"),
        ("ledgers", "全市台账"),
    ]
    kinds += [("companies", FORMAT.label("communities.company")), ("posters", "公示牌下载")]
    kinds += [("verify", "核对公示牌")]
    main = [(name, urls.page(kind)) for kind, name in kinds]
    main += [(p.title, p.url) for p in context.get("pages", [])]
    column = [("点题整治", urls.column())]
    column += [(c.name, c.url) for c, _ in context.get("categories", [])]
    districts = [(d.full_name, urls.page("district", slug)) for slug, d in data.districts.items()]
    watch = [(q.label, urls.page("watch", str(q))) for q in reversed(metrics.quarters)]
    sections = [
        ("主要栏目", main),
        ("点题整治专栏", column),
        (FORMAT.label("tables.districts"), districts),
    ]
    return SitemapPage([*sections, ("通报候选名单", watch)])


@dataclass(frozen=True)
class DataPage:
    """The open data: files, the data dictionary (HTML) and the licence."""

    dictionary: Markup
    licence: str


MIIT_FILING = "https://beian.miit.gov.cn/"  # where an ICP number is looked up (a link only)
POLICE_FILING = "https://beian.mps.gov.cn/#/query/webSearch?code="


@dataclass(frozen=True)
class FooterPart:
    label: str | None
    text: str
    href: str | None = None


def footer_lines(footer: dict) -> list[list[FooterPart]]:
    """The government footer (site.yaml `footer`) as lines of parts, the absent ones left out:
    who runs the site, its filing numbers (linked to where they are looked up), contact."""
    words = {key: label for key, (label, _) in FOOTER_FIELDS.items()}
    lines = [
        [
            FooterPart(words[k], footer[k])
            for k in ("sponsor", "organizer", "site_code")
            if k in footer
        ],
        [
            FooterPart(None, footer["icp"], MIIT_FILING) if "icp" in footer else None,
            FooterPart(None, footer["police"], POLICE_FILING + re.sub(r"\D", "", footer["police"]))
            if "police" in footer
            else None,
        ],
        [
            FooterPart(words["contact"], footer["contact"]) if "contact" in footer else None,
            FooterPart(None, words["report_error"], footer["report_error"])
            if "report_error" in footer
            else None,
        ],
    ]
    return [[p for p in line if p] for line in lines if any(line)]


def site_context(data: Dataset, urls: Urls) -> dict:
    """What every template may use, beside its page's context: the format and its labels
    (LABELS; SUMMED, the sections a statement's sums are shown for), the rates' definitions,
    the city's names and numbers, the districts, and `page_url`, the builder of every link
    to a page of the plugin's."""
    site = data.settings
    return {
        "FORMAT": FORMAT,
        "Status": Status,
        "RATES": DEFINITIONS,
        "CITY": CITY,
        "AS_OF": data.as_of,
        "CITY_NAME": site["city"],
        "BUREAU": site["bureau"],
        "HOTLINE": str(site["hotline"]),
        "CAMPAIGN": site.get("campaign", {}),
        "CANONICAL_SITEURL": urls.site_url,
        "districts": data.districts,
        "page_url": urls.page,
        "LABELS": FORMAT.label_names,
        "SUMMED": SUMMED,
        "WATCH_REASONS": reason_labels(),
        "FOOTER": footer_lines(site.get("footer", {})),
    }
