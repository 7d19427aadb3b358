"""Invoice payment state: transition table, settlement, overdue (I5, M4, R4)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openflyers_account.domain.payments import (
    TRANSITIONS,
    IllegalTransition,
    InvoiceCancelled,
    InvoiceState,
    PaymentAmountInvalid,
    PaymentEvent,
    PaymentMethod,
    Settlement,
    check_transition,
    is_overdue,
    payment_identity,
    record_payment,
    settle,
)

D = Decimal
ISSUED, PARTIALLY_PAID, PAID, CANCELLED = (
    InvoiceState.ISSUED,
    InvoiceState.PARTIALLY_PAID,
    InvoiceState.PAID,
    InvoiceState.CANCELLED,
)
PAYMENT, REVERSAL, CANCELLATION = PaymentEvent.PAYMENT, PaymentEvent.REVERSAL, PaymentEvent.CANCELLATION

#: The rules, written out once more by hand: every allowed (state, event, new state).
ALLOWED = {
    (ISSUED, PAYMENT, PARTIALLY_PAID),
    (ISSUED, PAYMENT, PAID),
    (ISSUED, CANCELLATION, CANCELLED),
    (PARTIALLY_PAID, PAYMENT, PARTIALLY_PAID),
    (PARTIALLY_PAID, PAYMENT, PAID),
    (PARTIALLY_PAID, REVERSAL, ISSUED),
    (PARTIALLY_PAID, REVERSAL, PARTIALLY_PAID),
    (PAID, PAYMENT, PAID),
    (PAID, REVERSAL, ISSUED),
    (PAID, REVERSAL, PARTIALLY_PAID),
    (PAID, REVERSAL, PAID),
}
EVERY_TRANSITION = list(product(InvoiceState, PaymentEvent, InvoiceState))


def test_i5_transition_table_lists_exactly_the_allowed_changes() -> None:
    listed = {
        (state, event, target)
        for state, events in TRANSITIONS.items()
        for event, targets in events.items()
        for target in targets
    }
    assert listed == ALLOWED
    assert set(TRANSITIONS) == set(InvoiceState)


@pytest.mark.parametrize(("state", "event", "target"), EVERY_TRANSITION, ids=lambda value: str(value))
def test_i5_every_transition_is_allowed_or_refused_with_a_typed_error(
    state: InvoiceState, event: PaymentEvent, target: InvoiceState
) -> None:
    if (state, event, target) in ALLOWED:
        check_transition(state, event, target)
    elif state is CANCELLED:
        with pytest.raises(InvoiceCancelled):
            check_transition(state, event, target)
    else:
        with pytest.raises(IllegalTransition) as refused:
            check_transition(state, event, target)
        assert (refused.value.state, refused.value.event, refused.value.target) == (state, event, target)


@pytest.mark.parametrize(
    ("payments", "cancelled", "expected"),
    [
        ([], False, Settlement(ISSUED, D("0.00"), D("1200.00"), D("0.00"))),
        ([D("200.00")], False, Settlement(PARTIALLY_PAID, D("200.00"), D("1000.00"), D("0.00"))),
        # M4: partial payments add up.
        ([D("200.00"), D("1000.00")], False, Settlement(PAID, D("1200.00"), D("0.00"), D("0.00"))),
        # M4: an overpayment is flagged, not swallowed.
        ([D("1200.00"), D("50.00")], False, Settlement(PAID, D("1250.00"), D("0.00"), D("50.00"))),
        ([D("1250.00")], False, Settlement(PAID, D("1250.00"), D("0.00"), D("50.00"))),
        # M4: a mistaken entry is reversed by a counter-entry, never deleted.
        ([D("1200.00"), D("-1200.00")], False, Settlement(ISSUED, D("0.00"), D("1200.00"), D("0.00"))),
        (
            [D("200.00"), D("1000.00"), D("-200.00")],
            False,
            Settlement(PARTIALLY_PAID, D("1000.00"), D("200.00"), D("0.00")),
        ),
        ([D("1200.00"), D("50.00"), D("-50.00")], False, Settlement(PAID, D("1200.00"), D("0.00"), D("0.00"))),
        # I5: cancelled by a credit note; nothing is owed, money kept is owed back.
        ([], True, Settlement(CANCELLED, D("0.00"), D("0.00"), D("0.00"))),
        ([D("100.00"), D("-100.00")], True, Settlement(CANCELLED, D("0.00"), D("0.00"), D("0.00"))),
        ([D("100.00")], True, Settlement(CANCELLED, D("100.00"), D("0.00"), D("100.00"))),
    ],
)
def test_m4_settlement_adds_up_payments_and_counter_entries(
    payments: list[Decimal], cancelled: bool, expected: Settlement
) -> None:
    assert settle(D("1200.00"), payments, cancelled) == expected


@pytest.mark.parametrize(
    "payments",
    [
        # A reversal must cancel an earlier payment of the same amount.
        [D("-100.00")],
        [D("100.00"), D("-50.00")],
        [D("-100.00"), D("100.00")],
        [D("100.00"), D("-100.00"), D("-100.00")],
        # Entries are whole, non-zero cents, never float (P3).
        [D("0.00")],
        [D("10.005")],
        [D("Infinity")],
        [10.5],
    ],
)
def test_m4_invalid_entries_are_refused(payments: list[Decimal]) -> None:
    with pytest.raises(PaymentAmountInvalid):
        settle(D("1200.00"), payments, False)


@pytest.mark.parametrize(
    ("payments", "amount", "state", "overpaid"),
    [
        ([], D("200.00"), PARTIALLY_PAID, D("0.00")),
        ([], D("1200.00"), PAID, D("0.00")),
        ([D("200.00")], D("1000.00"), PAID, D("0.00")),
        ([D("1200.00")], D("30.00"), PAID, D("30.00")),
        ([D("1200.00")], D("-1200.00"), ISSUED, D("0.00")),
        ([D("200.00"), D("1000.00")], D("-1000.00"), PARTIALLY_PAID, D("0.00")),
    ],
)
def test_m4_recording_an_entry_moves_the_state(
    payments: list[Decimal], amount: Decimal, state: InvoiceState, overpaid: Decimal
) -> None:
    after = record_payment(D("1200.00"), payments, False, amount)
    assert (after.state, after.overpaid) == (state, overpaid)


def test_i5_cancelled_invoice_takes_no_payment() -> None:
    with pytest.raises(InvoiceCancelled):
        record_payment(D("1200.00"), [], True, D("1200.00"))


def test_m4_reversal_without_a_payment_is_refused() -> None:
    with pytest.raises(PaymentAmountInvalid):
        record_payment(D("1200.00"), [], False, D("-1200.00"))


@pytest.mark.parametrize("state", [PARTIALLY_PAID, PAID])
def test_i5_invoice_with_money_received_is_not_cancelled(state: InvoiceState) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(state, CANCELLATION, CANCELLED)


@pytest.mark.parametrize(
    ("payments", "fully_paid"),
    [([], False), ([D("600.00")], False), ([D("1200.00")], True), ([D("1300.00")], True)],
)
def test_r4_period_goes_live_only_when_the_invoice_is_fully_paid(payments: list[Decimal], fully_paid: bool) -> None:
    assert settle(D("1200.00"), payments, False).fully_paid is fully_paid


@pytest.mark.parametrize(
    ("state", "today", "overdue"),
    [
        (ISSUED, date(2026, 2, 14), False),
        # The due date itself is still on time.
        (ISSUED, date(2026, 2, 15), False),
        (ISSUED, date(2026, 2, 16), True),
        (PARTIALLY_PAID, date(2026, 2, 16), True),
        (PAID, date(2026, 2, 16), False),
        (CANCELLED, date(2026, 2, 16), False),
    ],
)
def test_i5_overdue_is_derived_from_the_due_date(state: InvoiceState, today: date, overdue: bool) -> None:
    assert is_overdue(state, due_date=date(2026, 2, 15), today=today) is overdue


def test_m1_m3_payment_methods() -> None:
    assert [method.value for method in PaymentMethod] == ["card", "transfer", "cheque"]


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda value: Decimal(value).scaleb(-2))


@st.composite
def entries_with_reversals(draw: st.DrawFn) -> list[Decimal]:
    """Payments, then counter-entries of some of them, interleaved after the entry they cancel."""
    payments = draw(st.lists(cents, max_size=8))
    entries: list[Decimal] = []
    for payment in payments:
        entries.append(payment)
        if draw(st.booleans()):
            entries.append(-payment)
    return entries


@given(cents, entries_with_reversals())
def test_m4_settlement_accounts_for_every_cent(total: Decimal, entries: list[Decimal]) -> None:
    settlement = settle(total, entries, cancelled=False)
    assert settlement.paid + settlement.balance_due - settlement.overpaid == total
    assert settlement.paid == sum(entries, Decimal(0))
    assert settlement.balance_due >= 0 and settlement.overpaid >= 0
    # Never both owing and overpaid.
    assert settlement.balance_due == 0 or settlement.overpaid == 0
    assert (settlement.state is PAID) == (settlement.balance_due == 0)


@given(cents, entries_with_reversals())
def test_i5_cancelled_invoice_owes_nothing_and_flags_money_kept(total: Decimal, entries: list[Decimal]) -> None:
    settlement = settle(total, entries, cancelled=True)
    assert settlement.state is CANCELLED
    assert settlement.balance_due == 0
    assert settlement.overpaid == settlement.paid


@given(cents, entries_with_reversals(), cents)
def test_i5_recorded_payments_only_follow_listed_transitions(
    total: Decimal, entries: list[Decimal], amount: Decimal
) -> None:
    before = settle(total, entries, cancelled=False)
    after = record_payment(total, entries, False, amount)
    assert (before.state, PAYMENT, after.state) in ALLOWED
    assert after.paid == before.paid + amount


CHEQUE, TRANSFER, CARD = PaymentMethod.CHEQUE, PaymentMethod.TRANSFER, PaymentMethod.CARD
EURO, DAY = Decimal("100.00"), date(2026, 12, 2)


@pytest.mark.parametrize("first, second, same", [
    ((CHEQUE, "1234567", "LCL"), (CHEQUE, "1234567", "LCL"), True),
    ((CHEQUE, "1234567", "LCL"), (CHEQUE, " 123 4567 ", "lcl"), True),
    ((CHEQUE, "1234567", "Crédit  Agricole"), (CHEQUE, "1234567", "crédit agricole"), True),
    ((CHEQUE, "1234567", "LCL"), (CHEQUE, "1234568", "LCL"), False),
    ((CHEQUE, "1234567", "LCL"), (CHEQUE, "1234567", "BNP"), False),
    ((CHEQUE, "1234567", ""), (TRANSFER, "1234567", ""), False),
    ((TRANSFER, "VIR MERMOZ 42", "", EURO, DAY), (TRANSFER, "vir  mermoz 42", "ignored", EURO, DAY), True),
    ((TRANSFER, "VIR MERMOZ 42", "", EURO, DAY), (TRANSFER, "VIR MERMOZ 43", "", EURO, DAY), False),
    # Instalments carry the same words: another amount or another day is other money.
    ((TRANSFER, "RF18F2026000012", "", EURO, DAY), (TRANSFER, "RF18F2026000012", "", Decimal("100.01"), DAY), False),
    ((TRANSFER, "RF18F2026000012", "", EURO, DAY), (TRANSFER, "RF18F2026000012", "", EURO, date(2026, 12, 3)), False),
])
def test_m4_a_cheque_is_its_number_and_bank_a_transfer_its_reference_amount_and_day(first, second, same):
    assert (payment_identity(*first) == payment_identity(*second)) is same
    assert payment_identity(*first) is not None


@pytest.mark.parametrize("method, reference, bank", [
    (CHEQUE, "", "LCL"), (CHEQUE, "   ", "LCL"), (TRANSFER, "", ""), (CARD, "cs_test_1", ""),
])
def test_m4_an_entry_without_a_reference_is_never_taken_for_another(method, reference, bank):
    assert payment_identity(method, reference, bank) is None
