"""QR codes for community URLs, as small SVGs that print reliably, cached by content.

Uses `qrcode` (already a dependency of the design) for the matrix, and writes the SVG itself:
one path of unit squares, colours as attributes (browsers and PDF renderers drop CSS
backgrounds when printing), a viewBox so it scales without clipping, the full 4-module quiet
zone and error correction Q (25 % of the code may be dirty or torn and it still scans).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

from ..cache import replacing

QUIET_ZONE = 4
VERSION = "1"  # bump when the SVG output changes, so cached codes are remade


def qr_svg(text: str, size: str = "100%") -> str:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=1)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the quiet zone
    n = len(matrix)
    path = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                path.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size}" '
        f'height="{size}" shape-rendering="crispEdges" role="img" aria-label="二维码">'
        f'<rect width="{n}" height="{n}" fill="#ffffff"/>'
        f'<path fill="#000000" d="{"".join(path)}"/></svg>'
    )


class QRCache:
    """One SVG per distinct URL, kept in a folder across runs."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def svg(self, url: str) -> str:
        key = hashlib.sha256(f"{VERSION}|{url}".encode()).hexdigest()[:32]
        path = self.folder / f"{key}.svg"
        if path.exists():
            return path.read_text(encoding="utf-8")
        svg = qr_svg(url)
        with replacing(path) as tmp:  # workers may race for the same code
            tmp.write_text(svg, encoding="utf-8")
        return svg
