"""Jinja filters for the theme: money, dates and quarters the way Chinese readers expect."""

from __future__ import annotations

from datetime import date
from functools import cache

from markupsafe import Markup

from ..numbers import money


def cn_date(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


@cache
def badge(status) -> Markup:
    """A status (status.Status) as its coloured label; on every row of every list, so made
    once per status."""
    return Markup('<span class="badge badge-{}">{}</span>').format(status.value, status.label)


def quarter_badge(qv) -> Markup:
    """A quarter's status badge that cannot reassure wrongly: with red flags it says how
    many need attention, in the warning colour (「按时公示 · 2 项需注意」)."""
    if qv is None:
        return Markup("—")
    return _flagged(qv.status, len(qv.flags)) if qv.flags else badge(qv.status)


@cache
def _flagged(status, count: int) -> Markup:
    return Markup('<span class="badge badge-{} badge-flagged">{} · {} 项需注意</span>').format(
        status.value, status.label, count
    )


FILTERS = {"money": money, "cn_date": cn_date, "badge": badge, "quarter_badge": quarter_badge}
