"""The renewal job: each due stage in one transaction of its own, done at most once (R7, R8, O1).

A stage is done under the club's lock, after reading again what is due, and its row in
`subscription_message` is inserted before anything else: a unique key the database enforces, so two
runners (on two hosts, or one started again after a crash) never both send a message or issue an
automatic invoice. A stage that fails is rolled back whole, kept as a failure, and tried again by the
next run.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import audit
from ..accounts.models import Club
from ..billing.models import Invoice
from ..billing.operations import Recipient, club_recipients, page_of
from ..domain.epc_qr import SepaTransfer, sepa_transfer
from ..domain.references import creditor_reference, format_reference
from ..domain.renewals import Message, Stage, due_stage, message_for, stage_day
from ..errors import UserError
from ..extensions import db
from ..mail.outbox import attachment, deferred_sending, queue_mail
from ..messages import error_message
from ..partners.models import Partner
from ..partners.operations import partner_payer
from ..partners.queries import partner_of
from ..payments.operations import position
from ..storage import utcnow
from ..subscriptions.models import Subscription, SubscriptionPeriod
from ..subscriptions.operations import AUTOMATIC_RENEWAL, renew_automatically
from ..subscriptions.purchase import Payer, automatic_renewal_order
from ..transactions import use_case
from ..web import external_url
from . import queries
from .models import RenewalFailure, SubscriptionMessage

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What one try at a stage came to."""

    DONE = "done"
    #: Another runner did it first, or what was due changed meanwhile.
    NOTHING = "nothing"
    #: The club was locked by someone else: left for the next pass.
    BUSY = "busy"


@dataclass
class RunReport:
    """What one run did: stages done by kind, stages others did first, failures (O1)."""

    day: date
    done: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)

    def count(self, message: Message) -> None:
        self.done[message.value] = self.done.get(message.value, 0) + 1

    @property
    def total_done(self) -> int:
        return sum(self.done.values())


def _insert(model):
    return pg_insert(model) if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert(model)


def _lock_club(club_id: int, wait: bool) -> Club | None:
    # PostgreSQL: a runner skips a club another runner holds, and comes back to it in a second pass that waits;
    # SQLite: the use case's write lock already serialises runners.
    return db.session.scalars(
        select(Club).where(Club.id == club_id).with_for_update(of=Club, skip_locked=not wait)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _claim(subscription_id: int, end: date, stage: Stage, message: Message, day: date) -> int | None:
    """The stage's unique row, or None when it already exists: the database decides who does it (R8)."""
    return db.session.scalar(
        _insert(SubscriptionMessage).values(
            subscription_id=subscription_id, period_end=end, stage=stage.name, message=message.name, run_day=day,
            done_at=utcnow(), recipients=[])
        .on_conflict_do_nothing(index_elements=["subscription_id", "period_end", "stage"])
        .returning(SubscriptionMessage.id))


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    #: What was sent, when done.
    message: Message | None = None


@use_case
def do_stage(subscription_id: int, club_id: int, end: date, day: date, today: date, wait: bool = False) -> Result:
    """Do what is due on `day` for the period of `subscription_id` ending on `end`: remind, renew, end (R7, R8).

    `today` is the date documents are issued on: a replayed day (`--date`) issues them today, in order (I1).
    """
    club = _lock_club(club_id, wait)
    if club is None:
        return Result(Outcome.BUSY)
    subscription = db.session.scalars(
        select(Subscription).where(Subscription.id == subscription_id)
        .execution_options(populate_existing=True)).one()
    period = next((p for p in subscription.periods if p.end_date == end), None)
    if period is None:
        return Result(Outcome.NOTHING)
    facts = queries.period_end(subscription, period, queries.done_for(subscription_id, end))
    stage = due_stage(facts, day)
    if stage is None:
        return Result(Outcome.NOTHING)
    message = message_for(facts.situation, stage)
    row_id = _claim(subscription_id, end, stage, message, day)
    if row_id is None:
        return Result(Outcome.NOTHING)
    invoice = None
    if stage is Stage.RENEWAL:
        invoice = renew_automatically(club.id, subscription.id, end, today, _automatic_payer(club, period))
    elif message in (Message.PAY_RENEWAL, Message.RENEWAL_OVERDUE):
        following = next(p for p in subscription.periods if p.start_date > end)
        invoice = db.session.get(Invoice, following.invoice_id) if following.invoice_id else None
    elif message is Message.ENDED:
        audit.record(AUTOMATIC_RENEWAL, "subscription.ended", club, subscription=subscription.id, end=end.isoformat())
    sent = _tell(club, subscription, message, end, invoice, (end - day).days)
    db.session.execute(update(SubscriptionMessage).where(SubscriptionMessage.id == row_id)
                       .values(invoice_id=invoice.id if invoice else None, recipients=sent))
    db.session.execute(delete(RenewalFailure).where(
        RenewalFailure.subscription_id == subscription_id, RenewalFailure.period_end == end,
        RenewalFailure.stage == stage))
    return Result(Outcome.DONE, message)


def _automatic_payer(club: Club, period: SubscriptionPeriod) -> Payer | None:
    """The period the club's partner bought is renewed billed to it, with its discount, while it manages the club;
    otherwise the club pays, with its own (R8, B1, B3)."""
    if period.invoice_id is None:
        return None
    billed_to = db.session.scalar(select(Invoice.partner_id).where(Invoice.id == period.invoice_id))
    manager = partner_of(club)
    if billed_to is None or manager is None or manager.id != billed_to:
        return None
    return partner_payer(manager, club)


@dataclass(frozen=True)
class _Reader:
    """Someone the message goes to: one of the club's addresses, or its partner's."""

    recipient: Recipient
    partner: Partner | None = None


def _readers(club: Club) -> list[_Reader]:
    """Both the club's addresses, and the partner managing it (R8)."""
    readers = [_Reader(recipient) for recipient in club_recipients(club)]
    manager = partner_of(club)
    if manager is not None:
        readers.append(_Reader(Recipient(manager.email, manager.language), manager))
    return readers


def _tell(club: Club, subscription: Subscription, message: Message, end: date, invoice: Invoice | None,
          days_left: int) -> list[str]:
    """Queue the message for every reader, in the reader's language; the invoice's buyer alone gets its amounts,
    its PDF and its payment links (R8, K5, B3)."""
    left = position(invoice).settlement.balance_due if invoice is not None else None
    transfer = _transfer(invoice, left) if invoice is not None and left else None
    resources = automatic_renewal_order(club, subscription).resources if message is Message.RENEWS_SOON else None
    sent = []
    for reader in _readers(club):
        partner = reader.partner
        pays = invoice is not None and invoice.partner_id == (partner.id if partner else None)
        if partner is None:
            links = {"subscription": external_url("subscriptions.detail", subscription_id=subscription.id),
                     "renew": external_url("subscriptions.renewal", subscription=subscription.id)}
        else:
            links = {"subscription": external_url("partner.subscription_detail", subdomain=club.subdomain,
                                                  subscription_id=subscription.id)}
            links["renew"] = links["subscription"]
        if pays:
            links["invoice"] = external_url(page_of(invoice), number=invoice.number)
            links["pay"] = external_url("payments.pay", number=invoice.number)
        queue_mail(
            reader.recipient.address, f"renewals/{message.value}", language=reader.recipient.language,
            attachments=[attachment(f"{invoice.number}.pdf", "application/pdf", invoice.pdf)] if pays else [],
            club=club, subscription=subscription, end=end, invoice=invoice, pays=pays, left_to_pay=left,
            partner=partner, links=links, renews_on=stage_day(Stage.RENEWAL, end), resources=resources,
            days_left=days_left,
            transfer=transfer, reference=format_reference(transfer.reference) if transfer else "")
        sent.append(reader.recipient.address)
    return sent


def _transfer(invoice: Invoice, amount) -> SepaTransfer:
    """The transfer details printed on the invoice, for what is left to pay on it (M2)."""
    seller = invoice.seller
    return sepa_transfer(seller["name"], seller["iban"], seller["bic"], amount,
                         invoice.creditor_reference or creditor_reference(invoice.number))


@use_case
def record_failure(subscription_id: int, end: date, stage: Stage, day: date, error: str) -> None:
    """Keep a stage the job could not do, for `flask renewals status`; the next run tries it again (O1)."""
    values = dict(subscription_id=subscription_id, period_end=end, stage=stage.name, run_day=day, failed_at=utcnow(),
                  attempts=1, error=error[:500])
    db.session.execute(_insert(RenewalFailure).values(**values).on_conflict_do_update(
        index_elements=["subscription_id", "period_end", "stage"],
        set_={"run_day": day, "failed_at": values["failed_at"], "error": values["error"],
              "attempts": RenewalFailure.attempts + 1}))


def run_renewals(day: date, today: date) -> RunReport:
    """Do every stage due on `day` (R7, R8, O1): safe to run on several hosts at once, twice, or after a crash.

    A first pass skips the clubs another runner holds; a second one waits for them, so nothing is missed.
    The e-mails wait in the outbox for `flask outbox send`.
    """
    report = RunReport(day)
    waiting = queries.due_stages(day)
    with deferred_sending():
        for wait in (False, True):
            busy = []
            for due in waiting:
                try:
                    result = do_stage(due.subscription_id, due.club_id, due.period.end, day, today, wait=wait)
                except Exception as error:  # noqa: BLE001 - one subscription's failure must not stop the others
                    _failed(report, due, day, error)
                    continue
                if result.outcome is Outcome.DONE:
                    report.count(result.message)
                elif result.outcome is Outcome.BUSY:
                    busy.append(due)
                else:
                    report.skipped += 1
            waiting = busy
    return report


def _failed(report: RunReport, due: queries.DueStage, day: date, error: Exception) -> None:
    reason = _reason(error)
    if not isinstance(error, UserError):
        log.exception("renewal stage %s of subscription %s failed", due.stage, due.subscription_id)
    report.failed.append(f"subscription {due.subscription_id} ({due.stage.value}, period ending {due.period.end}): "
                         f"{reason}")
    try:
        record_failure(due.subscription_id, due.period.end, due.stage, day, reason)
    except Exception:  # noqa: BLE001 - the report still says it failed
        log.exception("could not record the failure of subscription %s", due.subscription_id)


def _reason(error: Exception) -> str:
    if isinstance(error, UserError):
        with force_locale("en"):
            return error_message(error.code, **error.params)
    return f"{type(error).__name__}: {error}"
