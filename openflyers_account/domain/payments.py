"""Invoice payment state: an explicit transition table, settlement of payment entries, overdue (I5, M4, R4)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import ZERO, is_whole_cents, require_decimal


class InvoiceState(StrEnum):
    """Where an invoice stands with its payments (I5)."""

    #: Issued, nothing received yet.
    ISSUED = "issued"
    #: Some money received, a balance is still due (M4: partial payments add up).
    PARTIALLY_PAID = "partially_paid"
    #: Fully paid, possibly overpaid; the period goes into production (R4).
    PAID = "paid"
    #: Cancelled by a credit note; final (R2, I5).
    CANCELLED = "cancelled"


class PaymentMethod(StrEnum):
    """How the club paid (M1, M2, M3)."""

    #: Through a payment provider; only its signed notification counts (M1).
    CARD = "card"
    #: SEPA credit transfer, with the invoice's creditor reference (M2).
    TRANSFER = "transfer"
    #: Cheque, later grouped on a deposit slip (M3, M6).
    CHEQUE = "cheque"


class PaymentEvent(StrEnum):
    """What happens to an invoice, as the transition table knows it (I5, M4)."""

    #: Money received (a positive entry).
    PAYMENT = "payment"
    #: Counter-entry cancelling a mistaken payment (a negative entry, M4).
    REVERSAL = "reversal"
    #: Credit note cancelling the invoice (I5).
    CANCELLATION = "cancellation"


class PaymentError(Exception):
    """A payment or state change the rules refuse (I5, M4)."""


class InvoiceCancelled(PaymentError):
    """The invoice was cancelled by a credit note: it takes no payment and no further change (I5)."""


class PaymentAmountInvalid(PaymentError):
    """An entry that is not a whole, non-zero number of cents, or a reversal with no payment to cancel (M4)."""


class IllegalTransition(PaymentError):
    """A state change the transition table does not allow, e.g. cancelling a paid invoice (I5)."""

    def __init__(self, state: InvoiceState, event: PaymentEvent, target: InvoiceState) -> None:
        super().__init__(f"{event} cannot take an invoice from {state} to {target}")
        self.state = state
        self.event = event
        self.target = target


_ANY_PAYMENT_STATE = frozenset({InvoiceState.PARTIALLY_PAID, InvoiceState.PAID})

#: Every allowed change: state -> event -> states it may lead to (I5). Anything missing is refused.
TRANSITIONS: Mapping[InvoiceState, Mapping[PaymentEvent, frozenset[InvoiceState]]] = {
    InvoiceState.ISSUED: {
        PaymentEvent.PAYMENT: _ANY_PAYMENT_STATE,
        # I5: only an invoice with nothing paid is cancelled; money received is reversed first.
        PaymentEvent.CANCELLATION: frozenset({InvoiceState.CANCELLED}),
    },
    InvoiceState.PARTIALLY_PAID: {
        PaymentEvent.PAYMENT: _ANY_PAYMENT_STATE,
        PaymentEvent.REVERSAL: frozenset({InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID}),
    },
    InvoiceState.PAID: {
        # M4: money received on a paid invoice is kept and flagged as overpaid.
        PaymentEvent.PAYMENT: frozenset({InvoiceState.PAID}),
        # Reversing the surplus of an overpaid invoice leaves it paid.
        PaymentEvent.REVERSAL: frozenset({InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID, InvoiceState.PAID}),
    },
    InvoiceState.CANCELLED: {},
}


def check_transition(state: InvoiceState, event: PaymentEvent, target: InvoiceState) -> None:
    """Refuse, with a typed error, any change the transition table does not list (I5)."""
    if target in TRANSITIONS[state].get(event, frozenset()):
        return
    if state is InvoiceState.CANCELLED:
        raise InvoiceCancelled(f"a cancelled invoice takes no {event}")
    raise IllegalTransition(state, event, target)


@dataclass(frozen=True)
class Settlement:
    """An invoice's payment position, derived from its entries, never stored (I5, M4)."""

    state: InvoiceState
    #: Net money received: payments minus their reversals.
    paid: Decimal
    #: What the club still owes; zero once paid or cancelled.
    balance_due: Decimal
    #: Money received beyond the total (or on a cancelled invoice), flagged for staff, never swallowed (M4).
    overpaid: Decimal

    @property
    def fully_paid(self) -> bool:
        """True when the period this invoice pays for goes into production (R4)."""
        return self.state is InvoiceState.PAID


def payment_amount(amount: object) -> Decimal:
    """A payment entry as Decimal euros: whole cents and not zero; negative for a counter-entry (M4)."""
    try:
        value = require_decimal(amount)
    except (TypeError, ValueError) as error:
        raise PaymentAmountInvalid(str(error)) from error
    if value == 0 or not is_whole_cents(value):
        raise PaymentAmountInvalid(f"{value} is not a non-zero whole number of cents")
    return value


def settle(total_incl_vat: Decimal, payments: Sequence[Decimal], cancelled: bool) -> Settlement:
    """State, amount paid, balance due and overpayment of an invoice from its payment entries (I5, M4).

    A negative entry is a counter-entry: it cancels an earlier payment of the same amount (M4).
    """
    total = require_decimal(total_incl_vat, "total_incl_vat")
    if total <= 0:
        raise ValueError(f"an invoice total must be positive, not {total}")
    # Payments not yet reversed, by amount: a reversal must cancel one of them.
    unreversed: Counter[Decimal] = Counter()
    paid = ZERO
    for entry in payments:
        amount = payment_amount(entry)
        if amount > 0:
            unreversed[amount] += 1
        elif unreversed[-amount] > 0:
            unreversed[-amount] -= 1
        else:
            raise PaymentAmountInvalid(f"the reversal {amount} cancels no earlier payment of {-amount}")
        paid += amount
    if cancelled:
        # The credit note brings what is owed to zero: anything kept is owed back to the club.
        return Settlement(InvoiceState.CANCELLED, paid, ZERO, paid)
    if paid == 0:
        state = InvoiceState.ISSUED
    elif paid < total:
        state = InvoiceState.PARTIALLY_PAID
    else:
        state = InvoiceState.PAID
    return Settlement(state, paid, max(total - paid, ZERO), max(paid - total, ZERO))


def record_payment(
    total_incl_vat: Decimal, payments: Sequence[Decimal], cancelled: bool, amount: Decimal
) -> Settlement:
    """The settlement after one more payment (positive) or counter-entry (negative), if the rules allow it (I5, M4)."""
    before = settle(total_incl_vat, payments, cancelled)
    entry = payment_amount(amount)
    event = PaymentEvent.PAYMENT if entry > 0 else PaymentEvent.REVERSAL
    if before.state is InvoiceState.CANCELLED:
        raise InvoiceCancelled(f"a cancelled invoice takes no {event}")
    after = settle(total_incl_vat, (*payments, entry), cancelled)
    check_transition(before.state, event, after.state)
    return after


def payment_identity(method: PaymentMethod, reference: str, bank: str = "", amount: Decimal | None = None,
                     received_on: date | None = None) -> tuple | None:
    """What tells one received cheque or transfer from another, or None when nothing does (M4).

    A cheque is its number at its bank (spaces and case aside). A transfer is the bank's reference
    for it, its amount and its day: clubs paying in instalments put the same words (often the RF
    reference) on every transfer, so the words alone would refuse the second instalment. Two
    entries with the same identity on one invoice are the same money entered twice.
    """
    if method is PaymentMethod.CHEQUE:
        number = "".join(reference.split()).casefold()
        return (method.value, number, " ".join(bank.split()).casefold()) if number else None
    if method is PaymentMethod.TRANSFER:
        text = " ".join(reference.split()).casefold()
        return (method.value, text, amount, received_on) if text else None
    # Card payments are told apart by the provider's event and checkout session (M1).
    return None


def is_overdue(state: InvoiceState, due_date: date, today: date) -> bool:
    """True when money is still due after the due date; derived, never stored (I5)."""
    # The due date itself is still on time.
    return state in (InvoiceState.ISSUED, InvoiceState.PARTIALLY_PAID) and today > due_date
