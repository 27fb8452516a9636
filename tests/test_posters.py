"""Posters as a person would check them: print the PDF to PNG, scan the QR code, read it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from conftest import ROOT, build
from liangshai.assess.metrics import compute
from liangshai.assess.status import red_flags
from liangshai.cache import FORGOTTEN
from liangshai.schema import FORMAT
from liangshai.site.posters import SIZES, Posters, make_posters, site_url_problem
from liangshai.site.views import all_views

URL = "https://liangshai.fuzhou.example/c/rongyin-huayuan/"


def posters_for(folder, tmp_path, **kw):
    data = folder.validate()
    views = all_views(data, compute(data))
    counts = make_posters(
        data,
        views,
        ROOT / "theme",
        tmp_path / "cache",
        workers=kw.pop("workers", 1),
        out=lambda *_: None,
        **kw,
    )
    return data, Posters(data, views, ROOT / "theme", tmp_path / "cache"), counts


def pdf_of(posters, community_id, size, draft=False):
    job = next(
        j for j in posters.jobs(draft=draft) if j.community_id == community_id and j.size == size
    )
    return posters.cached(job)


def run(*cmd) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def qr_side_mm(pdf: Path, tmp_path: Path) -> float:
    """The printed side of the poster's QR code itself (without its quiet zone), in mm."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "side"))
    (found,) = zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("side*.png"))))
    a, b = found.position.top_left, found.position.top_right
    return ((b.x - a.x) ** 2 + (b.y - a.y) ** 2) ** 0.5 / 150 * 25.4


def scan(pdf: Path, tmp_path: Path) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page"))
    pages = sorted(tmp_path.glob("page*.png"))
    return [b.text for p in pages for b in zxingcpp.read_barcodes(Image.open(p))]


@pytest.fixture
def made(folder, tmp_path):
    return posters_for(folder, tmp_path, districts={"gulou"})


@pytest.mark.parametrize(
    "size, points",
    [
        ("a3", "841.89 x 1190.55 pts (A3)"),
        ("a4", "595.276 x 841.89 pts (A4)"),
        ("a5", "419.528 x 595.276 pts"),
    ],
)
def test_poster_pdf(made, tmp_path, size, points):
    data, posters, counts = made
    assert counts["posters"] == 3 and counts["rendered"] == 3
    pdf = pdf_of(posters, "rongyin-huayuan", size)
    info = run("pdfinfo", str(pdf))
    assert "Pages:           1" in info and points in info
    assert scan(pdf, tmp_path) == [URL]
    text = run("pdftotext", "-layout", str(pdf), "-")
    statement = data.statement("rongyin-huayuan", data.quarters[-1])
    assert "榕荫花园公共收益公示" in text and "鼓楼区" in text and "鼓东街道" in text
    assert re.search(r"公示期：自 2024年7月20日 起不少于 30 日", text)
    for line, amount in [
        ("收入合计", "12,000.00"),
        ("经营成本合计", "2,100.00"),
        ("使用分配合计", "0.00"),
        ("本期结余", "17,800.00"),
        ("专户余额", "17,800.00"),
    ]:
        assert any(line in row and row.rstrip().endswith(amount) for row in text.splitlines())
    assert statement.verification_code in text and "按时公示" in text
    assert "扫码查看明细" in text and "12345" in text and "gulou@fuzhou.example" in text
    fonts = [row for row in run("pdffonts", str(pdf)).splitlines()[2:] if row.strip()]
    assert any("Liangshai-Print" in row for row in fonts)  # the cut-down CJK face
    assert fonts and all(" yes yes " in row for row in fonts)  # embedded, subset
    # the code is the one image, gray, enlarged pixel for pixel (/Interpolate false)
    (image,) = [row.split() for row in run("pdfimages", "-list", str(pdf)).splitlines()[2:]]
    assert image[5] == "gray" and image[9] == "no", image


def test_community_without_statement_says_not_disclosed(folder, tmp_path):
    folder.edit("statements/2024Q2/statements.csv", lambda rows: rows.pop())
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows.__delitem__(slice(5, None)))
    _, posters, _ = posters_for(folder, tmp_path, districts={"taijiang"}, sizes=("a4",))
    pdf = pdf_of(posters, "minjiang-xincun", "a4")
    text = run("pdftotext", str(pdf), "-").replace("\n", "")
    assert "未公示" in text and "2024年7月31日 前公示" in text
    assert "收入合计" not in text and "0.00" not in text
    assert scan(pdf, tmp_path) == [URL.replace("rongyin-huayuan", "minjiang-xincun")]


def test_every_red_flag_still_fits_on_one_page(folder, tmp_path):
    def worst(rows):
        rows[0].update(
            opening_balance="7000.00", closing_balance="10800.00", account_balance="100.00"
        )

    folder.edit("statements/2024Q2/statements.csv", worst)
    folder.edit(
        "communities.csv",
        lambda rows: rows[0].update(
            account_type="",
            name="榕荫花园二期东区（原福州市鼓楼区福新路机械厂职工宿舍）三号楼" * 3,
            street="鼓东街道办事处福新社区居民委员会（东区网格）",
        ),
    )
    folder.edit(
        "statements/2024Q2/items.csv",
        lambda rows: rows.insert(
            3,
            dict(
                rows[3], section="use", category="repair", description="路灯更换", amount="3000.00"
            ),
        ),
    )
    folder.edit("statements/2024Q2/items.csv", lambda rows: rows[2].update(amount="4600.00"))
    # completeness: a contract short, one with no income, parking spaces without parking fees
    contracts = [
        dict(
            id=k,
            community_id="rongyin-huayuan",
            category=category,
            counterparty="福州某某经营有限公司（合同相对方的全称可能很长）",
            asset=asset,
            start="2023-01-01",
            end="",
            amount="5000.00",
            period="季",
            filed_ref="备〔2023〕1号",
            note="",
        )
        for k, category, asset in (
            ("HT-1", "advertising", "1–12 号楼电梯轿厢及地下车库出入口广告位共 36 个"),
            ("HT-2", "entry_fee", "3 号楼架空层智能快递柜与自助售水机场地"),
        )
    ]
    folder.write_rows("ledgers/contracts.csv", contracts)

    def complete(rows):
        rows[0].update(category="other")  # the parking line: no parking fee left
        rows[1].update(contract="HT-1")

    folder.edit("statements/2024Q2/items.csv", complete)
    registry = folder.rows("communities.csv")
    registry[0].update(households="800", parking_spaces="300", lifts="12")
    folder.write_rows("communities.csv", registry)
    data, posters, _ = posters_for(folder, tmp_path, districts={"gulou"})
    statement = data.statement("rongyin-huayuan", data.quarters[-1])
    assert statement.valid
    flags = red_flags(data.communities["rongyin-huayuan"], statement)
    assert len(flags) == len(FORMAT.flag_checks) == 8
    for size, least in (("a3", 45), ("a4", 45), ("a5", 30)):
        pdf = pdf_of(posters, "rongyin-huayuan", size)
        assert "Pages:           1" in run("pdfinfo", str(pdf)), size
        text = run("pdftotext", str(pdf), "-").replace("\n", "")
        assert all("".join(f.text.split()) in "".join(text.split()) for f in flags), size
        assert scan(pdf, tmp_path / size) == [URL]
        assert qr_side_mm(pdf, tmp_path / f"{size}-side") >= least, size


def test_unchanged_posters_are_not_rendered_again_and_superseded_ones_go(folder, tmp_path):
    """A poster whose figures changed is rendered again, and its old version is removed
    from the cache with the district print files it was in; a version another data folder
    still prints from stays."""
    from conftest import Folder

    cache = tmp_path / "cache" / "posters"
    _, posters, counts = posters_for(folder, tmp_path)
    first = set(os.listdir(cache))
    assert counts["rendered"] == counts["posters"] > 3 and counts["removed"] == 0
    again = posters_for(folder, tmp_path)[2]
    assert again["rendered"] == again["removed"] == 0 and set(os.listdir(cache)) == first

    def edit(day):
        folder.edit("statements/2024Q2/statements.csv", lambda r: r[1].update(published_on=day))

    changed = folder.rows("statements/2024Q2/statements.csv")[1]["community_id"]
    old = {pdf_of(posters, changed, size).name for size in SIZES}
    district = folder.validate().communities[changed].district
    old |= {
        posters.combined(g).name
        for (d, _), g in posters.by_district(posters.jobs()).items()
        if d == district
    }
    edit("2024-07-30")
    _, posters, counts = posters_for(folder, tmp_path)
    assert counts["rendered"] == 3 and counts["removed"] == len(old) == 6  # and 3 print files
    now = set(os.listdir(cache))
    assert first - now == old and len(now) == len(first)

    other = Folder(shutil.copytree(folder.root, tmp_path / "other"))
    assert posters_for(other, tmp_path)[2]["rendered"] == 0  # the same posters: shared
    edit("2024-07-31")
    assert posters_for(folder, tmp_path)[2]["removed"] == 0  # the other folder prints them
    assert now <= set(os.listdir(cache))

    # what no list names (an earlier release's posters) goes once it is 30 days old
    for name, age in (("before-lists.pdf", FORGOTTEN + 60), ("just-made.pdf", 60)):
        (cache / name).write_bytes(b"%PDF")
        os.utime(cache / name, (time.time() - age,) * 2)
    assert posters_for(folder, tmp_path)[2]["removed"] == 1
    assert (cache / "just-made.pdf").exists() and not (cache / "before-lists.pdf").exists()


PIDS: list = []  # where _rendering_pid notes the process that rendered each poster


def _rendering_pid(task):
    from liangshai.site import render

    with open(PIDS[0], "a") as f:
        f.write(f"{os.getpid()}\n")
    return render._render_task(task)


def test_forked_workers_print_what_one_process_prints(sample_copy, tmp_path, monkeypatch):
    """Posters rendered on forked workers, in rounds of fresh workers (one poster a worker a
    round here), are byte for byte those of one process, district print files included."""
    from conftest import Folder
    from liangshai.site import posters as module

    monkeypatch.setattr(module, "RECYCLE", 1)
    monkeypatch.setattr(module, "_render_task", _rendering_pid)
    made = {}
    for workers in (1, 2):
        cache = tmp_path / f"workers-{workers}"
        monkeypatch.setattr(sys.modules[__name__], "PIDS", [tmp_path / f"pids-{workers}"])
        sizes = ("a4", "a5")
        _, posters, counts = posters_for(Folder(sample_copy), cache, sizes=sizes, workers=workers)
        assert counts["rendered"] == counts["posters"] > 4
        jobs = posters.jobs(sizes=sizes)
        files = {j.name: posters.cached(j) for j in jobs}
        files |= {
            f"{d}-{size}": posters.combined(g) for (d, size), g in posters.by_district(jobs).items()
        }
        made[workers] = {name: path.read_bytes() for name, path in files.items()}
        pids = (tmp_path / f"pids-{workers}").read_text().split()
        assert len(pids) == counts["rendered"]
        assert pids[0] == str(os.getpid())  # the first poster is rendered here
        if workers == 1:
            assert set(pids) == {pids[0]}
        else:  # then by forked workers, fresh every round of two posters (RECYCLE 1 each)
            rest = pids[1:]
            assert pids[0] not in rest and max(map(rest.count, rest)) <= 2
            assert len(set(rest)) >= len(rest) / 2
    assert made[1] == made[2]


def test_district_print_file_and_site_links(folder, tmp_path):
    _, posters, _ = posters_for(folder, tmp_path)
    assert set(posters.posted().districts) == {
        (district, size) for district in ("gulou", "taijiang") for size in ("a3", "a4", "a5")
    }
    out = tmp_path / "publish"
    assert build(folder.root, out, cache=tmp_path / "cache") == 0
    page = (out / "c/rongyin-huayuan/index.html").read_text(encoding="utf-8")
    assert 'href="../../posters/gulou/rongyin-huayuan-a4.pdf"' in page
    assert (out / "posters/gulou/rongyin-huayuan-a5.pdf").is_file()
    assert (out / "posters/gulou/gulou-all-a4.pdf").is_file()
    listing = (out / "posters/index.html").read_text(encoding="utf-8")
    assert "鼓楼区" in listing and "gulou-all-a5.pdf" in listing


def test_refuses_urls_a_printed_code_cannot_keep():
    assert site_url_problem("https://liangshai.fuzhou.example") is None
    for url in (
        "http://liangshai.fuzhou.example",
        "https://localhost:8000",
        "http://127.0.0.1",
        "",
        "liangshai.fuzhou.example",
    ):
        assert site_url_problem(url), url


def test_invoke_posters_refuses_localhost_without_draft(folder):
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write(
        "site.yaml", text.replace("https://liangshai.fuzhou.example", "http://localhost:8000")
    )
    run_ = subprocess.run(
        [sys.executable, "-m", "invoke", "posters", "--data", str(folder.root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run_.returncode == 2  # cannot run as asked: nothing is printed
    assert "无法生成公示牌" in run_.stderr and "--draft" in run_.stderr


def test_draft_posters_say_so(folder, tmp_path):
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write(
        "site.yaml", text.replace("https://liangshai.fuzhou.example", "http://localhost:8000")
    )
    _, posters, _ = posters_for(folder, tmp_path, draft=True, districts={"gulou"}, sizes=("a5",))
    pdf = pdf_of(posters, "rongyin-huayuan", "a5", draft=True)
    assert "样稿" in run("pdftotext", str(pdf), "-")
    assert scan(pdf, tmp_path) == ["http://localhost:8000/c/rongyin-huayuan/"]


def test_a_district_print_file_shares_its_fonts(sample_copy, tmp_path):
    """Gulou's seven A4 posters in one print file: one embedding of each font, not seven."""
    from conftest import Folder

    data, posters, _ = posters_for(
        Folder(sample_copy), tmp_path, districts={"gulou"}, sizes=("a4",)
    )
    jobs = [j for j in posters.jobs(sizes=("a4",)) if j.district == "gulou"]
    assert len(jobs) == 7
    combined = posters.combined(jobs)
    one = max(posters.cached(j).stat().st_size for j in jobs)
    assert combined.stat().st_size <= 2 * one, (combined.stat().st_size, one)
    assert "Pages:           7" in run("pdfinfo", str(combined))
    fonts = run("pdffonts", str(combined)).splitlines()[2:]
    assert len(fonts) <= 4, fonts  # each face once (regular, bold), whatever the page count
    text = run("pdftotext", str(combined), "-")
    assert all(data.communities[j.community_id].name in text for j in jobs)


def test_the_poster_prints_the_hotline_of_site_yaml(folder, tmp_path):
    text = folder.path("site.yaml").read_text(encoding="utf-8")
    folder.write("site.yaml", text.replace("hotline: '12345'", "hotline: '968123'"))
    _, posters, _ = posters_for(folder, tmp_path, districts={"gulou"}, sizes=("a5",))
    printed = run("pdftotext", str(pdf_of(posters, "rongyin-huayuan", "a5")), "-")
    assert "968123 市民服务热线" in printed and "12345" not in printed


def test_lift_screens_share_card_and_video(folder, tmp_path):
    """梯视: a portrait and a landscape image of exactly the screens' pixels whose QR code is
    at least a quarter of the short side and decodes to the page; a share card the page
    offers to WeChat and as og:image; a silent video per district, 10 s a community."""
    from liangshai.site.posters import SCREENS

    _, posters, counts = posters_for(folder, tmp_path, sizes=tuple(SCREENS))
    assert counts["posters"] == 2 * len(SCREENS)
    for size, (width, height) in SCREENS.items():
        job = next(j for j in posters.jobs(sizes=(size,)) if j.community_id == "rongyin-huayuan")
        image = Image.open(posters.cached(job))
        assert image.size == (width, height), size
        if size == "card":
            continue
        (found,) = zxingcpp.read_barcodes(image)
        assert found.text == URL
        side = found.position.top_right.x - found.position.top_left.x
        assert side >= min(width, height) / 4, (size, side)
    video = posters.video(posters.screens_by_district(posters.jobs(sizes=("portrait",)))["gulou"])
    probe = run(
        "ffprobe",
        "-v",
        "error",
        "-show_entries",
        "format=duration:stream=codec_type",
        "-of",
        "default=nw=1",
        str(video),
    )
    assert "codec_type=video" in probe and "codec_type=audio" not in probe  # silent
    assert abs(float(re.search(r"duration=([\d.]+)", probe).group(1)) - 10) < 0.5  # one community

    out = tmp_path / "publish"
    assert build(folder.root, out, cache=tmp_path / "cache") == 0
    page = (out / "c/rongyin-huayuan/index.html").read_text(encoding="utf-8")
    card = "https://liangshai.fuzhou.example/screens/gulou/rongyin-huayuan-card.png"
    assert f'<meta property="og:image" content="{card}">' in page
    body = page.split("<main", 1)[1]
    assert re.search(r'<img class="card" src="[./]*screens/gulou/rongyin-huayuan-card.png"', body)
    assert body.index('class="card"') < body.index('id="latest"')  # early in the page
    assert (out / "screens/gulou/rongyin-huayuan-portrait.png").is_file()
    assert (out / "screens/gulou/gulou.mp4").is_file()
    listing = (out / "posters/index.html").read_text(encoding="utf-8")
    assert "电梯屏视频（MP4）" in listing and "rongyin-huayuan-landscape.png" in listing


def test_every_sample_community_has_its_lift_screens(sample_copy, tmp_path):
    """The bar: both screen images of every community of the sample, at exactly the screens'
    sizes, each with a QR code that decodes to the community's page."""
    from conftest import Folder
    from liangshai.site.posters import SCREENS

    shapes = ("portrait", "landscape")
    data, posters, counts = posters_for(Folder(sample_copy), tmp_path, sizes=shapes, workers=2)
    assert counts["posters"] == 2 * len(data.communities)
    for job in posters.jobs(sizes=shapes):
        image = Image.open(posters.cached(job))
        assert image.size == SCREENS[job.size], job.name
        codes = [b.text for b in zxingcpp.read_barcodes(image)]
        assert codes == [f"https://liangshai.fuzhou.example/c/{job.community_id}/"], job.name


def test_posters_print_in_the_cut_down_face_and_a_rare_character_still_prints(folder, tmp_path):
    """The cut-down face (site/fonts.py: GB 2312) carries the poster; 堃, outside it, comes
    from the whole Noto font (regular and bold, where the name stands), and the glyph is
    there in the text, not a blank box."""
    from liangshai.site import fonts

    def rename(rows):
        rows[0]["name"] = "榕荫堃园"

    folder.edit("communities.csv", rename)
    _, posters, _ = posters_for(folder, tmp_path, sizes=("a4",))
    made = sorted((tmp_path / "cache" / "fonts").glob("print-*.otf"))
    assert len(made) == 2 and all(p.stat().st_size < 5_000_000 for p in made)
    assert "堃" not in "".join(map(chr, fonts.kept_characters()))
    pdf = pdf_of(posters, "rongyin-huayuan", "a4")
    assert "榕荫堃园公共收益公示" in run("pdftotext", str(pdf), "-")
    faces = {row.split()[0].split("+")[1] for row in run("pdffonts", str(pdf)).splitlines()[2:]}
    assert {"Liangshai-Print", "Liangshai-Print-Bold"} <= faces and len(faces) > 2, faces
    other = pdf_of(posters, "minjiang-xincun", "a4")
    faces = {row.split()[0].split("+")[1] for row in run("pdffonts", str(other)).splitlines()[2:]}
    assert faces == {"Liangshai-Print", "Liangshai-Print-Bold"}  # nothing else needed
