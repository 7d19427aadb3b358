"""Cells written for a spreadsheet: text a spreadsheet would run as a formula is kept as text (K2-K4)."""
from __future__ import annotations

import re
from collections.abc import Iterable

#: What a spreadsheet reads as the start of a formula (or of a DDE call).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A number as the exports write it ("1234,50", "-100,00"): left alone, a spreadsheet must add it up.
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def safe_cell(value: object) -> str:
    """The cell as text; one starting like a formula gets a leading apostrophe, the spreadsheets' "this is text"
    (a club's cheque note "=HYPERLINK(...)" must not become a link in the accountant's file)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(cells: Iterable[object]) -> list[str]:
    return [safe_cell(cell) for cell in cells]
