"""Renewal pricing, VAT and resource limits (rules P2, P3, P4, P5)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.pricing import (
    MAX_RESOURCES,
    BelowResourceFloor,
    ExtraCharge,
    LineKind,
    OfferPrice,
    Quote,
    ResourcesOutOfRange,
    Term,
    VatMention,
    VatTreatment,
    check_resources,
    quote,
    renewal_floor,
    vat_treatment,
)

D = Decimal
FRANCE = VatTreatment(D("20"), VatMention.NONE)
REVERSE_CHARGE = VatTreatment(D("0"), VatMention.REVERSE_CHARGE)
OUTSIDE_EU = VatTreatment(D("0"), VatMention.OUTSIDE_EU)
BUSINESS = OfferPrice("business", D("300.00"), D("12.50"))
FIRST_PRICE = OfferPrice("first_price", D("99.90"), D("7.45"))


def _rows(q: Quote) -> list[tuple]:
    return [(line.kind, line.quantity, line.unit_price, line.amount) for line in q.lines]


# --- Terms (P2) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "years", "percent"),
    [(Term.ONE_YEAR, 1, 0), (Term.THREE_YEARS, 3, 10), (Term.FIVE_YEARS, 5, 15)],
)
def test_p2_terms_and_their_discounts(term: Term, years: int, percent: int) -> None:
    assert term == years == term.years
    assert term.discount_percent == percent
    assert isinstance(term.discount_percent, Decimal)


def test_p2_three_year_term_takes_ten_percent_off() -> None:
    q = quote(BUSINESS, 4, Term.THREE_YEARS, D("0"), FRANCE)
    (term_line,) = [line for line in q.lines if line.kind is LineKind.TERM_DISCOUNT]
    assert term_line.amount == D("-105.00")
    assert term_line.percent == 10 and term_line.years == 3
    assert q.total_excl_vat == D("945.00")


def test_p2_five_year_term_takes_fifteen_percent_off() -> None:
    q = quote(BUSINESS, 4, Term.FIVE_YEARS, D("0"), FRANCE)
    # (300 + 4 x 12.50) x 5 = 1750.00; 15 % = 262.50
    assert _rows(q) == [
        (LineKind.BASE_FEE, 5, D("300.00"), D("1500.00")),
        (LineKind.RESOURCES, 4, D("62.50"), D("250.00")),
        (LineKind.TERM_DISCOUNT, 1, D("-262.50"), D("-262.50")),
    ]
    assert q.total_excl_vat == D("1487.50")


def test_p2_one_year_without_club_discount_has_no_discount_line() -> None:
    q = quote(BUSINESS, 4, Term.ONE_YEAR, D("0"), FRANCE)
    assert [line.kind for line in q.lines] == [LineKind.BASE_FEE, LineKind.RESOURCES]
    assert q.total_excl_vat == D("350.00")


def test_p2_business_three_years_with_club_discount_in_france() -> None:
    """Worked by hand: Business, 4 resources, 3 years, club discount 5 %, France."""
    q = quote(BUSINESS, 4, Term.THREE_YEARS, D("5"), FRANCE)
    assert _rows(q) == [
        (LineKind.BASE_FEE, 3, D("300.00"), D("900.00")),  # 300.00 x 3 years
        (LineKind.RESOURCES, 4, D("37.50"), D("150.00")),  # 4 x (12.50 x 3 years)
        (LineKind.TERM_DISCOUNT, 1, D("-105.00"), D("-105.00")),  # 10 % of 1050.00
        (LineKind.CLUB_DISCOUNT, 1, D("-47.25"), D("-47.25")),  # 5 % of 945.00
    ]
    assert q.total_excl_vat == D("897.75")
    assert q.vat_by_rate == ((D("20"), D("897.75"), D("179.55")),)
    assert q.total_vat == D("179.55")
    assert q.total_incl_vat == D("1077.30")
    assert q.vat is FRANCE
    base, resources, term_line, club_line = q.lines
    assert (base.code, base.years) == ("business", 3)
    assert (resources.resources, resources.years) == (4, 3)
    assert club_line.percent == D("5") and club_line.years is None
    assert all(line.vat_rate == D("20") for line in q.lines)


def test_p2_first_price_five_years_with_odd_figures_and_a_pending_charge() -> None:
    """Worked by hand: each discount line is rounded on its own, the pending charge is not discounted."""
    reset = ExtraCharge("password_reset", "Manual password reset", 1, D("25.00"))
    q = quote(FIRST_PRICE, 3, Term.FIVE_YEARS, D("7.5"), FRANCE, [reset])
    assert _rows(q) == [
        (LineKind.BASE_FEE, 5, D("99.90"), D("499.50")),
        (LineKind.RESOURCES, 3, D("37.25"), D("111.75")),
        (LineKind.TERM_DISCOUNT, 1, D("-91.69"), D("-91.69")),  # 15 % of 611.25 = 91.6875
        (LineKind.CLUB_DISCOUNT, 1, D("-38.97"), D("-38.97")),  # 7.5 % of 519.56 = 38.967
        (LineKind.EXTRA_CHARGE, 1, D("25.00"), D("25.00")),
    ]
    assert q.lines[-1].label == "Manual password reset" and q.lines[-1].code == "password_reset"
    assert q.total_excl_vat == D("505.59")
    assert q.total_vat == D("101.12")  # 20 % of 505.59 = 101.118
    assert q.total_incl_vat == D("606.71")


def test_p2_no_resources_means_no_resource_line() -> None:
    q = quote(BUSINESS, 0, Term.ONE_YEAR, D("0"), FRANCE)
    assert _rows(q) == [(LineKind.BASE_FEE, 1, D("300.00"), D("300.00"))]


def test_p2_full_club_discount_makes_the_renewal_free() -> None:
    q = quote(BUSINESS, 2, Term.THREE_YEARS, D("100"), FRANCE)
    assert q.total_excl_vat == q.total_vat == q.total_incl_vat == D("0.00")


# --- Rounding and VAT (P3) --------------------------------------------------------------------


def test_p3_discount_rounds_half_up_not_half_even() -> None:
    # 5 % of 100.10 = 5.005: half-even would say 5.00.
    q = quote(OfferPrice("x", D("100.10"), D("0")), 0, Term.ONE_YEAR, D("5"), FRANCE)
    assert q.lines[-1].amount == D("-5.01")
    assert q.total_excl_vat == D("95.09")
    assert q.total_vat == D("19.02")  # 19.018
    assert q.total_incl_vat == D("114.11")


def test_p3_vat_is_computed_on_the_total_not_per_line() -> None:
    # Per line: 20 % of 0.03 = 0.006 -> 0.01, twice = 0.02; on the total 0.06 -> 0.012 -> 0.01.
    charges = [ExtraCharge("a", "A", 1, D("0.03")), ExtraCharge("b", "B", 1, D("0.03"))]
    q = quote(OfferPrice("free", D("0"), D("0")), 0, Term.ONE_YEAR, D("0"), FRANCE, charges)
    assert q.total_excl_vat == D("0.06")
    assert q.total_vat == D("0.01")


@pytest.mark.parametrize("vat", [REVERSE_CHARGE, OUTSIDE_EU])
def test_p3_no_vat_outside_france(vat: VatTreatment) -> None:
    q = quote(BUSINESS, 4, Term.THREE_YEARS, D("5"), vat)
    assert q.total_excl_vat == q.total_incl_vat == D("897.75")
    assert q.vat_by_rate == ((D("0"), D("897.75"), D("0.00")),)
    assert q.vat.mention is vat.mention
    assert all(line.vat_rate == 0 for line in q.lines)


@pytest.mark.parametrize(
    ("country", "vat_number", "rate", "mention"),
    [
        ("FR", None, "20", VatMention.NONE),
        ("FR", "FR40303265045", "20", VatMention.NONE),
        ("fr", "", "20", VatMention.NONE),
        ("MC", None, "20", VatMention.NONE),  # Monaco is French VAT territory
        ("DE", "DE136695976", "0", VatMention.REVERSE_CHARGE),
        ("DE", "de 136 695 976", "0", VatMention.REVERSE_CHARGE),
        ("BE", "BE0403019261", "0", VatMention.REVERSE_CHARGE),
        ("AT", "ATU13585627", "0", VatMention.REVERSE_CHARGE),
        ("NL", "NL004495445B01", "0", VatMention.REVERSE_CHARGE),
        ("GR", "EL094259216", "0", VatMention.REVERSE_CHARGE),  # Greece's VAT prefix is EL
        ("GR", "GR094259216", "20", VatMention.NONE),  # not a valid intra-EU prefix
        ("DE", "DE136695977", "20", VatMention.NONE),  # bad check digit
        ("DE", "136695976", "20", VatMention.NONE),  # no country prefix
        ("DE", "FR40303265045", "20", VatMention.NONE),  # valid, but another country's
        ("DE", None, "20", VatMention.NONE),  # EU customer without a VAT number
        ("IE", "not a number", "20", VatMention.NONE),
        ("CH", None, "0", VatMention.OUTSIDE_EU),
        ("GB", "GB980780684", "0", VatMention.OUTSIDE_EU),
        ("US", None, "0", VatMention.OUTSIDE_EU),
    ],
)
def test_p3_vat_treatment_by_country_and_vat_number(
    country: str, vat_number: str | None, rate: str, mention: VatMention
) -> None:
    assert vat_treatment(country, vat_number) == VatTreatment(D(rate), mention)


@pytest.mark.parametrize("country", ["", "F", "FRA", "12", "é1", "F\u0131"])
def test_p3_vat_treatment_needs_an_iso_country_code(country: str) -> None:
    with pytest.raises(ValueError):
        vat_treatment(country, None)


def test_p3_vat_treatment_knows_the_27_member_states() -> None:
    from openflyers_account.domain.pricing import EU_VAT_PREFIXES

    assert len(EU_VAT_PREFIXES) == 27
    assert "GB" not in EU_VAT_PREFIXES and EU_VAT_PREFIXES["GR"] == "EL"


# --- Input validation (P3, P5) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"resources": -1}, ValueError),
        ({"resources": MAX_RESOURCES + 1}, ValueError),
        ({"resources": 2.0}, ValueError),
        ({"resources": True}, ValueError),
        ({"term": 2}, ValueError),
        ({"term": 3.0}, TypeError),
        ({"club_discount_percent": D("-0.01")}, ValueError),
        ({"club_discount_percent": D("100.01")}, ValueError),
        ({"club_discount_percent": D("NaN")}, ValueError),
        ({"club_discount_percent": 5.0}, TypeError),
    ],
)
def test_p3_p5_quote_rejects_bad_input(kwargs: dict, error: type[Exception]) -> None:
    args = {"offer": BUSINESS, "resources": 4, "term": Term.ONE_YEAR, "club_discount_percent": D("0"), "vat": FRANCE}
    with pytest.raises(error):
        quote(**(args | kwargs))


def test_p5_out_of_range_resources_are_a_typed_error() -> None:
    with pytest.raises(ResourcesOutOfRange) as caught:
        quote(BUSINESS, 1000, Term.ONE_YEAR, D("0"), FRANCE)
    assert caught.value.requested == 1000 and caught.value.maximum == 999


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: OfferPrice("x", 300.0, D("1")), TypeError),
        (lambda: OfferPrice("x", D("300"), 12.5), TypeError),
        (lambda: OfferPrice("x", D("-1"), D("1")), ValueError),
        (lambda: OfferPrice("x", D("300.001"), D("1")), ValueError),
        (lambda: ExtraCharge("c", "C", 0, D("10")), ValueError),
        (lambda: ExtraCharge("c", "C", 1.0, D("10")), TypeError),
        (lambda: ExtraCharge("c", "C", 1, 10.0), TypeError),
        (lambda: ExtraCharge("c", "C", 1, D("0.005")), ValueError),
        (lambda: VatTreatment(20.0, VatMention.NONE), TypeError),
        (lambda: VatTreatment(D("120"), VatMention.NONE), ValueError),
    ],
)
def test_p3_prices_are_decimal_whole_cents(build, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_p3_prices_are_kept_with_two_decimals() -> None:
    offer = OfferPrice("x", D("300"), 12)
    assert str(offer.base_fee) == "300.00" and str(offer.per_resource_fee) == "12.00"


# --- Resource floor and range (P4, P5) --------------------------------------------------------


@pytest.mark.parametrize("activated", [0, 1, 4, 999])
def test_p4_floor_is_the_number_of_activated_resources(activated: int) -> None:
    assert renewal_floor(activated) == activated


@pytest.mark.parametrize(("activated", "error"), [(-1, ValueError), (1.0, TypeError), (None, TypeError)])
def test_p4_floor_rejects_nonsense(activated, error: type[Exception]) -> None:
    with pytest.raises(error):
        renewal_floor(activated)


@pytest.mark.parametrize(("requested", "activated"), [(4, 4), (5, 4), (999, 4), (0, 0), (999, 999)])
def test_p4_p5_resources_from_the_floor_up_to_999_are_accepted(requested: int, activated: int) -> None:
    check_resources(requested, activated)


@pytest.mark.parametrize(("requested", "activated"), [(3, 4), (0, 1), (998, 999)])
def test_p4_below_the_floor_says_which_floor(requested: int, activated: int) -> None:
    with pytest.raises(BelowResourceFloor) as caught:
        check_resources(requested, activated)
    assert (caught.value.floor, caught.value.requested) == (activated, requested)


@pytest.mark.parametrize(
    ("requested", "activated"), [(1000, 4), (-1, 0), (-1, 4), (2.5, 0), (4.0, 4), (True, 0), ("4", 4)]
)
def test_p5_resources_outside_whole_numbers_up_to_999_are_out_of_range(requested, activated: int) -> None:
    with pytest.raises(ResourcesOutOfRange) as caught:
        check_resources(requested, activated)
    assert (caught.value.minimum, caught.value.maximum) == (activated, 999)


# --- Properties (P2, P3) ----------------------------------------------------------------------


def _half_up(x: Fraction) -> Fraction:
    """Independent half-up rounding to the cent (non-negative amounts only)."""
    assert x >= 0
    return Fraction(int(x * 100 + Fraction(1, 2)), 100)


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
percents = st.integers(min_value=0, max_value=10_000).map(lambda c: Decimal(c).scaleb(-2))
offers = st.builds(OfferPrice, st.just("offer"), cents, cents)
extra_charges = st.lists(
    st.builds(ExtraCharge, st.just("item"), st.just("Item"), st.integers(1, 5), cents), max_size=3
)
vats = st.sampled_from([FRANCE, REVERSE_CHARGE, OUTSIDE_EU])
quote_args = st.tuples(offers, st.integers(0, MAX_RESOURCES), st.sampled_from(Term), percents, vats, extra_charges)


@given(quote_args)
def test_p3_lines_add_up_to_the_totals(args) -> None:
    q = quote(*args)
    assert sum(line.amount for line in q.lines) == q.total_excl_vat
    assert sum(vat.base for vat in q.vat_by_rate) == q.total_excl_vat
    assert sum(vat.vat_amount for vat in q.vat_by_rate) == q.total_vat
    assert q.total_incl_vat == q.total_excl_vat + q.total_vat
    assert q.total_excl_vat >= 0


@given(quote_args)
def test_p3_every_amount_has_two_decimals_and_quantity_times_unit_price_is_exact(args) -> None:
    q = quote(*args)
    amounts = [q.total_excl_vat, q.total_vat, q.total_incl_vat]
    amounts += [x for line in q.lines for x in (line.unit_price, line.amount)]
    amounts += [x for vat in q.vat_by_rate for x in (vat.base, vat.vat_amount)]
    assert all(a.as_tuple().exponent == -2 for a in amounts)
    assert all(line.quantity * line.unit_price == line.amount for line in q.lines)


@given(quote_args)
def test_p2_discount_lines_never_exceed_the_subtotal(args) -> None:
    q = quote(*args)
    by_kind = {line.kind: line.amount for line in q.lines}
    subtotal = by_kind[LineKind.BASE_FEE] + by_kind.get(LineKind.RESOURCES, 0)
    term_discount = -by_kind.get(LineKind.TERM_DISCOUNT, 0)
    club_discount = -by_kind.get(LineKind.CLUB_DISCOUNT, 0)
    assert 0 <= term_discount <= subtotal
    assert 0 <= club_discount <= subtotal - term_discount
    # Discount lines are left out rather than printed as 0.00.
    assert all(line.amount != 0 for line in q.lines if line.kind in {LineKind.TERM_DISCOUNT, LineKind.CLUB_DISCOUNT})


@given(quote_args)
def test_p3_no_cent_is_lost_or_invented(args) -> None:
    offer, resources, term, club_percent, vat, charges = args
    q = quote(*args)

    # Independent exact computation with fractions, rounding each line as the rule says.
    years = int(term)
    subtotal = (Fraction(offer.base_fee) + Fraction(offer.per_resource_fee) * resources) * years
    term_discount = _half_up(subtotal * Fraction(term.discount_percent) / 100)
    club_discount = _half_up((subtotal - term_discount) * Fraction(club_percent) / 100)
    extras = sum((Fraction(c.unit_price) * c.quantity for c in charges), Fraction(0))
    excl_vat = subtotal - term_discount - club_discount + extras
    vat_amount = _half_up(excl_vat * Fraction(vat.rate) / 100)
    assert Fraction(q.total_excl_vat) == excl_vat
    assert Fraction(q.total_vat) == vat_amount
    assert Fraction(q.total_incl_vat) == excl_vat + vat_amount

    # And without any rounding the price differs by at most one half-cent per rounded discount.
    unrounded = subtotal * (1 - Fraction(term.discount_percent) / 100) * (1 - Fraction(club_percent) / 100) + extras
    assert abs(Fraction(q.total_excl_vat) - unrounded) <= Fraction(1, 100)
    assert abs(Fraction(q.total_vat) - Fraction(q.total_excl_vat) * Fraction(vat.rate) / 100) <= Fraction(1, 200)
