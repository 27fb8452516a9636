"""The data dictionary (docs/data-dictionary.md), written from the format definition."""

from __future__ import annotations

import re

from ..schema import FORMAT

TYPE_LABELS = {
    "id": "编号（小写字母、数字、连字符）",
    "slug": "代码（小写字母）",
    "quarter": "季度，如 2024Q1",
    "date": "日期，如 2024-04-20",
    "amount": "金额（元，两位小数）",
    "text": "文字",
    "choice": "可选值",
    "section": FORMAT.label("items.section"),
    "category": FORMAT.label("items.category"),
    "district": "区县代码或名称",
    "credit_code": "统一社会信用代码（18 位）",
    "integer": "整数",
    "flag": "是 / 否",
    "list": "列表（分号分隔）",
    "email": "电子邮箱（不含 ?、& 和空格）",
    "phone": "电话号码，如 0591-87654321",
    "url": "网址，如 https://www.example.gov.cn/",
    "ids": "编号列表（分号分隔，每个都须符合编号规则）",
    "account": "银行账号（只公开末 4 位）",
}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def data_dictionary() -> str:
    out = [
        f"# 数据字典：{FORMAT.title}（{FORMAT.subtitle}）",
        "",
        "<!-- Generated from plugins/liangshai/format.yaml by `invoke docs`; do not edit. -->",
        "",
        "本文件由统一格式的定义自动生成。列名可以用英文字段名、中文名称或别名；"
        "编码可以是 UTF-8（可带 BOM）或 GBK/GB18030。",
        "",
        "## 类别与科目",
        "",
        "| 类别 | 类别代码 | 科目代码 | 科目（简称） | 科目（完整名称） |",
        "|---|---|---|---|---|",
    ]
    for s in FORMAT.sections:
        for c in s.categories:
            out.append(f"| {s.label} | `{s.code}` | `{c.code}` | {c.short} | {_cell(c.label)} |")
    out += ["", "规则："]
    out += [f"- {s.label}：{s.description}" for s in FORMAT.sections]
    for table in FORMAT.tables.values():
        out += [
            "",
            f"## {table.label}（`{table.file}`）",
            "",
            table.description,
            "",
            "| 字段 | 中文名称 | 也可写作 | 类型 | 必填 | 说明 |",
            "|---|---|---|---|---|---|",
        ]
        for f in table.fields:
            kind = TYPE_LABELS[f.type]
            if f.values:
                kind += "：" + "、".join(f.values)
            out.append(
                f"| `{f.name}` | {f.label} | {_cell('、'.join(f.aliases))} | {_cell(kind)} | "
                f"{'是' if f.required else '否'} | {_cell(f.description)} |"
            )
    out += _folder_rules()
    out += ["", "## 状态", "", "| 代码 | 状态 | 含义 |", "|---|---|---|"]
    out += [
        f"| `{code}` | {s['label']} | {s['description']} |" for code, s in FORMAT.statuses.items()
    ]
    out += [
        "",
        "## 校验规则",
        "",
        "每条规则有固定的代码。错误（error）使公示表显示为“数据有误”；"
        "警告（warning）照常公示，带红旗的警告会以通俗的话提示业主。",
        "",
        "| 代码 | 级别 | 名称 | 红旗 | 如何改正 |",
        "|---|---|---|---|---|",
    ]
    for c in FORMAT.checks.values():
        level = "错误" if c.severity == "error" else "警告"
        level += "（不生成网站）" if c.fatal else ""
        hint = re.sub(r"\{\w+\}", "…", c.hint)  # the case's own words fill these in
        out.append(f"| `{c.code}` | {level} | {c.title} | {c.flag or ''} | {_cell(hint)} |")
    return "\n".join(out) + "\n"


def _folder_rules() -> list[str]:
    """What the reader does with every file under data/ (format.yaml, files)."""
    rules = FORMAT.files
    out = [
        "",
        "## 数据文件夹里的文件",
        "",
        "数据文件夹里的每个文件和文件夹，要么被读取，要么在校验报告中写明没有读取的原因和改法。"
        "文件按内容识别：改了扩展名的工作簿照样读取；"
        "文件名或大小写不同的 CSV，表头能认出时照样读取。"
        "季度文件夹的名称必须正好是 2025Q2 这样的格式。只读取数据文件夹里的普通文件"
        "（链接到文件夹之外的文件、设备、管道一律不读）。",
        "",
        "以下文件按规则忽略，不读取也不报告：",
        "",
        "| 文件名 | 原因 |",
        "|---|---|",
    ]
    out += [f"| `{_cell(r['pattern'])}` | {r['reason']} |" for r in rules["ignored"]]
    out += [f"| `{r['name']}`（仅数据文件夹顶层） | {r['reason']} |" for r in rules["notes"]]
    out += [
        "",
        "无法读取的格式（报告为错误，并说明如何转换）：",
        "",
        "| 文件 | 改法 |",
        "|---|---|",
    ]
    out += [f"| {r['what']} | {_cell(r['hint'])} |" for r in rules["unsupported"].values()]
    limits = FORMAT.limits
    out += [
        "",
        "上限（超过时在读取之前就报告错误，文件不读取）：",
        "",
        f"- 任一文件：{limits.file_bytes:,} 字节；",
        f"- 工作簿（.xlsx）解压后：{limits.workbook_bytes:,} 字节，"
        f"内含部件 {limits.workbook_entries:,} 个；",
        f"- 每个工作表：{limits.sheet_rows:,} 行；",
        f"- YAML：嵌套 {limits.yaml_depth} 层，不允许锚点和别名（& 和 *）。",
    ]
    return out
