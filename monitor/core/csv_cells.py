"""CSV that a spreadsheet opens as data: cells that would start a formula are neutralised.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (`=cmd|' /C calc'!A0`, `=HYPERLINK(...)`), so a
complaint author or an assignee name could run one on a manager's machine. Such text cells get
a leading apostrophe, OWASP's advice: spreadsheets show the text as typed, and the apostrophe
says the cell was changed. Numbers are written as numbers; only text is touched.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["FORMULA_STARTS", "SafeWriter", "safe_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer with every text cell passed through `safe_cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])
