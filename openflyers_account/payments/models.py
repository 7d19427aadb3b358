"""Money received: payments, declarations, card checkouts, bank statements, deposit slips (rules M1-M6)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..billing.models import Invoice
from ..domain.payments import PaymentMethod
from ..extensions import db
from ..storage import Money, UTCDateTime, utcnow


class DepositSlip(db.Model):
    """A numbered slip grouping received cheques for the bank (rule M6)."""

    __tablename__ = "deposit_slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: B-2026-0001: numbered per year.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))


class BankStatement(db.Model):
    """An imported CAMT.053 statement; the same file or statement is imported once (rule M5)."""

    __tablename__ = "bank_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The bank's statement id (Stmt/Id).
    statement_ref: Mapped[str] = mapped_column(String(100), unique=True)
    account_iban: Mapped[str] = mapped_column(String(40), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(254))

    entries: Mapped[list["BankStatementEntry"]] = relationship(
        back_populates="statement", order_by="BankStatementEntry.id", lazy="selectin"
    )


class StatementEntryStatus(enum.StrEnum):
    #: Waiting for staff: a match is proposed or none was found.
    PENDING = "pending"
    #: Staff confirmed it: a payment was recorded.
    CONFIRMED = "confirmed"
    #: Staff set it aside (not an invoice payment).
    IGNORED = "ignored"


class BankStatementEntry(db.Model):
    """One credit entry of a statement, with the invoice it was matched to (rule M5)."""

    __tablename__ = "bank_statement_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), index=True)
    #: The bank's own reference of the entry: importing it again records nothing twice.
    entry_ref: Mapped[str] = mapped_column(String(140), unique=True)
    booking_date: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    debtor_name: Mapped[str] = mapped_column(String(200), default="")
    remittance: Mapped[str] = mapped_column(String(500), default="")
    creditor_reference: Mapped[str] = mapped_column(String(40), default="")
    #: The invoice proposed by matching: by reference, invoice number, or suggested (M5).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True)
    match_method: Mapped[str] = mapped_column(String(20), default="none")
    status: Mapped[StatementEntryStatus] = mapped_column(
        Enum(StatementEntryStatus, native_enum=False, length=12), default=StatementEntryStatus.PENDING
    )
    #: An entry of an earlier statement with the same account, day, amount, payer and text, when this one has
    #: no bank reference: likely the same movement exported again. It waits for a staff decision (M5).
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("bank_statement_entry.id"), nullable=True)

    statement: Mapped[BankStatement] = relationship(back_populates="entries")
    invoice: Mapped["Invoice | None"] = relationship()


class Payment(db.Model):
    """Money received for an invoice, or a counter-entry reversing a mistaken one (rules M1-M4)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="payment_amount_not_zero"),
        # A payment is reversed at most once.
        UniqueConstraint("reverses_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    #: Euros; negative for a counter-entry.
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[PaymentMethod] = mapped_column(Enum(PaymentMethod, native_enum=False, length=10))
    #: The day the money arrived (cheque received, transfer booked, card paid).
    received_on: Mapped[date] = mapped_column(Date)
    #: Cheque number, transfer reference or provider payment id.
    reference: Mapped[str] = mapped_column(String(140), default="")
    #: Cheque: the bank it is drawn on and who signed it (M6).
    bank: Mapped[str] = mapped_column(String(100), default="")
    drawer: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who recorded it: a staff e-mail, "stripe", "demo" or "statement".
    recorded_by: Mapped[str] = mapped_column(String(254))
    #: The counter-entry's original payment (M4: reversed, never deleted).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), nullable=True)
    #: The provider event that recorded it: applied once however often delivered (M1).
    provider_event_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    statement_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_statement_entry.id"), unique=True, nullable=True
    )
    deposit_slip_id: Mapped[int | None] = mapped_column(ForeignKey("deposit_slip.id"), nullable=True, index=True)
    #: The one-time key of the staff form that recorded it: the same submission twice records once.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    invoice: Mapped["Invoice"] = relationship()
    reverses: Mapped["Payment | None"] = relationship(remote_side=[id])
    deposit_slip: Mapped[DepositSlip | None] = relationship()


class DeclarationStatus(enum.StrEnum):
    #: The club says it sent the money; staff have not seen it yet.
    OPEN = "open"
    #: A payment was recorded for the invoice since.
    SETTLED = "settled"


class PaymentDeclaration(db.Model):
    """The club says "transfer sent" or "cheque sent": staff watch for the money (rules M2, M3)."""

    __tablename__ = "payment_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    method: Mapped[PaymentMethod] = mapped_column(Enum(PaymentMethod, native_enum=False, length=10))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Optional detail from the club: cheque number, bank, date sent.
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DeclarationStatus] = mapped_column(
        Enum(DeclarationStatus, native_enum=False, length=10), default=DeclarationStatus.OPEN
    )

    invoice: Mapped["Invoice"] = relationship()


class CardCheckout(db.Model):
    """A card payment started with a provider; only the provider's signed notification pays (rule M1)."""

    __tablename__ = "card_checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: stripe or demo.
    provider: Mapped[str] = mapped_column(String(20))
    #: The provider's id for the hosted payment page (Stripe Checkout Session id).
    session_ref: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
