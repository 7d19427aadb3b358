"""ISO 11649 creditor references (M2) and invoice numbers in bank texts (M5)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from openflyers_account.domain.references import (
    creditor_reference,
    format_reference,
    invoice_number_in_text,
    invoice_numbers_in_text,
    parse_reference,
    references_in_text,
)

invoice_numbers = st.builds(
    lambda series, year, seq: f"{series}-{year:04d}-{seq:05d}",
    st.sampled_from(["F", "AV"]),
    st.integers(2000, 2099),
    st.integers(1, 99999),
)


def mod97_is_one(reference: str) -> bool:
    """ISO 7064 mod 97-10 done by hand, so the test does not only trust stdnum."""
    rearranged = reference[4:] + reference[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


@pytest.mark.parametrize(
    ("invoice_number", "reference"),
    [
        ("F-2026-00042", "RF93F202600042"),
        ("F-2026-00043", "RF66F202600043"),
        ("AV-2026-00001", "RF03AV202600001"),
    ],
)
def test_m2_rf_reference_is_valid_iso11649(invoice_number: str, reference: str) -> None:
    assert creditor_reference(invoice_number) == reference
    assert iso11649.validate(reference) == reference
    assert mod97_is_one(reference)


def test_m2_rf_reference_keeps_the_invoice_alphanumerics() -> None:
    assert creditor_reference("F-2026-00042").endswith("F202600042")
    assert creditor_reference("f-2026-00042") == creditor_reference("F-2026-00042")


@pytest.mark.parametrize("invoice_number", ["", "--", "F-2026-" + "9" * 20])
def test_m2_rf_reference_refuses_what_iso11649_cannot_hold(invoice_number: str) -> None:
    with pytest.raises(ValueError):
        creditor_reference(invoice_number)


@given(invoice_numbers)
def test_m2_rf_reference_is_valid_for_any_invoice_number(invoice_number: str) -> None:
    reference = creditor_reference(invoice_number)
    assert iso11649.is_valid(reference)
    assert mod97_is_one(reference)
    assert reference[4:] == invoice_number.replace("-", "")


@given(invoice_numbers, st.sampled_from(["{}", "{} ", "Paiement {} merci", "VIR /REF {}/2026"]), st.booleans())
def test_m2_rf_reference_round_trips_through_display_and_bank_text(
    invoice_number: str, template: str, lower: bool
) -> None:
    reference = creditor_reference(invoice_number)
    shown = format_reference(reference)
    text = template.format(shown.lower() if lower else shown)
    assert parse_reference(text) == reference
    assert parse_reference(reference) == reference


@pytest.mark.parametrize(
    ("reference", "shown"),
    [
        ("RF93F202600042", "RF93 F202 6000 42"),
        ("RF03AV202600001", "RF03 AV20 2600 001"),
        ("RF18539007547034", "RF18 5390 0754 7034"),
    ],
)
def test_m2_reference_is_shown_in_groups_of_four(reference: str, shown: str) -> None:
    assert format_reference(reference) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RF93F202600042", "RF93F202600042"),
        ("rf93 f202 6000 42", "RF93F202600042"),
        ("REGLEMENT RF93 F202 6000 42 MERCI", "RF93F202600042"),
        ("RF93F202600042 VIR SEPA RECU", "RF93F202600042"),
        ("ref:RF18 5390 0754 7034.", "RF18539007547034"),
        ("RF 18 5390 0754 7034", "RF18539007547034"),
        # Wrong check digits: a mistyped reference is not a reference.
        ("RF94F202600042", None),
        # "RF" inside a word is not a reference.
        ("PERF93F202600042", None),
        ("FACTURE F-2026-00042", None),
        ("", None),
    ],
)
def test_m5_reference_is_found_in_free_text(text: str, expected: str | None) -> None:
    assert parse_reference(text) == expected


def test_m5_every_reference_in_a_text_is_found() -> None:
    text = "RF93 F202 6000 42 ET RF66F202600043"
    assert references_in_text(text) == ("RF93F202600042", "RF66F202600043")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F-2026-00042", "F-2026-00042"),
        ("FACTURE F 2026 00042", "F-2026-00042"),
        ("REGLEMENT F202600042 MERCI", "F-2026-00042"),
        ("facture f-2026-00042", "F-2026-00042"),
        ("N°F-2026-00042/AC MERMOZ", "F-2026-00042"),
        ("F2026-00042", "F-2026-00042"),
        # Too many or too few digits, or glued to a word: some other number.
        ("F-2026-000421", None),
        ("F-2026-0042", None),
        ("REF-2026-00042", None),
        # A credit note is never paid.
        ("AV-2026-00001", None),
        ("COTISATION 2026", None),
    ],
)
def test_m5_invoice_number_is_found_in_free_text(text: str, expected: str | None) -> None:
    assert invoice_number_in_text(text) == expected


def test_m5_every_invoice_number_in_a_text_is_found_once() -> None:
    text = "F-2026-00042 F 2026 00043 et f202600042"
    assert invoice_numbers_in_text(text) == ("F-2026-00042", "F-2026-00043")


@given(invoice_numbers.filter(lambda number: number.startswith("F-")), st.sampled_from(["-", " ", ""]))
def test_m5_invoice_number_is_found_however_it_is_separated(invoice_number: str, separator: str) -> None:
    typed = invoice_number.replace("-", separator)
    assert invoice_number_in_text(f"VIR {typed.lower()} AEROCLUB") == invoice_number
