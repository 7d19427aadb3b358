"""Credit notes for chosen lines: each line net of its share of the discounts, never a cent too many (I2, P2, P3)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.money import ZERO, percent_of
from openflyers_account.domain.pricing import FRENCH_VAT_RATE, ExtraCharge, OfferPrice, Term, VatMention, \
    VatTreatment, quote
from openflyers_account.domain.credit_notes import CreditedBefore, InvoicedLine, credit_for

NOTHING_BEFORE = CreditedBefore(by_line={}, by_rate={})
FRANCE = VatTreatment(FRENCH_VAT_RATE, VatMention.NONE)


def invoiced(*amounts: tuple[str, str]) -> list[InvoicedLine]:
    return [InvoicedLine(index, kind, Decimal(amount), FRENCH_VAT_RATE)
            for index, (kind, amount) in enumerate(amounts, 1)]


def after(lines: list[InvoicedLine], *credits) -> CreditedBefore:
    """What the given credits, issued one after the other, credited."""
    by_line: dict[int, Decimal] = {}
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for credit in credits:
        for part in credit.lines:
            by_line[part.line.line_id] = by_line.get(part.line.line_id, ZERO) + part.amount_excl_vat
        for rate, base, vat in credit.vat_by_rate:
            old_base, old_vat = by_rate.get(rate, (ZERO, ZERO))
            by_rate[rate] = (old_base + base, old_vat + vat)
    return CreditedBefore(by_line, by_rate)


def test_i2_p2_a_chosen_line_takes_its_share_of_each_discount():
    lines = invoiced(("base_fee", "900.00"), ("resources", "540.00"), ("term_discount", "-144.00"),
                     ("club_discount", "-64.80"), ("extra_charge", "15.00"))
    credit = credit_for(lines, {2}, NOTHING_BEFORE)
    assert [(part.line.line_id, part.amount_excl_vat) for part in credit.lines] == [
        (2, Decimal("540.00")), (3, Decimal("-54.00")), (4, Decimal("-24.30"))]
    assert (credit.total_excl_vat, credit.total_vat, credit.total_incl_vat) == (
        Decimal("461.70"), Decimal("92.34"), Decimal("554.04"))


def test_a6_a_pending_charge_is_credited_whole_and_takes_no_discount():
    lines = invoiced(("base_fee", "300.00"), ("club_discount", "-30.00"), ("extra_charge", "15.00"))
    credit = credit_for(lines, {3}, NOTHING_BEFORE)
    assert [(part.line.line_id, part.amount_excl_vat) for part in credit.lines] == [(3, Decimal("15.00"))]


def test_i2_p3_the_rounding_cent_is_kept_for_the_last_piece():
    # Three equal lines share a 0.10 discount: 0.03, 0.04 (0.07 so far), 0.03 (0.10); VAT likewise.
    lines = invoiced(("base_fee", "0.05"), ("resources", "0.05"), ("resources", "0.05"),
                     ("club_discount", "-0.10"))
    first = credit_for(lines, {1}, NOTHING_BEFORE)
    second = credit_for(lines, {2}, after(lines, first))
    third = credit_for(lines, {3}, after(lines, first, second))
    assert [credit.lines[1].amount_excl_vat for credit in (first, second, third)] == [
        Decimal("-0.03"), Decimal("-0.04"), Decimal("-0.03")]
    assert sum(credit.total_excl_vat for credit in (first, second, third)) == Decimal("0.05")
    assert sum(credit.total_vat for credit in (first, second, third)) == percent_of(Decimal("0.05"), FRENCH_VAT_RATE)


cents = st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c).scaleb(-2))
percents = st.integers(min_value=0, max_value=9_900).map(lambda c: Decimal(c).scaleb(-2))
charges = st.lists(st.builds(ExtraCharge, st.just("item"), st.just("Item"), st.integers(1, 5), cents), max_size=3)


@given(st.builds(OfferPrice, st.just("offer"), cents, cents), st.integers(0, 999), st.sampled_from(Term), percents,
       charges, st.randoms(use_true_random=False))
def test_i2_p3_an_invoice_credited_in_pieces_is_credited_exactly_never_more(offer, resources, term, club_percent,
                                                                         extra, random):
    priced = quote(offer, resources, term, club_percent, FRANCE, extra)
    lines = [InvoicedLine(index, line.kind.value, line.amount, line.vat_rate)
             for index, line in enumerate(priced.lines, 1)]
    choosable = [line.line_id for line in lines if line.kind not in ("term_discount", "club_discount")]
    random.shuffle(choosable)
    pieces: list[list[int]] = []
    for line_id in choosable:
        if pieces and random.random() < 0.4:
            pieces[-1].append(line_id)
        else:
            pieces.append([line_id])

    credits = []
    for piece in pieces:
        credit = credit_for(lines, set(piece), after(lines, *credits))
        credits.append(credit)
        assert all(part.amount_excl_vat <= 0 for part in credit.lines if part.line.line_id not in piece)
        assert sum(c.total_incl_vat for c in credits) <= priced.total_incl_vat
        for rate, base, vat in credit.vat_by_rate:  # within a cent of the rate: EN 16931 BR-CO-17
            assert abs(vat - percent_of(base, rate)) <= Decimal("0.01")
    assert sum(c.total_excl_vat for c in credits) == priced.total_excl_vat
    assert sum(c.total_vat for c in credits) == priced.total_vat
    assert sum(c.total_incl_vat for c in credits) == priced.total_incl_vat
    credited = after(lines, *credits).by_line
    assert all(credited[line.line_id] == line.amount_excl_vat for line in lines if line.amount_excl_vat)
