"""A quarterly trend chart as inline SVG: it needs no JavaScript and prints in black and white."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from ..numbers import money
from ..schema import FORMAT

COLOURS = {"income": "#2b6cb0", "cost": "#c05621", "use": "#2f855a"}  # the sections drawn
SERIES = tuple((s.code, s.label, COLOURS[s.code]) for s in FORMAT.sections if s.code in COLOURS)
# Drawn 340 units wide with 19-unit type, so that on the smallest phone (320 px, 288 px of
# chart) the labels are still 16 px; at most 5 quarter labels, so that they never touch.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 340, 240, 66, 56, 12
FONT, MAX_LABELS = 19, 5


def trend_svg(rows: list[tuple[str, dict[str, Decimal]]]) -> Markup:
    """Grouped bars per quarter; `rows` is [(label, {series code: amount})], oldest first."""
    if not rows:
        return Markup("")
    peak = max((v for _, totals in rows for v in totals.values()), default=Decimal(0)) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group = plot_w / len(rows)
    bar = min(18.0, group / (len(SERIES) + 1))
    parts = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="trend-title">各季度{"、".join(n for _, n, _ in SERIES[:-1])}'
        f"与{SERIES[-1][1]}（元）</title>",
    ]
    for frac in (0, 0.5, 1):
        y = TOP + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ccc" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="#444">{float(peak) * frac / 10000:.1f}万</text>'
        )
    step = -(-len(rows) // MAX_LABELS)  # label every quarter, or every second…
    for i, (label, totals) in enumerate(rows):
        x0 = LEFT + i * group + (group - bar * len(SERIES)) / 2
        for j, (code, name, colour) in enumerate(SERIES):
            value = totals.get(code, Decimal(0))
            h = float(value) / float(peak) * plot_h
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)} {name} '
                f"{money(value)} 元</title></rect>"
            )
        if (len(rows) - 1 - i) % step == 0:  # the newest quarter always has its label
            parts.append(
                f'<text x="{LEFT + (i + 0.5) * group:.1f}" y="{HEIGHT - BOTTOM + 22}" '
                f'text-anchor="middle" font-size="{FONT}" fill="#222">{escape(label)}</text>'
            )
    for j, (_, name, colour) in enumerate(SERIES):
        x = 8 + j * 108
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 18}" width="16" height="16" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{HEIGHT - 3}" font-size="{FONT}" fill="#222">{name}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
