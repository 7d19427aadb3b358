"""What a credit note for chosen lines credits: each line with its share of the discounts (I2, P2, P3).

Plain values in and out, no Flask and no database. The term and club discounts of an invoice are
discounts on its base fee and resources lines (P2): a credit note for some of those lines credits
them net of their part of each discount, in proportion to their amounts. Shares and VAT are worked
out on what is credited *so far*, then the earlier credit notes are taken off: each figure is
rounded half-up to the cent once, so crediting an invoice in several pieces credits exactly the
invoice, never a cent more.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .money import ZERO, percent_of, round_fraction_cents
from .pricing import LineKind

#: Lines that are discounts on other lines, credited with them, never on their own (P2).
DISCOUNT_KINDS = frozenset({LineKind.TERM_DISCOUNT.value, LineKind.CLUB_DISCOUNT.value})
#: Lines the term and club discounts apply to (P2); pending charges (A6) are never discounted.
DISCOUNTED_KINDS = frozenset({LineKind.BASE_FEE.value, LineKind.RESOURCES.value, LineKind.ADDED_RESOURCES.value})


@dataclass(frozen=True)
class InvoicedLine:
    """A line of the invoice being credited."""

    line_id: int
    kind: str
    amount_excl_vat: Decimal
    vat_rate: Decimal

    @property
    def is_discount(self) -> bool:
        return self.kind in DISCOUNT_KINDS


@dataclass(frozen=True)
class CreditedBefore:
    """What the invoice's earlier credit notes credited."""

    #: Amount excl. VAT credited so far per invoice line id (a discount's shares add up, negative).
    by_line: Mapping[int, Decimal]
    #: (base, VAT) credited so far per VAT rate, from the earlier notes' VAT breakdown.
    by_rate: Mapping[Decimal, tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class CreditLine:
    """A line of the credit note: the invoice line it credits and the amount excl. VAT."""

    line: InvoicedLine
    amount_excl_vat: Decimal

    @property
    def is_whole_line(self) -> bool:
        """True when the line is credited in full here (a discount may be credited in shares)."""
        return self.amount_excl_vat == self.line.amount_excl_vat


@dataclass(frozen=True)
class Credit:
    """A credit note's lines, VAT per rate and totals (I2, P3)."""

    lines: tuple[CreditLine, ...]
    #: (rate, base, VAT) per rate.
    vat_by_rate: tuple[tuple[Decimal, Decimal, Decimal], ...]
    total_excl_vat: Decimal
    total_vat: Decimal

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.total_vat


def credit_for(lines: Sequence[InvoicedLine], chosen: Collection[int], before: CreditedBefore) -> Credit:
    """The credit note for the `chosen` lines (none a discount, none credited before), with their discount shares."""
    chosen_lines = [line for line in lines if line.line_id in chosen]
    discounted = [line for line in lines if line.kind in DISCOUNTED_KINDS]
    discounted_total = sum((line.amount_excl_vat for line in discounted), ZERO)
    discounted_so_far = sum((line.amount_excl_vat for line in discounted
                             if line.line_id in chosen or line.line_id in before.by_line), ZERO)
    credit_lines = [CreditLine(line, line.amount_excl_vat) for line in chosen_lines]
    for discount in (line for line in lines if line.is_discount):
        if not discounted_total:
            continue
        so_far = round_fraction_cents(Fraction(discount.amount_excl_vat) * Fraction(discounted_so_far)
                                      / Fraction(discounted_total))
        share = so_far - before.by_line.get(discount.line_id, ZERO)
        if share < 0:  # a discount only ever lowers what is credited
            credit_lines.append(CreditLine(discount, share))

    bases: dict[Decimal, Decimal] = {}
    for credit_line in credit_lines:
        rate = credit_line.line.vat_rate
        bases[rate] = bases.get(rate, ZERO) + credit_line.amount_excl_vat
    vat_by_rate = []
    for rate, base in sorted(bases.items()):
        base_before, vat_before = before.by_rate.get(rate, (ZERO, ZERO))
        vat_by_rate.append((rate, base, percent_of(base_before + base, rate) - vat_before))
    return Credit(
        lines=tuple(credit_lines),
        vat_by_rate=tuple(vat_by_rate),
        total_excl_vat=sum(bases.values(), ZERO),
        total_vat=sum((row[2] for row in vat_by_rate), ZERO),
    )
