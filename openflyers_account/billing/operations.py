"""Issued documents: invoices for what the areas above sell, credit notes, reissues (I1-I5, R5)."""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import column, func, select, table, true, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..accounts.models import Club, StaffUser
from ..domain import pricing
from ..domain.credit_notes import (
    DISCOUNT_KINDS,
    CreditedBefore,
    CreditLine,
    InvoicedLine,
    credit_for,
)
from ..domain.money import ZERO
from ..domain.numbering import Series, is_document_number
from ..domain.references import creditor_reference
from ..extensions import db
from ..mail.outbox import attachment_from, attachment_source, queue_mail
from ..storage import utcnow
from ..transactions import use_case
from ..web import external_url
from .documents import (
    buyer_snapshot,
    in_batch,
    invoice_pdf,
    is_rendered,
    render_invoice_pdf,
    seller_snapshot,
    vat_breakdown_json,
)
from .errors import (
    CreditExceedsInvoice,
    CreditNotPositive,
    DiscountCreditedAlone,
    InvoiceNotCancellable,
    NothingToCredit,
)
from .events import invoice_cancelled
from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, PendingCharge
from .numbering import take_number


@dataclass(frozen=True)
class Billed:
    """What an invoice bills, beside its lines: the dates covered, the offer, resources and term, the PO (R1, R5)."""

    period_start: date
    period_end: date
    offer_code: str
    resources: int
    term_years: int
    po_reference: str = ""


def issue_invoice(club: Club, quote: pricing.Quote, descriptions: Sequence[str], billed: Billed, today: date,
                  charges: Sequence[PendingCharge] = (), buyer: dict | None = None,
                  partner_id: int | None = None) -> Invoice:
    """Number, snapshot and render an invoice for priced lines, in the caller's transaction (I1-I4).

    `descriptions` are the lines in words, in French: invoices are French documents. The pending
    charges among the lines are marked billed on it (A6). The buyer is the club, or the partner billed
    for what it bought for the club (`buyer`, `partner_id`; B3).
    """
    number = take_number(Series.INVOICE, today)
    invoice = Invoice(
        number=number,
        kind=InvoiceKind.INVOICE,
        club_id=club.id,
        partner_id=partner_id,
        issue_date=today,
        due_date=today + timedelta(days=current_app.config["PAYMENT_TERMS_DAYS"]),
        seller=seller_snapshot(),
        buyer=buyer if buyer is not None else buyer_snapshot(club),
        vat_breakdown=vat_breakdown_json([tuple(row) for row in quote.vat_by_rate], quote.vat.mention),
        vat_mention=quote.vat.mention.value,
        total_excl_vat=quote.total_excl_vat,
        total_vat=quote.total_vat,
        total_incl_vat=quote.total_incl_vat,
        currency="EUR",
        po_reference=billed.po_reference,
        creditor_reference=creditor_reference(number),
        period_start=billed.period_start,
        period_end=billed.period_end,
        offer_code=billed.offer_code,
        resources=billed.resources,
        term_years=billed.term_years,
        status=InvoiceStatus.ISSUED,
        lines=[
            InvoiceLine(position=position, kind=line.kind.value, description=description,
                        quantity=Decimal(line.quantity), unit_price=line.unit_price, vat_rate=line.vat_rate,
                        amount_excl_vat=line.amount)
            for position, (line, description) in enumerate(zip(quote.lines, descriptions, strict=True), 1)
        ],
    )
    return _stored(invoice, charges)


def issue_copy(invoice: Invoice, po_reference: str, today: date) -> Invoice:
    """The same invoice under a new number and PO reference: same buyer, lines, amounts and due date (R5).

    Part of a reissue: the caller credits the original in full in the same transaction.
    """
    number = take_number(Series.INVOICE, today)
    copy = Invoice(
        number=number, kind=InvoiceKind.INVOICE, club_id=invoice.club_id, partner_id=invoice.partner_id,
        issue_date=today, due_date=invoice.due_date, seller=invoice.seller, buyer=invoice.buyer,
        vat_breakdown=invoice.vat_breakdown, vat_mention=invoice.vat_mention,
        total_excl_vat=invoice.total_excl_vat, total_vat=invoice.total_vat, total_incl_vat=invoice.total_incl_vat,
        currency=invoice.currency, po_reference=po_reference, creditor_reference=creditor_reference(number),
        period_start=invoice.period_start, period_end=invoice.period_end, offer_code=invoice.offer_code,
        resources=invoice.resources, term_years=invoice.term_years, status=InvoiceStatus.ISSUED,
        lines=[InvoiceLine(position=line.position, kind=line.kind, description=line.description,
                           quantity=line.quantity, unit_price=line.unit_price, vat_rate=line.vat_rate,
                           amount_excl_vat=line.amount_excl_vat) for line in invoice.lines],
    )
    copy = _stored(copy, ())
    db.session.execute(update(PendingCharge).where(PendingCharge.invoice_id == invoice.id).values(invoice_id=copy.id))
    return copy


def _stored(invoice: Invoice, charges: Sequence[PendingCharge]) -> Invoice:
    """Add the invoice to the transaction, with the charges it bills (A6); written at once, so that it has its id,
    unless issued in a batch, whose rows are written together (rows pointing at it name the invoice, not its id)."""
    render_invoice_pdf(invoice)
    db.session.add(invoice)
    for charge in charges:
        charge.invoice, charge.billed_at = invoice, utcnow()
    if not in_batch():
        db.session.flush()
    return invoice


def pdf_of(document: Invoice) -> bytes:
    """The document's stored PDF (I4). One a batch job issued without it is rendered the first time it is asked
    for, and stored: every later download, and every e-mail, carries these same bytes."""
    if is_rendered(document):
        return document.pdf
    return _render_later(document.id)


@use_case
def _render_later(invoice_id: int) -> bytes:
    # Under the invoice's lock: a second reader waits, then finds the PDF the first one stored.
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                                .execution_options(populate_existing=True))
    if is_rendered(invoice):
        return invoice.pdf
    pdf = invoice_pdf(invoice)
    digest = hashlib.sha256(pdf).hexdigest()
    # Past the ORM's guard of frozen columns; the database lets these two be written once, while empty (I2).
    db.session.execute(update(Invoice).where(Invoice.id == invoice_id, Invoice.pdf_sha256 == "")
                       .values(pdf=pdf, pdf_sha256=digest).execution_options(synchronize_session=False))
    set_committed_value(invoice, "pdf", pdf)
    set_committed_value(invoice, "pdf_sha256", digest)
    return pdf


def pdfs_to_render() -> int:
    """How many documents a batch job issued wait for their PDF (I4)."""
    return db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.pdf_sha256 == ""))


@attachment_source("invoice_pdf")
def _attached_pdf(number: str) -> bytes:
    found = document(number)
    if found is None:
        raise LookupError(f"no document {number}")
    return pdf_of(found)


def pdf_attachment(issued: Invoice) -> dict:
    """The document's PDF attached to an e-mail, read by its number when the e-mail goes (K5)."""
    return attachment_from("invoice_pdf", issued.number, f"{issued.number}.pdf", "application/pdf")


@dataclass(frozen=True)
class Recipient:
    """An address told of a document, and the language its e-mail is written in (K5)."""

    address: str
    language: str


#: Billing sits below the partners' area: it reads a partner's language from the table, not the model.
_PARTNER = table("partner", column("id"), column("language"))


def club_recipients(club: Club) -> list[Recipient]:
    """Both the club's addresses, once each, in the club's language (A2, R8)."""
    return [Recipient(address, club.language)
            for address in dict.fromkeys(a for a in (club.structure_email, club.contact_email) if a)]


def recipients_of(document: Invoice) -> list[Recipient]:
    """Who is told of a document and its payments (K5): the partner billed for it (B3), else both the club's
    addresses."""
    if document.partner_id is not None:
        language = db.session.scalar(select(_PARTNER.c.language).where(_PARTNER.c.id == document.partner_id))
        return [Recipient(document.buyer["email"], language or "fr")]
    return club_recipients(document.club)


def page_of(document: Invoice) -> str:
    """The endpoint showing the document to its buyer: the partner's invoice page or the club's (B3)."""
    return "partner.invoice" if document.partner_id is not None else "billing.invoice"


def queue_document_mail(club: Club, document: Invoice, template: str) -> None:
    """Send the document as a PDF to its buyer (K5, B3)."""
    shown = document.corrects or document
    link = external_url(page_of(shown), number=shown.number)
    for recipient in recipients_of(document):
        queue_mail(recipient.address, template, language=recipient.language, document=document, club=club, link=link,
                   attachments=[pdf_attachment(document)])


def document(number: str) -> Invoice | None:
    """Any club's invoice or credit note by number (staff); a malformed number is None."""
    if not is_document_number(number):
        return None
    return db.session.scalar(select(Invoice).where(Invoice.number == number))


def club_invoice(club: Club, number: str, lock: bool = False, billed_to: object | None = None) -> Invoice | None:
    """One of the club's documents by number, as `billed_to` may see it: the club's own (the default), or those
    billed to a partner (B3); another club's is None (never shown)."""
    if not is_document_number(number):
        return None
    query = select(Invoice).where(Invoice.club_id == club.id, Invoice.number == number, _billed_to(billed_to or club))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _billed_to(account: object):
    """The documents an account pays: a partner's are billed to it, a club's are its own, not its partner's (B3)."""
    if getattr(account, "is_partner", False):
        return Invoice.partner_id == account.id
    if getattr(account, "is_staff", False):
        return true()
    return Invoice.partner_id.is_(None)


def payer_documents(account: object):
    """The condition selecting the documents a club or a partner pays: its account with us (B3, K2)."""
    condition = _billed_to(account)
    if not getattr(account, "is_partner", False):
        condition = condition & (Invoice.club_id == account.id)
    return condition


def payer_invoice(account: object, number: str, lock: bool = False) -> Invoice | None:
    """A document its payer, a club or a partner, may see and pay, by number; any other is None (B3, B4)."""
    if not is_document_number(number):
        return None
    query = select(Invoice).where(Invoice.number == number, _billed_to(account))
    if not getattr(account, "is_partner", False):
        query = query.where(Invoice.club_id == account.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def credited_line_ids(invoice: Invoice) -> set[int]:
    """Lines of `invoice` already credited by earlier credit notes (a discount: in part at least)."""
    return set(_credited_by_line(invoice))


def _credited_by_line(invoice: Invoice) -> dict[int, Decimal]:
    rows = db.session.execute(
        select(InvoiceLine.credits_line_id, func.sum(InvoiceLine.amount_excl_vat))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.corrects_id == invoice.id, InvoiceLine.credits_line_id.is_not(None))
        .group_by(InvoiceLine.credits_line_id)
    )
    return {line_id: Decimal(amount) for line_id, amount in rows}


def creditable_lines(invoice: Invoice, credited: Collection[int]) -> list[InvoiceLine]:
    """Lines staff may still choose: not credited yet, and not a discount (it goes with its lines, P2)."""
    return [line for line in invoice.lines if line.id not in credited and line.kind not in DISCOUNT_KINDS]


def discount_line_ids(invoice: Invoice) -> list[int]:
    """The invoice's term and club discount lines: credited with the lines they discount, never chosen (P2)."""
    return [line.id for line in invoice.lines if line.kind in DISCOUNT_KINDS]


def _credited_before(invoice: Invoice, notes: list[Invoice]) -> CreditedBefore:
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for note in notes:
        for row in note.vat_breakdown:
            base, amount = by_rate.get(Decimal(row["rate"]), (ZERO, ZERO))
            by_rate[Decimal(row["rate"])] = (base + Decimal(row["base"]), amount + Decimal(row["amount"]))
    return CreditedBefore(by_line=_credited_by_line(invoice), by_rate=by_rate)


def _issue_credit_note(invoice: Invoice, line_ids: Collection[int] | None, reason: str, today: date) -> Invoice:
    """A credit note for the chosen lines of `invoice` (all when None), numbered in its own series (I1, I2).

    Each chosen line is credited net of its share of the term and club discounts (P2), and all the
    credit notes of an invoice together never credit more than its total incl. VAT.
    """
    notes = credit_notes_of(invoice)
    before = _credited_before(invoice, notes)
    by_id = {line.id: line for line in invoice.lines}
    if line_ids is not None and set(line_ids) & set(discount_line_ids(invoice)):
        raise DiscountCreditedAlone()
    open_lines = creditable_lines(invoice, before.by_line)
    chosen = {line.id for line in open_lines if line_ids is None or line.id in line_ids}
    if not chosen or (line_ids is not None and len(chosen) != len(set(line_ids))):
        raise NothingToCredit()
    credit = credit_for([InvoicedLine(line.id, line.kind, line.amount_excl_vat, line.vat_rate)
                         for line in invoice.lines], chosen, before)
    if credit.total_incl_vat <= 0:
        raise CreditNotPositive()
    credited = sum((note.total_incl_vat for note in notes), ZERO)
    if credited + credit.total_incl_vat > invoice.total_incl_vat:
        raise CreditExceedsInvoice(credited=credited, total=invoice.total_incl_vat)

    number = take_number(Series.CREDIT_NOTE, today)
    with force_locale("fr"):
        descriptions = [_credit_line_description(by_id[part.line.line_id], part) for part in credit.lines]
    note = Invoice(
        number=number, kind=InvoiceKind.CREDIT_NOTE, club_id=invoice.club_id, partner_id=invoice.partner_id,
        issue_date=today, due_date=today,
        seller=seller_snapshot(), buyer=invoice.buyer,
        vat_breakdown=vat_breakdown_json(list(credit.vat_by_rate), pricing.VatMention(invoice.vat_mention)),
        vat_mention=invoice.vat_mention, total_excl_vat=credit.total_excl_vat, total_vat=credit.total_vat,
        total_incl_vat=credit.total_incl_vat,
        currency=invoice.currency, po_reference=invoice.po_reference, corrects=invoice, reason=reason[:500],
        period_start=invoice.period_start, period_end=invoice.period_end, offer_code=invoice.offer_code,
        resources=invoice.resources, term_years=invoice.term_years, status=InvoiceStatus.ISSUED,
        lines=[_credit_line(by_id[part.line.line_id], part, position, description)
               for position, (part, description) in enumerate(zip(credit.lines, descriptions, strict=True), 1)],
    )
    render_invoice_pdf(note)
    db.session.add(note)
    db.session.flush()
    if len(open_lines) == len(chosen) and invoice.status == InvoiceStatus.ISSUED:
        _cancel(invoice)
    return note


def _credit_line_description(line: InvoiceLine, part: CreditLine) -> str:
    if part.is_whole_line:
        return line.description
    # Only a discount is credited in part: its share of the lines credited with it (P2).
    return _("%(discount)s: share of the credited lines", discount=line.description)


def _credit_line(line: InvoiceLine, part: CreditLine, position: int, description: str) -> InvoiceLine:
    quantity, unit_price = (line.quantity, line.unit_price) if part.is_whole_line else (Decimal(1), part.amount_excl_vat)
    return InvoiceLine(position=position, kind=line.kind, description=description, quantity=quantity,
                       unit_price=unit_price, vat_rate=line.vat_rate, amount_excl_vat=part.amount_excl_vat,
                       credits_line_id=line.id)


def _cancel(invoice: Invoice) -> None:
    """A fully credited, unpaid invoice is cancelled: what it bought is taken back (R2, R6), its pending
    charges wait for the next invoice again (I5, A6)."""
    invoice.status = InvoiceStatus.CANCELLED
    db.session.execute(update(PendingCharge).where(PendingCharge.invoice_id == invoice.id)
                       .values(invoice_id=None, billed_at=None))
    invoice_cancelled.send(invoice=invoice)


def credit_in_full(invoice: Invoice, reason: str, today: date) -> Invoice:
    """A credit note for the whole of an unpaid invoice, which cancels it, in the caller's transaction (R2, R5)."""
    if invoice.is_credit_note or invoice.status != InvoiceStatus.ISSUED:
        raise InvoiceNotCancellable()
    return _issue_credit_note(invoice, None, reason, today)


@use_case
def issue_credit_note(staff: StaffUser, number: str, line_ids: Collection[int] | None, reason: str,
                      today: date) -> Invoice:
    """Staff correct an invoice with a credit note, fully or for chosen lines, with a reason (I2, A5)."""
    club_id = db.session.scalar(select(Invoice.club_id).where(Invoice.number == number))
    if club_id is not None:
        # The club first, then the invoice, as every purchase does: a credit note that takes back a period or
        # added resources queues behind the club's purchases instead of crossing them.
        db.session.execute(select(Club.id).where(Club.id == club_id).with_for_update())
    invoice = db.session.scalars(
        select(Invoice).where(Invoice.number == number, Invoice.kind == InvoiceKind.INVOICE)
        .with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if invoice is None or invoice.status == InvoiceStatus.CANCELLED:
        raise NothingToCredit()
    credit = _issue_credit_note(invoice, line_ids, reason, today)
    audit.record(staff, "invoice.credited", invoice.club, invoice=invoice.number, credit_note=credit.number,
                 reason=reason, amount=str(credit.total_incl_vat))
    queue_document_mail(invoice.club, credit, "credit_note_issued")
    return credit


#: Documents on one page of a club's list (U4).
DOCUMENTS_PER_PAGE = 25


@dataclass(frozen=True)
class DocumentsPage:
    documents: list[Invoice]
    page: int
    has_more: bool


def club_documents(club: Club, billed_to: object | None = None, page: int = 1) -> DocumentsPage:
    """A page of the club's documents, newest first, as `billed_to` may see them (the club itself by default, B3):
    however many the club has, a page reads DOCUMENTS_PER_PAGE of them (U4)."""
    return _documents_page(page, Invoice.club_id == club.id, _billed_to(billed_to or club))


def partner_documents(partner: object, page: int = 1) -> DocumentsPage:
    """A page of the documents billed to a partner, newest first (B3, U4)."""
    return _documents_page(page, _billed_to(partner))


def _documents_page(page: int, *conditions) -> DocumentsPage:
    rows = list(db.session.scalars(
        select(Invoice).where(*conditions).order_by(Invoice.id.desc())
        .limit(DOCUMENTS_PER_PAGE + 1).offset((page - 1) * DOCUMENTS_PER_PAGE)))
    return DocumentsPage(rows[:DOCUMENTS_PER_PAGE], page, len(rows) > DOCUMENTS_PER_PAGE)


def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.corrects_id == invoice.id).order_by(Invoice.id)))
