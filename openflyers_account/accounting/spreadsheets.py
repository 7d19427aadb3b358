"""Cells written for a spreadsheet: text a spreadsheet would run as a formula is kept as text (K2-K4)."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

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


def csv_stream(rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """Rows for a French spreadsheet, written as they come: `;` separated, UTF-8 with a BOM so the accents read
    right, every cell safe (K2-K4)."""
    yield "\ufeff".encode()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
