"""Writing workbooks people open in Excel: the same bytes every build, printable on A4."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

_EPOCH = datetime(2024, 1, 1)


def save_workbook(wb, path: Path) -> None:
    """Save with fixed timestamps, so the same template is the same bytes every build."""
    wb.properties.created = _EPOCH
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps the current time into docProps/core.xml and the zip
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_EPOCH.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, data)


def fit_to_page_width(ws, area: str, repeat: str | None = None, landscape=False) -> None:
    """Print on A4, every column on one page width (as many pages long as needed), the
    given rows repeated at the top of each page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_area = area
    if repeat:
        ws.print_title_rows = repeat
