"""The unified disclosure table (统一格式公示表) as HTML, laid out from the format itself.

The table is part of the format, not of the theme: its sections, category labels, order and
balance rows come from format.yaml, as in the Excel template. It is made here rather than in
a Jinja macro because a community page carries one per quarter (eight, at two years), and as a
macro it took two thirds of the page's rendering time; as plain string building it takes a
third of that. The theme uses it as the filter `{{ qv|unified_table }}`.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from ..schema import FORMAT
from .filters import cn_date, money

_HEAD = FORMAT.tables["statements"]
_LABEL = {name: escape(_HEAD.field(name).label) for name in _HEAD.columns}
_ITEM = {name: escape(FORMAT.label(f"items.{name}")) for name in ("category", "description")}
_CODE = escape(FORMAT.label("published.statements.verification_code"))
_SECTION = {s.code: escape(s.label) for s in FORMAT.sections}


@lru_cache(maxsize=4096)
def _category(section: str, category: str | None) -> Markup:
    """A category's short label (or the text typed, if not one of the format's), escaped."""
    known = FORMAT.category(section, category or "")
    return escape(known.short if known else (category or ""))


@lru_cache(maxsize=4096)
def _text(text: str | None) -> Markup:
    """An item's description, escaped: the same few descriptions recur across statements."""
    return escape(text or "")


def unified_table(qv) -> Markup:
    """The table of a quarter view (views.QuarterView) whose statement is shown."""
    s = qv.statement
    out = [
        '<table class="unified">\n'
        f"  <caption>{escape(qv.quarter.label)}公共收益公示表（单位：元）</caption>\n"
        f'  <thead><tr><th scope="col">{_ITEM["category"]}</th>'
        f'<th scope="col">{_ITEM["description"]}</th>'
        '<th scope="col" class="num">金额</th></tr></thead>\n'
    ]
    by_section: dict[str, list] = {sec.code: [] for sec in FORMAT.sections}
    for item in s.items:
        if item.section in by_section:  # always, in a statement valid enough to be shown
            by_section[item.section].append(item)
    for sec in FORMAT.sections:
        label, items = _SECTION[sec.code], by_section[sec.code]
        out.append(
            f'  <tbody class="sec sec-{sec.code}">\n'
            f'    <tr class="sec-head"><th colspan="3" scope="colgroup">{label}</th></tr>\n'
        )
        for item in items:
            notes = ""
            if item.approval_ref:
                notes = f"<br><small>批准：{escape(item.approval_ref)}</small>"
            elif sec.needs_approval:
                notes = '<br><small class="warn">没有写批准文号</small>'
            if item.date and sec.code == "deposit":
                notes += f"<br><small>{cn_date(item.date)}</small>"
            out.append(
                f"    <tr><td>{_category(sec.code, item.category)}</td>"
                f'<td class="desc">{_text(item.description)}{notes}</td>'
                f'<td class="num">{money(item.amount)}</td></tr>\n'
            )
        if not items:
            out.append('    <tr><td colspan="3" class="none">本季度无</td></tr>\n')
        out.append(
            f'    <tr class="subtotal"><th scope="row" colspan="2">{label}合计</th>'
            f'<td class="num">{money(s.totals[sec.code])}</td></tr>\n  </tbody>\n'
        )
    out.append(
        '  <tbody class="balances">\n'
        f'    <tr><th scope="row" colspan="2">{_LABEL["opening_balance"]}</th>'
        f'<td class="num">{money(s.opening_balance)}</td></tr>\n'
        f'    <tr><th scope="row" colspan="2">{_LABEL["closing_balance"]}<br>'
        f"<small>{escape(_HEAD.field('closing_balance').description)}</small></th>"
        f'<td class="num">{money(s.closing_balance)}</td></tr>\n'
        f'    <tr><th scope="row" colspan="2">{_LABEL["account_balance"]}</th>'
        f'<td class="num">{money(s.account_balance)}</td></tr>\n'
        "  </tbody>\n</table>\n"
        f'<p class="meta">{_LABEL["published_on"]} {cn_date(s.published_on)}'
        f" · {_LABEL['prepared_by']} {escape(s.prepared_by or '')}"
        f' · {_CODE} <code class="vcode">{s.verification_code}</code>'
        + (f" · {_LABEL['note']}：{escape(s.note)}" if s.note else "")
        + "</p>"
    )
    return Markup("".join(out))
