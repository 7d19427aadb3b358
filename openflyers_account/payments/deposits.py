"""Deposit slips: received cheques grouped under a gapless number to take to the bank (M6)."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, render_template
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased, joinedload
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .. import audit
from ..accounts.models import StaffUser
from ..billing.documents import seller_snapshot
from ..billing.models import Invoice
from ..billing.numbering import next_in_sequence
from ..domain.money import ZERO
from ..domain.payments import PaymentMethod
from ..extensions import db
from ..transactions import use_case
from .errors import PaymentsError
from .models import DepositSlip, Payment

#: The NumberSequence series of deposit slips: B-2026-0001 (M6), beside invoices' F and credit notes' AV (I1).
SLIP_SERIES = "B"
#: The largest sequence number four digits can print.
MAX_SLIP_SEQ = 9_999
# [0-9] rather than \d: \d also matches non-ASCII digits, and this parses URLs.
_SLIP_NUMBER = re.compile(r"B-[0-9]{4}-[0-9]{4}")


class ChequesUnavailable(PaymentsError):
    """A chosen cheque is on a slip already, was reversed, or is not a received cheque (M6)."""

    code = "cheques_unavailable"


def format_slip_number(year: int, seq: int) -> str:
    """The printed number of a deposit slip, e.g. B-2026-0001 (M6)."""
    if not (1000 <= year <= 9999 and 1 <= seq <= MAX_SLIP_SEQ):
        raise ValueError(f"no deposit slip number for year {year}, sequence {seq}")
    return f"{SLIP_SERIES}-{year:04d}-{seq:04d}"


def is_slip_number(text: object) -> bool:
    """True for a well-formed slip number; URL input is checked with it before any query."""
    return isinstance(text, str) and _SLIP_NUMBER.fullmatch(text) is not None


def _depositable():
    """A received cheque that can still go to the bank: positive, on no slip, not reversed (M4, M6)."""
    reversal = aliased(Payment)
    return (Payment.method == PaymentMethod.CHEQUE, Payment.amount > 0, Payment.deposit_slip_id.is_(None),
            ~exists().where(reversal.reverses_id == Payment.id))


def cheques_to_deposit() -> list[Payment]:
    """Cheques received and not yet on a deposit slip, oldest first (M6)."""
    return list(db.session.scalars(
        select(Payment).where(*_depositable())
        .options(joinedload(Payment.invoice).joinedload(Invoice.club))
        .order_by(Payment.received_on, Payment.id)
    ))


@use_case
def create_deposit_slip(payment_ids: Collection[int], staff: StaffUser, today: date) -> DepositSlip:
    """Put the chosen cheques on a new numbered slip; a cheque goes on one slip only (M6, A5)."""
    chosen = set(payment_ids)
    if not chosen:
        raise ChequesUnavailable()
    slip = DepositSlip(number=format_slip_number(today.year, next_in_sequence(SLIP_SERIES, today)),
                       created_by=staff.email)
    db.session.add(slip)
    db.session.flush()
    # One conditional UPDATE: a cheque another slip took meanwhile is not matched, so the count falls short
    # and the whole slip, number included, is rolled back.
    taken = db.session.execute(
        update(Payment).where(Payment.id.in_(chosen), *_depositable()).values(deposit_slip_id=slip.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != len(chosen):
        raise ChequesUnavailable()
    total = db.session.scalar(select(func.sum(Payment.amount)).where(Payment.deposit_slip_id == slip.id))
    audit.record(staff, "deposit_slip.created", number=slip.number, cheques=taken, total=str(total))
    return slip


@dataclass(frozen=True)
class SlipSummary:
    """A deposit slip with its count and total, for the list (M6)."""

    slip: DepositSlip
    count: int
    total: Decimal


def deposit_slips(limit: int = 100) -> list[SlipSummary]:
    """The latest deposit slips, newest first, with their count and total (M6)."""
    rows = db.session.execute(
        select(DepositSlip, func.count(Payment.id), func.coalesce(func.sum(Payment.amount), ZERO))
        .outerjoin(Payment, Payment.deposit_slip_id == DepositSlip.id)
        .group_by(DepositSlip.id).order_by(DepositSlip.id.desc()).limit(limit)
    ).all()
    return [SlipSummary(slip, count, Decimal(total)) for slip, count, total in rows]


@dataclass(frozen=True)
class DepositSlipContents:
    """What the bank needs: each cheque's number, bank, drawer and amount, the count and the total (M6)."""

    slip: DepositSlip
    cheques: list[Payment]

    @property
    def count(self) -> int:
        return len(self.cheques)

    @property
    def total(self) -> Decimal:
        return sum((cheque.amount for cheque in self.cheques), ZERO)


def deposit_slip(number: str) -> DepositSlipContents | None:
    """A slip and its cheques by number, or None."""
    if not is_slip_number(number):
        return None
    slip = db.session.scalar(select(DepositSlip).where(DepositSlip.number == number))
    if slip is None:
        return None
    cheques = list(db.session.scalars(
        select(Payment).where(Payment.deposit_slip_id == slip.id)
        .options(joinedload(Payment.invoice).joinedload(Invoice.club)).order_by(Payment.id)
    ))
    return DepositSlipContents(slip, cheques)


def render_slip_pdf(contents: DepositSlipContents) -> bytes:
    """The printable slip as a plain PDF (M6)."""
    html = render_template("staff/deposit_pdf.html", contents=contents, seller=seller_snapshot())
    # Local files only (the stylesheet): the slip never reaches the network.
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=fetcher).write_pdf()
