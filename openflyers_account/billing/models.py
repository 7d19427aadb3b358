"""The catalogue and issued documents: offers, price lists, invoices and their lines (rules P1, I1-I5, A6)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..accounts.models import Club
from ..domain.payments import InvoiceState
from ..extensions import db
from ..storage import Money, UTCDateTime, utcnow


class Offer(db.Model):
    """A subscription offer of the catalogue (rule P1)."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used in forms and the CLI: first-price, business, premiere, corporate.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Display name, the same in every language (a brand).
    name: Mapped[str] = mapped_column(String(80))
    #: Staff manual resets and e-mail changes are billed on this offer (rule A6).
    bills_staff_assistance: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class ChargeableService(db.Model):
    """A billable catalogue item that is not an offer, e.g. staff assistance (rule A6); its prices are
    versioned with the price lists (P1)."""

    __tablename__ = "chargeable_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: staff-password-reset, staff-email-change.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Invoice label, in French: invoices are French documents.
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class PendingCharge(db.Model):
    """A billable event waiting for the club's next invoice (rule A6)."""

    __tablename__ = "pending_charge"
    __table_args__ = (CheckConstraint("quantity > 0", name="pending_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    #: Price excl. VAT when the event happened: later catalogue changes do not reach it.
    unit_price: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    #: Set when the charge is put on an invoice.
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The invoice it went on; cleared if that invoice is cancelled, so it goes on the next one.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True)

    invoice: Mapped["Invoice | None"] = relationship()


class PriceList(db.Model):
    """A version of the catalogue's prices, applying from a date; invoices keep theirs (rule P1)."""

    __tablename__ = "price_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: First invoice date these prices apply to.
    valid_from: Mapped[date] = mapped_column(Date, unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254))
    note: Mapped[str] = mapped_column(String(500), default="")

    prices: Mapped[list["OfferPrice"]] = relationship(back_populates="price_list", lazy="selectin")
    service_prices: Mapped[list["ServicePrice"]] = relationship(back_populates="price_list", lazy="selectin")


class OfferPrice(db.Model):
    """An offer's annual fees excl. VAT in one price list (rules P1, P2)."""

    __tablename__ = "offer_price"
    __table_args__ = (
        UniqueConstraint("price_list_id", "offer_id"),
        CheckConstraint("base_fee >= 0 AND per_resource_fee >= 0", name="offer_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    #: Annual base fee excl. VAT.
    base_fee: Mapped[Decimal] = mapped_column(Money)
    #: Annual fee per resource excl. VAT.
    per_resource_fee: Mapped[Decimal] = mapped_column(Money)

    price_list: Mapped[PriceList] = relationship(back_populates="prices")
    offer: Mapped[Offer] = relationship(lazy="joined")


class ServicePrice(db.Model):
    """A chargeable service's price excl. VAT in one price list (rules P1, A6)."""

    __tablename__ = "service_price"
    __table_args__ = (
        UniqueConstraint("price_list_id", "service_id"),
        CheckConstraint("unit_price >= 0", name="service_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("chargeable_service.id"))
    unit_price: Mapped[Decimal] = mapped_column(Money)

    price_list: Mapped[PriceList] = relationship(back_populates="service_prices")
    service: Mapped[ChargeableService] = relationship(lazy="joined")


class NumberSequence(db.Model):
    """The last number used per series and year; incremented in the issuing transaction (rule I1)."""

    __tablename__ = "number_sequence"

    #: F for invoices, AV for credit notes.
    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    #: Issue date of the last number: a later number never carries an earlier date.
    last_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


#: Where an invoice stands (rule I5): issued, partially_paid, paid, cancelled. The transition table
#: lives in the domain; "overdue" is derived from the due date, never stored.
InvoiceStatus = InvoiceState


#: The columns of an issued document: set once at issue, never updated (rule I2).
FROZEN_INVOICE_COLUMNS = frozenset({
    "number", "kind", "club_id", "issue_date", "due_date", "seller", "buyer", "vat_breakdown", "vat_mention",
    "total_excl_vat", "total_vat", "total_incl_vat", "currency", "po_reference", "corrects_id",
    "period_start", "period_end", "offer_code", "resources", "term_years", "reason", "pdf", "pdf_sha256",
    "creditor_reference", "line_count", "partner_id",
})


class Invoice(db.Model):
    """An issued invoice or credit note: a frozen snapshot and its stored PDF (rules I1-I5)."""

    __tablename__ = "invoice"
    __table_args__ = (
        # Rounded to the cent: SQLite adds the two amounts as binary floats (30.08 + 6.02 is not 36.10 there).
        CheckConstraint("total_incl_vat = round(total_excl_vat + total_vat, 2)", name="invoice_totals_add_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: F-2026-00001 or AV-2026-00001 (I1).
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[InvoiceKind] = mapped_column(Enum(InvoiceKind, native_enum=False, length=12))
    #: The club it is for; its buyer too, unless a partner bought it.
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    #: The partner billed for it, when a partner bought it for the club: the partner is the buyer and pays (B3).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), nullable=True, index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    #: Seller and buyer identity as on the issue date: name, address, SIREN, VAT number (I2, I3).
    seller: Mapped[dict] = mapped_column(JSON)
    buyer: Mapped[dict] = mapped_column(JSON)
    #: [{"rate": "20", "base": "100.00", "amount": "20.00", "category": "S", "reason": ...}] (P3).
    vat_breakdown: Mapped[list] = mapped_column(JSON)
    #: none, reverse_charge or outside_eu (P3).
    vat_mention: Mapped[str] = mapped_column(String(20))
    total_excl_vat: Mapped[Decimal] = mapped_column(Money)
    total_vat: Mapped[Decimal] = mapped_column(Money)
    total_incl_vat: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    #: The club's purchase order reference, free text (R5).
    po_reference: Mapped[str] = mapped_column(String(70), default="")
    #: ISO 11649 RF reference the club quotes on its transfer (M2).
    creditor_reference: Mapped[str] = mapped_column(String(25), default="")
    #: For a credit note: the invoice it corrects (I2).
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True, index=True)
    #: For a credit note: why it was issued.
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: What it bills: the dates covered, the offer, the resources (added ones for R6) and the term (R1).
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    offer_code: Mapped[str] = mapped_column(String(40), default="")
    resources: Mapped[int | None] = mapped_column(Integer, nullable=True)
    term_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The PDF rendered once at issue; every download returns these bytes (I4). Read only when asked for: a page
    #: showing an invoice does not carry its PDF from the database (U4).
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: How many lines it was issued with: the database refuses a line more, and any edit or removal (I2).
    line_count: Mapped[int] = mapped_column(Integer)
    #: Lifecycle, not content: changes with payments and credit notes (I5).
    status: Mapped[InvoiceStatus] = mapped_column(Enum(InvoiceStatus, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    club: Mapped[Club] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", lazy="selectin"
    )
    corrects: Mapped["Invoice | None"] = relationship(remote_side=[id])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(db.Model):
    """One line of an issued document: quantity x unit price excl. VAT at a VAT rate (I2, I3)."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: base_fee, resources, term_discount, club_discount, extra_charge.
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    #: Rounded to the cent; negative for a discount (P2, P3).
    amount_excl_vat: Mapped[Decimal] = mapped_column(Money)
    #: For a credit note line: the invoice line it credits.
    credits_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"), nullable=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


@db.event.listens_for(Invoice, "before_update")
@db.event.listens_for(InvoiceLine, "before_update")
def _issued_documents_never_change(mapper, connection, target) -> None:
    """Refuse any write to what an issued invoice says (rule I2); only its status may move."""
    state = db.inspect(target)
    frozen = FROZEN_INVOICE_COLUMNS if isinstance(target, Invoice) else {c.key for c in mapper.column_attrs}
    changed = [attr.key for attr in state.attrs if attr.key in frozen and attr.history.has_changes()]
    if changed:
        raise IssuedDocumentIsFrozen(f"{type(target).__name__} {changed} cannot change once issued")


@db.event.listens_for(Invoice, "before_insert")
def _count_the_issued_lines(mapper, connection, target) -> None:
    # The database takes exactly this many lines for the invoice, in the transaction that issues it (I2).
    target.line_count = len(target.lines)


@db.event.listens_for(Session, "before_flush")
def _issued_documents_gain_and_lose_nothing(session, flush_context, instances) -> None:
    """Refuse removing an invoice or a line, and adding a line to an invoice already stored (rule I2)."""
    for target in session.deleted:
        if isinstance(target, (Invoice, InvoiceLine)):
            raise IssuedDocumentIsFrozen(f"{type(target).__name__} {target.id} cannot be removed once issued")
    for target in session.new:
        if isinstance(target, InvoiceLine):
            # Read without loading: a line that names a stored invoice is an addition to it.
            invoice = db.inspect(target).attrs.invoice.loaded_value
            if target.invoice_id is not None or (isinstance(invoice, Invoice) and invoice not in session.new):
                raise IssuedDocumentIsFrozen("a line cannot be added to an invoice once issued")


class IssuedDocumentIsFrozen(RuntimeError):
    """A bug: something tried to edit an issued invoice (rule I2)."""
