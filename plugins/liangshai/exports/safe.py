"""Spreadsheet cells that cannot attack their readers (OWASP "CSV injection").

Text that anyone typed into a statement or a ledger ("=HYPERLINK(…)", "@SUM(…)") ends up in
the CSV and XLSX files we publish and send, and a spreadsheet program would run it as a
formula. Every writer of such files passes its cells through here:

- CSV: a text cell that begins with =, +, -, @, tab or CR gets a leading apostrophe, which
  Excel, WPS and LibreOffice show as text (true numbers, like -12.50, are left alone);
- XLSX: every text cell is written as a string cell, never a formula.
"""

from __future__ import annotations

import re

_DANGER = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def neutral(value):
    """A CSV cell as a spreadsheet will show it and never run it."""
    if value.__class__ is str and value[:1] in _DANGER and not _NUMBER.match(value):
        return "'" + value
    return value


def append_row(ws, values) -> None:
    """Append a row to an openpyxl sheet with every text cell a plain string: openpyxl would
    otherwise store text that begins with "=" as a formula."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
