"""Bank statement import and confirmation of its matches, each one transaction (M5, M4)."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload

from .. import audit
from ..accounts.models import StaffUser
from ..billing.models import Invoice, InvoiceKind, InvoiceStatus
from ..domain.money import CENT, ZERO
from ..domain.payments import PaymentMethod
from ..domain.references import invoice_numbers_in_text
from ..domain.statements import (
    MatchMethod,
    OpenInvoice,
    StatementEntry,
    StatementError,
    compact_iban,
    is_statement_of,
    match_entries,
    parse_statement,
)
from ..extensions import db
from ..transactions import use_case
from .errors import AlreadyRecorded, PaymentsError
from .models import BankStatement, BankStatementEntry, Payment, StatementEntryStatus
from .operations import lock_invoice, record_payment

#: Largest statement file accepted when STATEMENT_MAX_BYTES is not configured: about 20,000 entries.
DEFAULT_STATEMENT_MAX_BYTES = 20 * 1024 * 1024
#: Staff picked the invoice by hand (stored in BankStatementEntry.match_method beside MatchMethod's values).
MANUAL_MATCH = "manual"
#: Methods sure enough for the confirmation page to tick them in advance; suggestions wait for a human.
PRE_TICKED_METHODS = frozenset({MatchMethod.REFERENCE.value, MatchMethod.INVOICE_NUMBER.value, MANUAL_MATCH})
#: Invoices that still take money (same filter as operations.unpaid_invoices).
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
#: Ids per IN (...) list: well under the parameter limits of SQLite and PostgreSQL.
_CHUNK = 900
#: Column sizes of BankStatement / BankStatementEntry: a longer bank id cannot be stored as it is.
_STATEMENT_REF_MAX = 100
_ENTRY_REF_MAX = 140

T = TypeVar("T")


class StatementRefused(PaymentsError):
    """A statement file or a staff choice on its entries refused as a whole: nothing is recorded (M5).

    `code` is a key of messages.MESSAGES; `params` fill its placeholders.
    """

    code = "statement_malformed"


def statement_max_bytes() -> int:
    """The largest statement file accepted, in bytes (config STATEMENT_MAX_BYTES)."""
    return int(current_app.config.get("STATEMENT_MAX_BYTES", DEFAULT_STATEMENT_MAX_BYTES))


# -- import ------------------------------------------------------------------------------------------


@use_case
def import_statement(staff: StaffUser, data: bytes, filename: str = "") -> BankStatement:
    """Store a CAMT.053 statement's new credit entries with the invoice each one seems to pay (M5).

    The same file or statement id is refused; an entry already stored by an earlier statement is
    skipped, so nothing is recorded twice. Proposals wait for staff to confirm them.
    """
    max_bytes = statement_max_bytes()
    try:
        parsed = parse_statement(data, max_bytes=max_bytes)
    except StatementError as error:
        raise StatementRefused(f"statement_{error.code}", max_bytes=max_bytes) from error
    seller_iban = current_app.config.get("SELLER_IBAN") or ""
    if not is_statement_of(parsed, seller_iban):
        # Another of the company's accounts, or another company's: its credits pay none of our invoices.
        raise StatementRefused("statement_other_account", account=_grouped(parsed.account_iban),
                               expected=_grouped(seller_iban))
    if len(parsed.id) > _STATEMENT_REF_MAX or any(len(entry.entry_ref) > _ENTRY_REF_MAX for entry in parsed.credits):
        raise StatementRefused("statement_malformed")
    file_sha256 = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(select(BankStatement).options(lazyload(BankStatement.entries)).where(
        or_(BankStatement.file_sha256 == file_sha256, BankStatement.statement_ref == parsed.id)))
    if earlier is not None:
        raise StatementRefused("statement_already_imported", reference=earlier.statement_ref,
                               day=earlier.imported_at.date())

    credits = _new_credits(parsed.credits)
    earlier_twins = _earlier_twins(parsed.account_iban[:40], credits)
    invoices, invoice_ids = open_invoices()
    statement = BankStatement(statement_ref=parsed.id, account_iban=parsed.account_iban[:40],
                              file_sha256=file_sha256, imported_by=staff.email)
    rows = [
        {
            "statement_id": None,  # set below, once the statement has its id
            "entry_ref": match.entry.entry_ref,
            "booking_date": match.entry.booking_date,
            "amount": match.entry.amount,
            "debtor_name": (match.entry.debtor_name or "")[:200],
            # Some banks put the payer's text only in the entry's additional information.
            "remittance": (match.entry.remittance_text or match.entry.additional_info or "")[:500],
            "creditor_reference": (match.entry.creditor_reference or "")[:40],
            "invoice_id": invoice_ids.get(match.invoice_number) if match.invoice_number else None,
            "match_method": match.method.value,
            "status": StatementEntryStatus.PENDING,
            "duplicate_of_id": earlier_twins.get(_twin_key(match.entry)),
        }
        for match in match_entries(credits, invoices)
    ]
    try:
        db.session.add(statement)
        db.session.flush()
        for row in rows:
            row["statement_id"] = statement.id
        if rows:
            db.session.execute(insert(BankStatementEntry), rows)
    except IntegrityError as error:
        # Another import stored the same file or entries meanwhile (PostgreSQL; SQLite queues writers).
        raise StatementRefused("statement_import_conflict") from error
    audit.record(staff, "statement.imported", statement=parsed.id, file=filename[:200], entries=len(rows),
                 skipped=len(parsed.credits) - len(rows),
                 proposed=sum(1 for row in rows if row["invoice_id"] is not None),
                 likely_duplicates=sum(1 for row in rows if row["duplicate_of_id"] is not None))
    return statement


def _grouped(iban: str) -> str:
    """An IBAN in groups of four, as banks print it and staff read it."""
    compact = compact_iban(iban)
    return " ".join(compact[start:start + 4] for start in range(0, len(compact), 4))


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _new_credits(credits: Iterable[StatementEntry]) -> list[StatementEntry]:
    """The credits whose bank reference is stored nowhere yet, each once (M5: nothing recorded twice)."""
    unique: dict[str, StatementEntry] = {}
    for entry in credits:
        unique.setdefault(entry.entry_ref, entry)
    refs = list(unique)
    stored: set[str] = set()
    for chunk in _chunks(refs):
        stored.update(db.session.scalars(select(BankStatementEntry.entry_ref).where(
            BankStatementEntry.entry_ref.in_(chunk))))
    return [entry for ref, entry in unique.items() if ref not in stored]


def _twin_key(entry: StatementEntry) -> tuple | None:
    """What an entry without a bank reference is recognised by in another statement: day, amount, payer, text and
    structured reference (as stored); None for an entry with a bank reference, which that reference recognises."""
    if entry.has_bank_reference:
        return None
    return (entry.booking_date, entry.amount, (entry.debtor_name or "")[:200],
            (entry.remittance_text or entry.additional_info or "")[:500], (entry.creditor_reference or "")[:40])


def _earlier_twins(account_iban: str, credits: Iterable[StatementEntry]) -> dict[tuple, int]:
    """For the credits without a bank reference, the earlier entry of the same account each looks the same as:
    likely the same movement in a statement exported again under another id (M5)."""
    days = sorted({key[0] for key in map(_twin_key, credits) if key is not None})
    twins: dict[tuple, int] = {}
    for chunk in _chunks(days):
        rows = db.session.execute(
            select(BankStatementEntry.id, BankStatementEntry.booking_date, BankStatementEntry.amount,
                   BankStatementEntry.debtor_name, BankStatementEntry.remittance, BankStatementEntry.creditor_reference)
            .join(BankStatement, BankStatement.id == BankStatementEntry.statement_id)
            .where(BankStatement.account_iban == account_iban, BankStatementEntry.booking_date.in_(chunk))
            .order_by(BankStatementEntry.id))
        for entry_id, day, amount, *texts in rows:
            twins.setdefault((day, Decimal(str(amount)).quantize(CENT), *texts), entry_id)
    return twins


def open_invoices() -> tuple[list[OpenInvoice], dict[str, int]]:
    """Every invoice still waiting for money with its balance due, and its id by number (M4, M5).

    Three queries however many invoices are open: the invoices' own columns (never their PDF), then
    payments and credit notes summed per invoice. The balance is what `operations.position` gives.
    """
    is_open = (Invoice.kind == InvoiceKind.INVOICE) & Invoice.status.in_(OPEN_STATUSES)
    open_ids = select(Invoice.id).where(is_open)
    paid = _sums(select(Payment.invoice_id, func.sum(Payment.amount)).where(Payment.invoice_id.in_(open_ids))
                 .group_by(Payment.invoice_id))
    credit_note = aliased(Invoice)
    credited = _sums(select(credit_note.corrects_id, func.sum(credit_note.total_incl_vat))
                     .where(credit_note.corrects_id.in_(open_ids)).group_by(credit_note.corrects_id))
    invoices: list[OpenInvoice] = []
    ids: dict[str, int] = {}
    rows = db.session.execute(select(Invoice.id, Invoice.number, Invoice.creditor_reference, Invoice.total_incl_vat,
                                     Invoice.buyer["name"].as_string()).where(is_open))
    for invoice_id, number, reference, total, buyer_name in rows:
        owed = total - credited.get(invoice_id, ZERO)
        balance = owed - paid.get(invoice_id, ZERO)
        if owed <= 0 or balance <= 0:
            continue  # fully credited or already covered: no transfer can be for it
        invoices.append(OpenInvoice(number, reference or "", balance, buyer_name or ""))
        ids[number] = invoice_id
    return invoices, ids


def _sums(query) -> dict[int, Decimal]:
    # SQLite adds NUMERIC as floating point: back to whole cents.
    return {key: Decimal(str(total)).quantize(CENT) for key, total in db.session.execute(query) if total is not None}


# -- staff decisions ---------------------------------------------------------------------------------


@use_case
def confirm_matches(staff: StaffUser, statement_id: int, entry_ids: Iterable[int], today: date) -> list[Payment]:
    """Record a transfer payment for each chosen entry's proposed invoice, all or nothing (M5, M4, R4).

    An entry already confirmed is skipped (the same page posted twice records once). An entry of
    another statement, without an invoice, set aside, or whose invoice no longer takes money refuses
    the whole confirmation with a message naming it.
    """
    wanted = sorted(set(entry_ids))
    if not wanted:
        raise StatementRefused("statement_nothing_chosen")
    entries: list[BankStatementEntry] = []
    for chunk in _chunks(wanted):
        # Two staff confirming the same page queue here; the second then sees the entries confirmed.
        entries.extend(db.session.scalars(
            select(BankStatementEntry)
            .where(BankStatementEntry.statement_id == statement_id, BankStatementEntry.id.in_(chunk))
            .order_by(BankStatementEntry.id).with_for_update().execution_options(populate_existing=True)))
    if len(entries) != len(wanted):
        raise StatementRefused("statement_entry_unknown")
    statement = db.session.get(BankStatement, statement_id, options=[lazyload(BankStatement.entries)])
    payments: list[Payment] = []
    for entry in entries:
        if entry.status is StatementEntryStatus.CONFIRMED:
            continue
        if entry.status is not StatementEntryStatus.PENDING:
            raise StatementRefused("statement_entry_not_pending", entry=entry.entry_ref)
        if entry.invoice_id is None:
            raise StatementRefused("statement_entry_no_invoice", entry=entry.entry_ref)
        if entry.duplicate_of_id is not None:
            # Likely recorded already from another statement: staff say it is another payment first.
            raise StatementRefused("statement_entry_likely_duplicate", entry=entry.entry_ref)
        # Locked before the check: a cheque recorded meanwhile must not turn this into a silent overpayment.
        invoice = lock_invoice(entry.invoice_id)
        if invoice.kind is not InvoiceKind.INVOICE or invoice.status not in OPEN_STATUSES:
            # Paid by other means or cancelled since the import: staff decide, nothing is guessed.
            raise StatementRefused("statement_entry_not_payable", entry=entry.entry_ref, invoice=invoice.number)
        note = " · ".join(text for text in (entry.debtor_name, entry.remittance) if text)
        try:
            payment = record_payment(entry.invoice_id, entry.amount, PaymentMethod.TRANSFER, entry.booking_date, staff,
                                     reference=entry.entry_ref, note=note, statement_entry_id=entry.id)
        except AlreadyRecorded as error:
            # Staff entered this transfer by hand with the bank's reference before confirming it here.
            raise StatementRefused("statement_entry_already_recorded", entry=entry.entry_ref,
                                   invoice=invoice.number) from error
        except PaymentsError as error:
            raise StatementRefused("statement_entry_not_payable", entry=entry.entry_ref,
                                   invoice=invoice.number) from error
        entry.status = StatementEntryStatus.CONFIRMED
        payments.append(payment)
    if payments:
        audit.record(staff, "statement.matches_confirmed", statement=statement.statement_ref, entries=len(payments),
                     total=str(sum((payment.amount for payment in payments), ZERO)), on=today.isoformat())
    return payments


def _pending_entry(statement_id: int, entry_id: int) -> BankStatementEntry:
    entry = db.session.scalar(
        select(BankStatementEntry)
        .where(BankStatementEntry.id == entry_id, BankStatementEntry.statement_id == statement_id)
        .with_for_update().execution_options(populate_existing=True))
    if entry is None:
        raise StatementRefused("statement_entry_unknown")
    if entry.status is not StatementEntryStatus.PENDING:
        raise StatementRefused("statement_entry_not_pending", entry=entry.entry_ref)
    return entry


@use_case
def assign_entry(staff: StaffUser, statement_id: int, entry_id: int, invoice_number: str) -> BankStatementEntry:
    """Staff choose the invoice a pending entry pays, when matching found none or the wrong one (M5)."""
    entry = _pending_entry(statement_id, entry_id)
    typed = " ".join(invoice_number.split())[:40]
    # Accept the number as people type it: f-2026-00042, F 2026 00042.
    number = next(iter(invoice_numbers_in_text(typed)), typed.upper())
    invoice = db.session.scalar(select(Invoice).where(
        Invoice.number == number, Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(OPEN_STATUSES)))
    if invoice is None:
        raise StatementRefused("statement_invoice_unknown", number=typed)
    entry.invoice_id = invoice.id
    entry.match_method = MANUAL_MATCH
    audit.record(staff, "statement.entry_assigned", invoice.club, entry=entry.entry_ref, invoice=invoice.number)
    return entry


@use_case
def keep_entry(staff: StaffUser, statement_id: int, entry_id: int) -> BankStatementEntry:
    """Staff checked a likely duplicate: it is another payment, to confirm like any other entry (M5)."""
    entry = _pending_entry(statement_id, entry_id)
    earlier = db.session.get(BankStatementEntry, entry.duplicate_of_id) if entry.duplicate_of_id else None
    if earlier is None:
        raise StatementRefused("statement_entry_not_duplicate", entry=entry.entry_ref)
    entry.duplicate_of_id = None
    audit.record(staff, "statement.entry_kept", entry=entry.entry_ref, looked_like=earlier.entry_ref,
                 amount=str(entry.amount))
    return entry


@use_case
def ignore_entry(staff: StaffUser, statement_id: int, entry_id: int) -> BankStatementEntry:
    """Set aside a pending entry that pays no invoice (a refund, a transfer between accounts) (M5)."""
    entry = _pending_entry(statement_id, entry_id)
    entry.status = StatementEntryStatus.IGNORED
    audit.record(staff, "statement.entry_ignored", entry=entry.entry_ref, amount=str(entry.amount))
    return entry


# -- what the pages show -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementSummary:
    """An imported statement with where its entries stand (M5)."""

    statement: BankStatement
    entries: int
    confirmed: int
    #: Pending with a proposed invoice: one click away from a payment.
    proposed: int
    #: Pending without an invoice: staff must assign or set them aside.
    unmatched: int
    ignored: int
    #: Pending and likely already imported from another statement: staff decide (counted above too).
    duplicates: int = 0


@dataclass(frozen=True)
class EarlierEntry:
    """The entry of an earlier statement a new entry without a bank reference looks the same as (M5)."""

    entry_ref: str
    status: StatementEntryStatus
    statement_id: int
    statement_ref: str


@dataclass(frozen=True)
class EntryLine:
    """One statement entry as the confirmation page shows it (M5)."""

    entry: BankStatementEntry
    invoice_number: str | None
    invoice_status: InvoiceStatus | None
    buyer_name: str
    #: The payment its confirmation recorded.
    payment: Payment | None
    #: The earlier entry it looks the same as, when it had no bank reference: staff decide first (M5).
    duplicate_of: EarlierEntry | None = None
    #: Unmatched, but its creditor reference is an invoice's that takes no money (cancelled or paid): which one.
    referenced_number: str | None = None
    referenced_status: InvoiceStatus | None = None

    @property
    def pre_ticked(self) -> bool:
        """Reference, invoice-number and hand-picked matches are ticked; suggestions are not (M5)."""
        return (self.entry.match_method in PRE_TICKED_METHODS and self.confirmable
                and self.invoice_status in OPEN_STATUSES)

    @property
    def likely_duplicate(self) -> bool:
        return self.entry.status is StatementEntryStatus.PENDING and self.duplicate_of is not None

    @property
    def confirmable(self) -> bool:
        return (self.entry.status is StatementEntryStatus.PENDING and self.invoice_number is not None
                and not self.likely_duplicate)


def statement_summaries(limit: int = 50, offset: int = 0) -> list[StatementSummary]:
    """Imported statements, newest first, with their entry counts by state (M5)."""
    statements = db.session.scalars(select(BankStatement).options(lazyload(BankStatement.entries))
                                    .order_by(BankStatement.id.desc()).offset(offset).limit(limit)).all()
    if not statements:
        return []
    has_invoice = BankStatementEntry.invoice_id.is_not(None)
    repeats = BankStatementEntry.duplicate_of_id.is_not(None)
    counts: dict[int, dict[str, int]] = {}
    for statement_id, status, proposed, duplicate, count in db.session.execute(
            select(BankStatementEntry.statement_id, BankStatementEntry.status, has_invoice, repeats, func.count())
            .where(BankStatementEntry.statement_id.in_([s.id for s in statements]))
            .group_by(BankStatementEntry.statement_id, BankStatementEntry.status, has_invoice, repeats)):
        tally = counts.setdefault(statement_id, {})
        key = status.value if status is not StatementEntryStatus.PENDING else ("proposed" if proposed else "unmatched")
        tally[key] = tally.get(key, 0) + count
        if duplicate and status is StatementEntryStatus.PENDING:
            tally["duplicates"] = tally.get("duplicates", 0) + count
    summaries = []
    for statement in statements:
        tally = counts.get(statement.id, {})
        summaries.append(StatementSummary(statement, sum(v for k, v in tally.items() if k != "duplicates"),
                                          tally.get("confirmed", 0), tally.get("proposed", 0),
                                          tally.get("unmatched", 0), tally.get("ignored", 0),
                                          tally.get("duplicates", 0)))
    return summaries


def find_statement(statement_id: int) -> BankStatement | None:
    return db.session.scalar(select(BankStatement).options(lazyload(BankStatement.entries))
                             .where(BankStatement.id == statement_id))


def statement_lines(statement_id: int) -> list[EntryLine]:
    """The statement's entries with their proposed invoice, recorded payment and the earlier entry each may repeat,
    in one query (M5)."""
    earlier = aliased(BankStatementEntry)
    earlier_statement = aliased(BankStatement)
    referenced = aliased(Invoice)
    rows = db.session.execute(
        select(BankStatementEntry, Invoice.number, Invoice.status, Invoice.buyer["name"].as_string(), Payment,
               referenced.number, referenced.status,
               earlier.entry_ref, earlier.status, earlier_statement.id, earlier_statement.statement_ref)
        .outerjoin(Invoice, Invoice.id == BankStatementEntry.invoice_id)
        .outerjoin(Payment, Payment.statement_entry_id == BankStatementEntry.id)
        .outerjoin(referenced, (BankStatementEntry.invoice_id.is_(None)) & (BankStatementEntry.creditor_reference != "")
                   & (referenced.creditor_reference == BankStatementEntry.creditor_reference)
                   & (referenced.kind == InvoiceKind.INVOICE))
        .outerjoin(earlier, earlier.id == BankStatementEntry.duplicate_of_id)
        .outerjoin(earlier_statement, earlier_statement.id == earlier.statement_id)
        .where(BankStatementEntry.statement_id == statement_id)
        .order_by(BankStatementEntry.id))
    return [EntryLine(entry, number, status, buyer or "", payment,
                      EarlierEntry(*twin) if twin[0] is not None else None, referenced_number, referenced_status)
            for entry, number, status, buyer, payment, referenced_number, referenced_status, *twin in rows]
