"""Amounts as people read them: 12345.6 → '12,345.60', nothing → '—'. The one formatter of
money for pages, posters, feeds, messages and the descriptions of what changed."""

from __future__ import annotations

from decimal import Decimal


def money(value: Decimal | str | None) -> str:
    """A Decimal (or the canonical text of one) with thousands separators and two decimals."""
    if value.__class__ is Decimal:  # nearly always: on every row of every page
        return f"{value:,.2f}"
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"
