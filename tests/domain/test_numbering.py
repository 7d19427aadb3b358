"""Document numbers F-2026-00001 / AV-2026-00001 (rule I1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.numbering import MAX_SEQ, Series, format_number, parse_number


@pytest.mark.parametrize(
    ("series", "year", "seq", "text"),
    [
        (Series.INVOICE, 2026, 1, "F-2026-00001"),
        (Series.CREDIT_NOTE, 2026, 1, "AV-2026-00001"),
        (Series.INVOICE, 2027, 42, "F-2027-00042"),
        (Series.CREDIT_NOTE, 2030, 99_999, "AV-2030-99999"),
    ],
)
def test_i1_numbers_are_series_year_and_five_digit_sequence(series: Series, year: int, seq: int, text: str) -> None:
    assert format_number(series, year, seq) == text
    assert parse_number(text) == (series, year, seq)


def test_i1_parse_returns_named_fields() -> None:
    number = parse_number("AV-2026-00012")
    assert (number.series, number.year, number.seq) == (Series.CREDIT_NOTE, 2026, 12)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "F",
        "F-2026",
        "F-2026-1",
        "F-2026-000001",
        "F-2026-00000",  # sequences start at 1
        "f-2026-00001",
        "av-2026-00001",
        "X-2026-00001",
        "FA-2026-00001",
        "F-26-00001",
        "F-0999-00001",
        "F-2026-00001\n",
        " F-2026-00001",
        "F-2026-00001 ",
        "F_2026_00001",
        "F\u20132026-00001",  # en dash
        "F-\uff12\uff10\uff12\uff16-00001",  # full-width digits
        "F-2026-0000\u0661",  # Arabic-Indic digit one
        "F-2026-00001.pdf",
        "../F-2026-00001",
        "F-2026-00001/pay",
        "F-+2026-00001",
    ],
)
def test_i1_parse_rejects_malformed_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("bad", [None, 12026, b"F-2026-00001"])
def test_i1_parse_rejects_non_strings(bad) -> None:
    with pytest.raises(ValueError):
        parse_number(bad)


@pytest.mark.parametrize(
    ("year", "seq", "error"),
    [
        (2026, 0, ValueError),
        (2026, -1, ValueError),
        (2026, MAX_SEQ + 1, ValueError),
        (999, 1, ValueError),
        (10_000, 1, ValueError),
        (2026, 1.0, TypeError),
        (2026.0, 1, TypeError),
        (2026, True, TypeError),
    ],
)
def test_i1_format_rejects_numbers_it_cannot_print(year, seq, error) -> None:
    with pytest.raises(error):
        format_number(Series.INVOICE, year, seq)


def test_i1_format_accepts_the_series_letters() -> None:
    assert format_number("AV", 2026, 3) == "AV-2026-00003"
    with pytest.raises(ValueError):
        format_number("X", 2026, 3)


@given(st.sampled_from(Series), st.integers(1000, 9999), st.integers(1, MAX_SEQ))
def test_i1_format_and_parse_round_trip(series: Series, year: int, seq: int) -> None:
    assert parse_number(format_number(series, year, seq)) == (series, year, seq)


@given(st.integers(2000, 2100), st.integers(1, MAX_SEQ - 1))
def test_i1_numbers_sort_chronologically_as_text(year: int, seq: int) -> None:
    # Zero padding keeps the text order equal to the issue order within a year.
    assert format_number(Series.INVOICE, year, seq) < format_number(Series.INVOICE, year, seq + 1)


@given(st.text(max_size=20))
def test_i1_parse_never_fails_with_anything_but_value_error(text: str) -> None:
    try:
        series, year, seq = parse_number(text)
    except ValueError:
        return
    assert format_number(series, year, seq) == text
