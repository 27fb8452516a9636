"""QR codes for community URLs, as small black-and-white PNGs that print sharp, cached by
content.

Uses `qrcode` (already a dependency of the design) for the matrix and Pillow (WeasyPrint's)
for the image: MODULE pixels a module, the full 4-module quiet zone and error correction Q
(25 % of the code may be dirty or torn and it still scans). The templates draw it with
`image-rendering: pixelated`, which WeasyPrint writes as /Interpolate false: printers and
viewers enlarge it pixel for pixel, so the edges stay as sharp as a vector's. (It was an SVG
path of unit squares: WeasyPrint parsed and drew it in Python, a fifth of a poster's time.)
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

from ..cache import replacing

QUIET_ZONE = 4
MODULE = 4  # pixels a module: sharp even where a viewer smooths what it enlarges
VERSION = "2"  # bump when the image changes, so cached codes are remade


def qr_png(text: str) -> bytes:
    from PIL import Image

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=1)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the quiet zone
    n = len(matrix)
    image = Image.frombytes(
        "L", (n, n), bytes(0 if dark else 255 for row in matrix for dark in row)
    )
    out = io.BytesIO()
    image.resize((n * MODULE, n * MODULE), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


class QRCache:
    """One PNG per distinct URL, kept in a folder across runs."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def png(self, url: str) -> bytes:
        key = hashlib.sha256(f"{VERSION}|{url}".encode()).hexdigest()[:32]
        path = self.folder / f"{key}.png"
        if path.exists():
            return path.read_bytes()
        png = qr_png(url)
        with replacing(path) as tmp:  # workers may race for the same code
            tmp.write_bytes(png)
        return png

    def data_uri(self, url: str) -> str:
        """The code of `url` as a data: URI, for an <img> in a print template."""
        return "data:image/png;base64," + base64.b64encode(self.png(url)).decode("ascii")
