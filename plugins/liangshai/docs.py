"""The data dictionary (docs/data-dictionary.md), written from the format definition."""

from __future__ import annotations

from .schema import FORMAT

TYPE_LABELS = {
    "id": "编号（小写字母、数字、连字符）",
    "slug": "代码（小写字母）",
    "quarter": "季度，如 2024Q1",
    "date": "日期，如 2024-04-20",
    "amount": "金额（元，两位小数）",
    "text": "文字",
    "choice": "可选值",
    "section": "类别",
    "category": "科目",
    "district": "区县代码或名称",
    "credit_code": "统一社会信用代码（18 位）",
    "integer": "整数",
    "flag": "是 / 否",
    "list": "列表（分号分隔）",
    "email": "电子邮箱",
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
        out.append(f"| `{c.code}` | {level} | {c.title} | {c.flag or ''} | {_cell(c.hint)} |")
    return "\n".join(out) + "\n"
