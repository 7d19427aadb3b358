"""A statement of account (K2): what a club or a partner was billed and paid, with a running balance.

Pure rules: the movements come in, the lines with their balance come out. A positive balance is owed to us.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import ZERO


class MovementKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    #: A counter-entry cancelling a payment (M4).
    REVERSAL = "reversal"


#: Same day: the documents before the money, so a day's balance never dips below zero for nothing; payments and
#: their reversals in the order they were recorded (a reversal follows the payment it cancels).
_ORDER = {MovementKind.INVOICE: 0, MovementKind.CREDIT_NOTE: 1, MovementKind.PAYMENT: 2, MovementKind.REVERSAL: 2}


@dataclass(frozen=True)
class Movement:
    """One document or payment on the account; `amount` is positive, `kind` says which way it goes."""

    day: date
    kind: MovementKind
    #: The document's number, or the invoice number a payment went to.
    reference: str
    #: How it was made: a payment's method and reference; empty for documents.
    detail: str
    amount: Decimal
    #: Ties on the same day and kind keep the order things were recorded in.
    sequence: int = 0

    @property
    def debit(self) -> Decimal:
        """What it adds to the balance: invoices, and payments reversed."""
        return self.amount if self.kind in (MovementKind.INVOICE, MovementKind.REVERSAL) else ZERO

    @property
    def credit(self) -> Decimal:
        """What it takes off the balance: credit notes and payments."""
        return self.amount if self.kind in (MovementKind.CREDIT_NOTE, MovementKind.PAYMENT) else ZERO


@dataclass(frozen=True)
class StatementLine:
    movement: Movement
    #: The balance after this movement.
    balance: Decimal


@dataclass(frozen=True)
class AccountStatement:
    start: date
    end: date
    opening: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def total_debit(self) -> Decimal:
        return sum((line.movement.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.movement.credit for line in self.lines), ZERO)


def in_order(movements: Iterable[Movement]) -> list[Movement]:
    return sorted(movements, key=lambda m: (m.day, _ORDER[m.kind], m.sequence))


def account_statement(start: date, end: date, movements: Iterable[Movement]) -> AccountStatement:
    """The statement from `start` to `end` (both included): the balance before `start`, then each movement of the
    range with the balance after it (K2)."""
    if start > end:
        raise ValueError("the statement starts after it ends")
    opening = ZERO
    lines: list[StatementLine] = []
    balance = ZERO
    for movement in in_order(movements):
        if movement.day > end:
            break
        balance += movement.debit - movement.credit
        if movement.day < start:
            opening = balance
        else:
            lines.append(StatementLine(movement, balance))
    return AccountStatement(start, end, opening, tuple(lines))
