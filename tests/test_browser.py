"""The sample site in headless Chromium (Debian's package), driven by Playwright.

Run against the built sample served on localhost. Without Chromium these tests are skipped
locally, but fail in CI, where .ci/run installs it.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 667}

if not os.environ.get("CI"):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (run `invoke setup`)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api")
from playwright.sync_api import sync_playwright  # noqa: E402


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serving(site):
    """A site served on localhost (fetch() needs http, not file://): its address."""
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server(sample_site):
    with serving(sample_site) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _no_other_hosts(page, base):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    return lambda: [u for u in requests if not u.startswith(base) and not u.startswith("data:")]


def test_find_a_community_on_a_phone(browser, server, sample_copy):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    foreign = _no_other_hosts(page, server)
    page.goto(server + "/")
    page.fill("#q", "鼓楼")
    page.wait_for_selector("#results li")
    results = page.locator("#results li a")
    assert results.count() >= 3
    name = results.first.inner_text()
    results.first.click()
    page.wait_for_load_state()
    assert "/c/" in page.url
    assert page.locator("h1").inner_text() == name
    assert page.locator("table.unified").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal scroll: {width}px"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    assert foreign() == []
    context.close()


def test_search_by_two_characters_of_an_address(browser, server):
    page = browser.new_page(viewport=PHONE)
    page.goto(server + "/")
    page.fill("#q", "花园")
    page.wait_for_selector("#results li")
    assert all("花园" in t for t in page.locator("#results li").all_inner_texts())
    page.fill("#q", "不存在的小区名")
    page.wait_for_selector("#results p")
    assert "没有找到" in page.inner_text("#results")
    page.close()


def test_community_page_without_javascript(browser, server, sample_site):
    cid = next(p.name for p in sorted((sample_site / "c").iterdir()) if (p / "feed.xml").exists())
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/c/{cid}/")
    table = page.locator("table.unified").first
    assert table.is_visible()
    assert "收入合计" in table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_tables_sort_and_filter(browser, server):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server + "/")

    def column(n):
        cells = f".districts-table tbody td:nth-child({n})"
        return [
            float(v)
            for v in page.eval_on_selector_all(cells, "cells => cells.map(c => c.dataset.sort)")
        ]

    # a rate that varies by district (which one depends on the sample)
    n = next(n for n in range(2, 9) if len(set(column(n))) > 2)
    button = f".districts-table thead th:nth-child({n}) button"
    page.click(button)
    assert column(n) == sorted(column(n))
    page.click(button)
    assert column(n) == sorted(column(n), reverse=True)

    page.goto(server + "/d/gulou/")
    rows = page.locator("#communities tbody tr")
    name = rows.first.locator("th a").inner_text()
    page.fill("#filter", name)
    visible = page.locator("#communities tbody tr:visible")
    assert 1 <= visible.count() < rows.count() and name in visible.first.inner_text()
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/c/{cid}/",
        "/d/gulou/",
        "/column/",
        "/methods/",
        "/data/",
        "/ledgers/",
        "/company/",
        "/company/{company}/",
        "/verify/",
        "/posters/",
        "/guide/",
    ],
)
def test_accessibility(browser, server, sample_site, path):
    from axe_playwright_python.sync_playwright import Axe

    cid = next(p.name for p in sorted((sample_site / "c").iterdir()) if (p / "feed.xml").exists())
    company = next(p.name for p in sorted((sample_site / "company").iterdir()) if p.is_dir())
    page = browser.new_page(viewport=PHONE)
    page.goto(server + path.format(cid=cid, company=company))
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    page.close()
    assert bad == []


# Every page type, at the smallest phone, a common phone, and 200 % zoom of a 1280 px window
# (640 CSS px at twice the pixel density): what an elderly owner might have in hand.
PAGE_TYPES = {
    "home": "",
    "community with red flags": "c/{flags}/",
    "community with a correction": "c/{corrected}/",
    "community 未公示": "c/{missing}/",
    "district": "d/gulou/",
    "companies": "company/",
    "company": "company/{company}/",
    "column": "column/",
    "article": "column/case-costs-over-cap/",
    "category": "column/category/cases/",
    "data": "data/",
    "ledgers": "ledgers/",
    "methods": "methods/",
    "posters": "posters/",
    "verify": "verify/",
    "watch": "watch/{quarter}/",
    "sitemap": "sitemap/",
    "guide": "guide/",
    "404": "404.html",
}


@pytest.fixture(scope="module")
def page_types(sample_copy, sample_site):
    """Every page type at an address of the sample (its planted cases name the communities)."""
    import csv

    with (sample_copy / "scenarios.csv").open(encoding="utf-8") as f:
        planted = list(csv.DictReader(f))
    latest = max(p.name for p in (sample_site / "watch").iterdir())

    def first(scenario):
        return next(r["community_id"] for r in planted if r["scenario"] == scenario)

    company = next(p.name for p in sorted((sample_site / "company").iterdir()) if p.is_dir())
    names = dict(
        flags=first("no_account"),
        corrected=first("corrected"),
        missing=next(
            (
                r["community_id"]
                for r in planted
                if r["scenario"] == "missing" and r["quarter"] == latest
            ),
            first("missing"),
        ),
        company=company,
        quarter=latest,
    )
    paths = {name: path.format(**names) for name, path in PAGE_TYPES.items()}
    for name, path in paths.items():
        assert (sample_site / (path or "index.html")).exists() or (
            sample_site / path / "index.html"
        ).exists(), name
    return paths


VIEWPORTS = {"320 px": (320, 1), "375 px": (375, 1), "200 % zoom": (640, 2)}
MEASURE = """({least, target}) => {
  const width = document.documentElement.clientWidth, small = [], targets = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (!text || !el.getClientRects().length) continue;
    if (el.closest('details:not([open])') && !el.closest('summary')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.clipPath.startsWith('inset(50%')) continue;
    const size = el instanceof SVGElement
      ? parseFloat(cs.fontSize) * el.getScreenCTM().a : parseFloat(cs.fontSize);
    if (size < least) small.push(`${el.tagName} ${size.toFixed(1)}px “${text.slice(0, 12)}”`);
  }
  for (const c of document.querySelectorAll('button, input, select, .button, nav a')) {
    const r = c.getBoundingClientRect();
    if (r.width && (r.height < target || r.width < target))
      targets.push(`${c.tagName} ${r.width}×${r.height}`);
  }
  return {scroll: document.documentElement.scrollWidth - width, small, targets};
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_type_reads_on_small_screens_and_at_200_percent(
    server, browser, viewport, page_types
):
    width, scale = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": 800}, device_scale_factor=scale)
    failures = []
    for name, path in page_types.items():
        page.goto(f"{server}/{path}")
        page.wait_for_load_state("load")
        found = page.evaluate(MEASURE, {"least": 15.95, "target": 44})
        if found["scroll"] > 0:
            failures.append(f"{name}: scrolls sideways by {found['scroll']} px")
        if found["small"]:
            failures.append(f"{name}: text under 16 px: {found['small'][:3]}")
        if found["targets"]:
            failures.append(f"{name}: touch targets under 44 px: {found['targets'][:3]}")
    page.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_receipt_reads_on_a_phone(tmp_path, browser, viewport):
    """A company opens its receipt (回执) on a phone: the worst case, thirty long problems."""
    from test_intake import worst_receipt

    from conftest import ROOT
    from liangshai.intake.receipts import write_receipt

    html, _ = write_receipt(worst_receipt(), ROOT / "theme", tmp_path / "回执")
    width, scale = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": 800}, device_scale_factor=scale)
    page.goto(html.as_uri())
    found = page.evaluate(MEASURE, {"least": 15.95, "target": 0})
    page.close()
    assert found["scroll"] <= 0 and not found["small"], found


def test_a_data_error_page_reads_on_the_smallest_phone(folder, tmp_path, browser):
    from conftest import build

    folder.edit(
        "statements/2024Q2/statements.csv",
        lambda rows: rows[0].update(closing_balance="99999.00", account_balance="99999.00"),
    )
    assert build(folder.root, tmp_path / "site") == 0
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto((tmp_path / "site" / "c" / "rongyin-huayuan" / "index.html").as_uri())
    page.click("text=给编制单位：要改正的地方")  # open the fold: its text must read too
    found = page.evaluate(MEASURE, {"least": 15.95, "target": 44})
    page.close()
    assert found["scroll"] <= 0 and not found["small"] and not found["targets"], found


def test_a_verification_code_on_a_phone(folder, tmp_path, browser, monkeypatch):
    """An owner types the code from the lift poster: a code of one statement leads to it; a
    code two statements share lists both (typed in full-width characters, as a Chinese input
    method gives them), so that the owner of either finds their own; a
    code nobody printed is said to be unknown. Only the lookup file of the code's first two
    digits is fetched (a few KB), never the whole verify.json."""
    from conftest import build, share_a_code
    from liangshai.quarter import Quarter

    shared = share_a_code(folder, monkeypatch)
    site = tmp_path / "site"
    assert build(folder.root, site) == 0
    alone = folder.validate().statement("minjiang-xincun", Quarter(2024, 1)).verification_code
    page = browser.new_page(viewport=PHONE)
    with serving(site) as address:
        foreign = _no_other_hosts(page, address)
        page.goto(address + "/verify/")
        results = page.locator("#verify-result p")
        page.fill("#code", alone.lower().replace("-", ""))  # as typed in a hurry
        page.wait_for_selector("#verify-result a")
        assert results.count() == 1 and results.first.inner_text().startswith("核验码有效")
        assert (
            page.locator("#verify-result a")
            .get_attribute("href")
            .endswith("/c/minjiang-xincun/#q-2024Q1")
        )
        wide = shared.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # a Chinese IME's
        page.fill("#code", wide)
        page.wait_for_function("document.querySelectorAll('#verify-result a').length === 2")
        assert "同时属于 2 份公示表" in results.first.inner_text()
        links = page.locator("#verify-result a")
        assert [links.nth(k).inner_text() for k in range(2)] == [
            "minjiang-xincun 2024Q2",
            "rongyin-huayuan 2024Q1",
        ]
        page.fill("#code", "0000-0000")
        page.wait_for_selector("text=没有找到核验码 0000-0000")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] and foreign() == []
        fetched = page.evaluate(
            "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
        )
        lookups = sorted(u for u in fetched if u.endswith(".json"))
        prefixes = {alone[:2], shared[:2], "00"}
        assert lookups == sorted(f"/verify/codes/{p}.json" for p in prefixes)
    page.close()


# 长辈模式: what the MIIT 2021 rules and WeChat's care mode ask for, on every page type.
LARGE = {"least": 23.95, "target": 60}
LINE_HEIGHT = """() => [...document.querySelectorAll('main p, main li, main td')]
  .filter(el => el.getClientRects().length)
  .map(el => { const cs = getComputedStyle(el);
               return parseFloat(cs.lineHeight) / parseFloat(cs.fontSize); })
  .filter(ratio => ratio < 1.6).length"""


@pytest.mark.parametrize(
    "javascript, viewport",
    [(True, "375 px"), (False, "375 px"), (False, "320 px"), (False, "200 % zoom")],
    ids=["remembered", "without JavaScript", "320 px", "200 % zoom"],
)
def test_elders_mode_on_every_page_type(server, browser, page_types, javascript, viewport):
    from axe_playwright_python.sync_playwright import Axe

    width, scale = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        device_scale_factor=scale,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    if javascript:  # switched on once, on the home page: every page after it is large
        page.goto(f"{server}/")
        page.click(".to-large")
        assert page.evaluate("localStorage.getItem('liangshai-large')") == "1"
        assert page.locator(".read-aloud").is_visible()  # Chromium has speech synthesis
    failures = []
    for name, path in page_types.items():
        page.goto(f"{server}/{path}" + ("" if javascript else "#large"))
        page.wait_for_load_state("load")
        found = page.evaluate(MEASURE, LARGE)
        if found["scroll"] > 0:
            failures.append(f"{name}: scrolls sideways by {found['scroll']} px")
        if found["small"]:
            failures.append(f"{name}: text under 24 px: {found['small'][:3]}")
        if found["targets"] and name != "404":
            failures.append(f"{name}: touch targets under 60 px: {found['targets'][:3]}")
        if page.evaluate(LINE_HEIGHT):
            failures.append(f"{name}: line height under 1.6")
        if javascript and name != "404":
            contrast = Axe().run(page, options={"runOnly": ["color-contrast-enhanced"]})
            bad = contrast.response["violations"]
            if bad:
                failures.append(f"{name}: contrast under 7:1: {bad[0]['nodes'][0]['html'][:80]}")
        if not javascript:
            assert page.locator(".read-aloud").count() == 0  # no speech without JavaScript
    context.close()
    assert not failures, "\n".join(failures)
