"""Jinja filters for the theme: money, dates and quarters the way Chinese readers expect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from markupsafe import Markup


def money(value: Decimal | None) -> str:
    """12345.6 → '12,345.60'; None → '—'."""
    return "—" if value is None else f"{value:,.2f}"


def cn_date(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


@cache
def badge(status) -> Markup:
    """A status (status.Status) as its coloured label; on every row of every list, so made
    once per status."""
    return Markup('<span class="badge badge-{}">{}</span>').format(status.value, status.label)


FILTERS = {"money": money, "cn_date": cn_date, "badge": badge}
