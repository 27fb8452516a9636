"""Shared fixtures: a tiny, fully valid data folder that tests change one thing in."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from liangshai.demo.generate import generate
from liangshai.demo.plan import REFERENCE
from liangshai.schema import FORMAT
from liangshai.validate.folder import validate_folder

ROOT = Path(__file__).resolve().parent.parent
CODE_A = "91350102MA2XYW1234"  # completed with its check character below
CODE_B = "91350103MA31ABCD56"

COMMUNITIES = [
    {
        "id": "rongyin-huayuan",
        "name": "榕荫花园",
        "district": "gulou",
        "street": "鼓东街道",
        "address": "鼓楼区五四路 1 号",
        "company": "福州榕安物业服务有限公司",
        "company_code": CODE_A,
        "committee": "已成立",
        "account_type": "业主大会（业委会）专户",
        "account_bank": "兴业银行福州分行",
        "account_no": "6222****1234",
        "demonstration": "是",
        "active_from": "",
        "active_to": "",
        "former_ids": "",
    },
    {
        "id": "minjiang-xincun",
        "name": "闽江新村",
        "district": "台江",
        "street": "瀛洲街道",
        "address": "台江区江滨大道 8 号",
        "company": "福州闽佳物业服务有限公司",
        "company_code": CODE_B,
        "committee": "未成立",
        "account_type": "专项维修资金专户",
        "account_bank": "海峡银行",
        "account_no": "6210****5678",
        "demonstration": "否",
        "active_from": "",
        "active_to": "",
        "former_ids": "",
    },
]


def _statement(cid, quarter, published, opening, closing, account=None):
    return {
        "community_id": cid,
        "quarter": quarter,
        "published_on": published,
        "prepared_by": "福州榕安物业服务有限公司",
        "opening_balance": opening,
        "closing_balance": closing,
        "account_balance": account or closing,
        "note": "",
    }


def _item(cid, quarter, section, category, description, amount, ref=""):
    return {
        "community_id": cid,
        "quarter": quarter,
        "section": section,
        "category": category,
        "description": description,
        "amount": amount,
        "date": "",
        "approval_ref": ref,
        "contract": "",
        "note": "",
    }


def _quarter_items(cid, quarter, use=True):
    rows = [
        _item(cid, quarter, "income", "parking", "地面停车费", "10000.00"),
        _item(cid, quarter, "income", "advertising", "电梯广告（4 部）", "2000.00"),
        _item(cid, quarter, "cost", "labor", "停车管理员工资分摊", "1500.00"),
        _item(cid, quarter, "cost", "tax", "增值税及附加", "600.00"),
    ]
    if use:
        rows.append(
            _item(
                cid,
                quarter,
                "use",
                "repair",
                "1 号楼屋面修缮",
                "3000.00",
                "业主大会决议〔2024〕1号",
            )
        )
    rows.append(_item(cid, quarter, "deposit", "special_account", "转存专户", "6900.00"))
    return rows


# Q1: 1000 + 12000 - 2100 - 3000 = 7900; Q2: 7900 + 12000 - 2100 = 17800
STATEMENTS = {
    "2024Q1": [
        _statement("rongyin-huayuan", "2024Q1", "2024-04-20", "1000.00", "7900.00"),
        _statement("minjiang-xincun", "2024Q1", "2024-04-25", "1000.00", "7900.00"),
    ],
    "2024Q2": [
        _statement("rongyin-huayuan", "2024Q2", "2024-07-20", "7900.00", "17800.00"),
        _statement("minjiang-xincun", "2024Q2", "2024-08-10", "7900.00", "17800.00"),
    ],
}
LEDGERS = {
    "rectifications": [
        {
            "id": "ZG-2024-0001",
            "community_id": "rongyin-huayuan",
            "problem_type": "占用架空层",
            "description": "架空层被物业出租作仓库",
            "source": "抽查",
            "found_on": "2024-06-03",
            "deadline": "2024-07-03",
            "measure": "已清退并恢复原用途",
            "responsible": "榕安物业",
            "status": "已销号",
            "closed_on": "2024-06-28",
        }
    ],
    "inspections": [
        {
            "community_id": "minjiang-xincun",
            "date": "2024-06-12",
            "unit": "瀛洲街道办事处",
            "result": "合格",
            "note": "",
        }
    ],
    "complaints": [
        {
            "id": "TS-2024-0001",
            "received_on": "2024-05-02",
            "channel": "12345",
            "community_id": "minjiang-xincun",
            "topic": "停车费去向不明",
            "status": "已销号",
            "closed_on": "2024-05-20",
            "outcome": "已督促补充公示",
        }
    ],
    "corrections": [],
}


def complete_code(code):
    from liangshai.load.cells import credit_code_with_checksum

    return credit_code_with_checksum(code[:17])


class Folder:
    """A data folder in tmp_path, with helpers to read and rewrite its CSV files."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def name(self, rel: str) -> str:
        """The file name as problems report it (relative to the data folder's parent)."""
        return f"{self.root.name}/{rel}"

    def rows(self, rel: str) -> list[dict]:
        text = self.path(rel).read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    def write_rows(self, rel: str, rows: list[dict], encoding="utf-8", fieldnames=None):
        fieldnames = fieldnames or (list(rows[0]) if rows else None)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        self.write(rel, buf.getvalue(), encoding)

    def write(self, rel: str, content, encoding="utf-8"):
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding)

    def edit(self, rel: str, change):
        """Apply `change(rows)` to a CSV file and write it back."""
        rows = self.rows(rel)
        change(rows)
        self.write_rows(rel, rows, fieldnames=list(self.rows(rel)[0]) if self.rows(rel) else None)

    def validate(self, **kw):
        return validate_folder(self.root, **kw)


def write_baseline(root: Path) -> Folder:
    folder = Folder(root)
    settings = {
        "city": "福州市",
        "bureau": "福州市住房保障和房产管理局",
        "hotline": "12345",
        "as_of": "2024-09-01",
        "site_url": "https://liangshai.fuzhou.example",
    }
    folder.write(
        "site.yaml",
        yaml.safe_dump(settings, allow_unicode=True).replace("'2024-09-01'", "2024-09-01"),
    )
    districts = [
        {
            "slug": d["slug"],
            "name": d["name"],
            "full_name": d["full_name"],
            "bureau": f"{d['full_name']}住房和城乡建设局",
            "phone": "0591-00000000",
            "email": f"{d['slug']}@fuzhou.example",
            "address": f"{d['full_name']}政府",
            "demo_target": d["target"],
        }
        for d in REFERENCE["districts"]
    ]
    folder.write("districts.yaml", yaml.safe_dump(districts, allow_unicode=True, sort_keys=False))
    communities = [dict(c, company_code=complete_code(c["company_code"])) for c in COMMUNITIES]
    folder.write_rows("communities.csv", communities)
    for quarter, headers in STATEMENTS.items():
        folder.write_rows(f"statements/{quarter}/statements.csv", headers)
        items = [
            row
            for h in headers
            for row in _quarter_items(h["community_id"], quarter, use=quarter == "2024Q1")
        ]
        folder.write_rows(f"statements/{quarter}/items.csv", items)
    for name, rows in LEDGERS.items():
        fields = FORMAT.tables[name].columns
        folder.write_rows(f"ledgers/{name}.csv", rows, fieldnames=fields)
    return folder


@pytest.fixture
def folder(tmp_path) -> Folder:
    return write_baseline(tmp_path / "data")


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory) -> Path:
    """A read-only copy of the shipped sample data."""
    dest = tmp_path_factory.mktemp("sample") / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest


@pytest.fixture(scope="session")
def demo_200(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "data"
    generate(dest, communities=200, quarters=4, seed=3)
    return dest


def seal(folder: Folder, quarter=None, on=None):
    """Seal a quarter of the folder as `invoke seal` does: (new lines, why refused)."""
    from datetime import date

    from liangshai.quarter import Quarter
    from liangshai.validate.seals import append_seals, seal_quarter

    quarter = quarter or Quarter(2024, 1)
    lines, refused = seal_quarter(folder.validate(), quarter, on or date(2024, 8, 1))
    append_seals(folder.root, quarter, lines)
    return lines, refused


def soffice(src: Path, to: str, outdir: Path) -> Path:
    """Convert a file with LibreOffice (installed by `invoke setup`), as someone re-saving it
    in a spreadsheet program would; returns the new file."""
    import subprocess

    profile = outdir / ".lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.rmtree(profile, ignore_errors=True)
    return outdir / f"{src.stem}.{to.split(':')[0]}"


def build(data_root: Path, output: Path, **kw) -> int:
    """Build a site from `data_root` into `output`, as `invoke build` does."""
    from liangshai.build.atomic import build_site

    kw.setdefault("cache", Path(output).parent / f"{Path(output).name}-cache")  # not the repo's
    return build_site(ROOT / "pelicanconf.py", output, data=data_root, out=io.StringIO(), **kw)


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory, sample_copy) -> Path:
    """The shipped sample, built once for the whole session."""
    out = tmp_path_factory.mktemp("site") / "publish"
    assert build(sample_copy, out) == 0
    return out


def share_a_code(folder: Folder, monkeypatch) -> str:
    """Make minjiang-xincun's 2024Q2 statement print rongyin-huayuan's 2024Q1 verification
    code, as two statements of a province's 800,000 do by chance (a code is 32 bits of the
    fingerprint); returns the code."""
    from liangshai import model
    from liangshai.quarter import Quarter

    data = folder.validate()
    first = data.statement("rongyin-huayuan", Quarter(2024, 1)).fingerprint
    second = data.statement("minjiang-xincun", Quarter(2024, 2)).fingerprint
    short = model.short_code
    monkeypatch.setattr(model, "short_code", lambda f: short(first if f == second else f))
    return short(first)
