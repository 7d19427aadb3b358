"""Invoice and credit-note numbers: F-2026-00001, AV-2026-00001 (rule I1)."""

from __future__ import annotations

import enum
import re
from typing import NamedTuple


class Series(enum.StrEnum):
    """A numbering series; each runs gapless and restarts every year (I1)."""

    #: Invoices.
    INVOICE = "F"
    #: Credit notes ("avoirs").
    CREDIT_NOTE = "AV"


#: The largest sequence number five digits can print.
MAX_SEQ = 99_999

# [0-9] rather than \d: \d also matches non-ASCII digits, and this parses URLs.
_NUMBER = re.compile(r"(F|AV)-([0-9]{4})-([0-9]{5})")


class DocumentNumber(NamedTuple):
    """A parsed number: series, year, sequence within the year (I1)."""

    series: Series
    year: int
    seq: int


def _check(year: int, seq: int) -> None:
    for name, value in (("year", year), ("seq", seq)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits: {year}")
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"seq must be from 1 to {MAX_SEQ}: {seq}")


def format_number(series: Series, year: int, seq: int) -> str:
    """The printed number of a document, e.g. F-2026-00001 (I1)."""
    series = Series(series)
    _check(year, seq)
    return f"{series.value}-{year:04d}-{seq:05d}"


def parse_number(text: str) -> DocumentNumber:
    """Split a number back into series, year and sequence; ValueError on anything else (I1)."""
    if not isinstance(text, str):
        raise ValueError(f"not a document number: {text!r}")
    # fullmatch: "$" would accept a trailing newline.
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"not a document number: {text!r}")
    series, year, seq = Series(match[1]), int(match[2]), int(match[3])
    _check(year, seq)
    return DocumentNumber(series, year, seq)


def is_document_number(text: object) -> bool:
    """True for a well-formed F-/AV- number; URL input is checked with it before any query (I1)."""
    try:
        parse_number(text)
    except ValueError:
        return False
    return True
