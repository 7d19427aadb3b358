"""The stored records. Models hold data only: queries and commits live in the services."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    LargeBinary,
    UniqueConstraint,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .domain.payments import InvoiceState, PaymentMethod
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


Money = Numeric(12, 2)


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


class Club(UserMixin, db.Model):
    """A customer: one aero club, identified by its platform subdomain (rule A1)."""

    __tablename__ = "club"
    __table_args__ = (CheckConstraint("activated_resources >= 0", name="activated_resources_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The platform subdomain (`mermoz` for mermoz.openflyers.fr), a DNS label; the login identifier.
    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    #: ISO 3166-1 alpha-2; decides the VAT treatment (rule P3).
    country: Mapped[str] = mapped_column(String(2), default="FR")
    #: French company number (9 digits), empty for a foreign club.
    siren: Mapped[str] = mapped_column(String(9), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    #: The club's own address; password resets may go there (rule A2).
    structure_email: Mapped[str] = mapped_column(String(254))
    #: The treasurer's or another contact's address; resets may go there too (rule A2).
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    #: Negotiated discount in percent (federation, partner), applied after the term discount (P2).
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    #: Resources activated on the platform, as last reported: the renewal floor (rules P4, S1).
    activated_resources: Mapped[int] = mapped_column(Integer, default=0)
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    #: Changes with every password change, so reset links die once used (rule A2).
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped[Offer] = relationship(lazy="joined")
    periods: Mapped[list["SubscriptionPeriod"]] = relationship(
        back_populates="club", order_by="SubscriptionPeriod.start_date"
    )

    is_staff = False

    def get_id(self) -> str:
        # The password stamp in the session id signs the club out everywhere when the password changes.
        return f"club:{self.id}:{self.password_changed_at.timestamp():.6f}"


Index("ix_club_structure_email", func.lower(Club.structure_email))
Index("ix_club_contact_email", func.lower(Club.contact_email))


class SubscriptionPeriod(db.Model):
    """A period the club subscribes for: one renewal, active once its invoice is paid (R1, R4)."""

    __tablename__ = "subscription_period"
    __table_args__ = (
        # Two renewals of the same period cannot both exist (R2).
        UniqueConstraint("club_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="period_dates_in_order"),
        CheckConstraint("resources >= 0", name="period_resources_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    start_date: Mapped[date] = mapped_column(Date)
    #: Last day covered, inclusive.
    end_date: Mapped[date] = mapped_column(Date)
    #: Resources subscribed for this period.
    resources: Mapped[int] = mapped_column(Integer)
    #: Set when the period's invoice is fully paid: the platform is in production (R4).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The renewal invoice that pays for it; empty for periods from before this site.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), nullable=True)

    club: Mapped[Club] = relationship(back_populates="periods")
    offer: Mapped[Offer] = relationship()


class ResourceReport(db.Model):
    """One report of the activated resource count: the history behind Club.activated_resources (S1)."""

    __tablename__ = "resource_report"
    __table_args__ = (CheckConstraint("activated_resources >= 0", name="report_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    activated_resources: Mapped[int] = mapped_column(Integer)
    #: Who reported it: platform, staff or cli.
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffRole(enum.StrEnum):
    #: Payments and clients.
    STAFF = "staff"
    #: Also the catalogue and staff accounts.
    ADMIN = "admin"


class StaffUser(UserMixin, db.Model):
    """A vendor employee with a back-office account (rule A5)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[StaffRole] = mapped_column(Enum(StaffRole, native_enum=False, length=10))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    is_staff = True

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN


class AuditEntry(db.Model):
    """Who did what, when: every staff action and every operator command (rule A5)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The staff member; empty for the operator's shell commands and the platform.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    #: Who acted, as text, kept even if the staff account goes away.
    actor: Mapped[str] = mapped_column(String(254))
    #: A stable code, e.g. club.password_reset_sent; translated for display.
    action: Mapped[str] = mapped_column(String(60))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("club.id"), nullable=True, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    staff: Mapped[StaffUser | None] = relationship()
    club: Mapped[Club | None] = relationship()


class ChargeableService(db.Model):
    """A billable catalogue item that is not an offer, e.g. staff assistance (rule A6)."""

    __tablename__ = "chargeable_service"
    __table_args__ = (CheckConstraint("unit_price >= 0", name="service_price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: staff-password-reset, staff-email-change.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Invoice label, in French: invoices are French documents.
    label: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)


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


class OutboxMessage(db.Model):
    """An e-mail waiting to go, written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: [{"filename":..., "content_type":..., "content_b64":...}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A sender's claim: another sender skips the message until the claim is stale.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    #: Delivery tries so far, successful or not.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: No sender tries again before this time: the back-off after a failed try.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Given up (refused for good, or MAIL_MAX_ATTEMPTS used up): kept for the operator, never retried.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")


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
    "creditor_reference", "line_count",
})


class Invoice(db.Model):
    """An issued invoice or credit note: a frozen snapshot and its stored PDF (rules I1-I5)."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("total_incl_vat = total_excl_vat + total_vat", name="invoice_totals_add_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: F-2026-00001 or AV-2026-00001 (I1).
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[InvoiceKind] = mapped_column(Enum(InvoiceKind, native_enum=False, length=12))
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
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
    #: For a renewal: the period it covers, the offer, resources and term (R1).
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    offer_code: Mapped[str] = mapped_column(String(40), default="")
    resources: Mapped[int | None] = mapped_column(Integer, nullable=True)
    term_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The PDF rendered once at issue; every download returns these bytes (I4).
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
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
    booking_date: Mapped[date] = mapped_column(Date)
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
