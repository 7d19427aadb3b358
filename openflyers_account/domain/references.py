"""Payment references: ISO 11649 creditor references (M2) and invoice numbers found in bank texts (M5)."""
from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

#: ISO 11649 allows at most 21 characters after "RF" and the two check digits.
REFERENCE_MAX_BODY = 21

# "RF" starting a word, the check digits, then runs of letters and digits separated by single
# spaces: banks and treasurers print the reference compact ("RF18539007") or in groups of 4.
_RF_START = re.compile(r"(?<![A-Z0-9])RF ?\d\d")
_RF_AT = re.compile(r"RF ?(\d\d)((?: ?[A-Z0-9]+)+)")
# An invoice number as treasurers type it in a transfer's free text: F-2026-00042,
# F 2026 00042, F202600042, f-2026-00042 (I1 numbering).
_INVOICE_NUMBER = re.compile(r"(?<![A-Z0-9])F[ -]?(\d{4})[ -]?(\d{5})(?!\d)")


def creditor_reference(invoice_number: str) -> str:
    """The ISO 11649 reference a transfer must carry to pay this invoice: F-2026-00042 -> RF..F202600042 (M2)."""
    body = "".join(char for char in invoice_number.upper() if char.isascii() and char.isalnum())
    if not 0 < len(body) <= REFERENCE_MAX_BODY:
        raise ValueError(f"cannot build a creditor reference from {invoice_number!r}")
    # Check digits make "body + RF + check" a valid ISO 7064 mod 97-10 number.
    reference = "RF" + mod_97_10.calc_check_digits(body + "RF") + body
    return iso11649.validate(reference)


def format_reference(reference: str) -> str:
    """A creditor reference in groups of 4 characters, as printed on the invoice and payment page (M2)."""
    return iso11649.format(reference)


def references_in_text(text: str) -> tuple[str, ...]:
    """Every valid reading of the ISO 11649 references in a bank text, compact, longest reading first (M5)."""
    upper = text.upper()
    found: list[str] = []
    for start in _RF_START.finditer(upper):
        match = _RF_AT.match(upper, start.start())
        if match is None:  # pragma: no cover - _RF_START guarantees a match
            continue
        check, runs = match.group(1), match.group(2).split()
        # Where the reference ends is unknown ("RF18 5390 0754 7034 MERCI"). It is printed either
        # compact or in groups of 4, so it can only continue past a run of exactly 4 characters;
        # check digits then weed out the wrong readings, but 1 in 97 survives, so all are returned.
        candidates: list[str] = []
        body = ""
        for run in runs:
            body += run
            if len(body) > REFERENCE_MAX_BODY:
                break
            candidates.append(f"RF{check}{body}")
            if len(run) != 4:
                break
        for candidate in reversed(candidates):
            if iso11649.is_valid(candidate) and candidate not in found:
                found.append(candidate)
    return tuple(found)


def parse_reference(text: str) -> str | None:
    """The first valid ISO 11649 reference in `text` (spaces and lower case allowed), compact, or None (M2, M5).

    When a reference is followed by more words, the longest reading whose check digits hold wins.
    """
    references = references_in_text(text)
    return references[0] if references else None


def invoice_numbers_in_text(text: str) -> tuple[str, ...]:
    """Every invoice number in a bank text, written as on the invoice (F-2026-00042), in order (M5)."""
    found: list[str] = []
    for match in _INVOICE_NUMBER.finditer(text.upper()):
        number = f"F-{match.group(1)}-{match.group(2)}"
        if number not in found:
            found.append(number)
    return tuple(found)


def invoice_number_in_text(text: str) -> str | None:
    """The first invoice number in a bank text (F-2026-00042, F 2026 00042, F202600042), or None (M5)."""
    numbers = invoice_numbers_in_text(text)
    return numbers[0] if numbers else None
