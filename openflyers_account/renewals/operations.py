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
from datetime import date, timedelta

from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.models import Club
from ..billing.models import Invoice, PendingCharge
from ..billing.documents import issuing_in_batch
from ..billing.operations import Recipient, club_recipients, page_of, pdf_attachment
from ..domain.epc_qr import SepaTransfer, sepa_transfer
from ..domain.references import creditor_reference, format_reference
from ..domain.renewals import Message, Stage, due_stage, message_for, stage_day
from ..errors import UserError
from ..extensions import db
from ..mail.outbox import deferred_sending, queue_mail
from ..messages import error_message
from ..partners.models import Partner
from ..partners.operations import partner_payer
from ..partners.queries import managers_of
from ..payments.operations import position
from ..storage import utcnow
from ..subscriptions.models import Subscription, SubscriptionPeriod
from ..subscriptions.operations import AUTOMATIC_RENEWAL, renew_automatically
from ..subscriptions.purchase import Payer, PurchaseFacts, automatic_renewal_order, purchase_facts
from ..subscriptions.queries import end_date
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
    #: (subscription, period end, stage) of what failed.
    failed_keys: set[tuple[int, date, Stage]] = field(default_factory=set)

    def count(self, message: Message) -> None:
        self.done[message.value] = self.done.get(message.value, 0) + 1

    @property
    def total_done(self) -> int:
        return sum(self.done.values())


def _insert(model):
    return pg_insert(model) if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert(model)


#: Stages done in one transaction: a run's cost is mostly its transactions and statements. The automatic renewals
#: leave their PDFs to render later (I4), so that no club stays locked long.
CHUNK = 50


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    #: What was sent, when done.
    message: Message | None = None


@dataclass(frozen=True)
class _Loaded:
    """What a chunk of stages needs, read in a few queries under the clubs' locks."""

    clubs: dict[int, Club]
    subscriptions: dict[int, Subscription]
    done: dict[tuple[int, date], tuple]
    managers: dict[int, Partner]
    failed: set[tuple[int, date, Stage]]
    #: Every subscription of each club, with its periods: the floor counts the others' resources (R9).
    of_club: dict[int, list[Subscription]]
    #: Each club's charges waiting for its next invoice (A6).
    charges: dict[int, list[PendingCharge]]

    def facts(self, club: Club, subscription: Subscription, payer: Payer | None) -> PurchaseFacts:
        """What the price of the subscription's next period depends on, from what was read (R9, A6)."""
        first_day = end_date(subscription) + timedelta(days=1)
        return purchase_facts(club, first_day, subscription.id, payer, self.of_club[club.id],
                              self.charges.get(club.id, []))


def _load(items: list[queries.DueStage], wait: bool) -> _Loaded:
    # PostgreSQL: a runner skips the clubs another runner (or a buyer) holds and comes back to them in a pass
    # that waits, one at a time; SQLite: the use case's write lock already serialises runners.
    clubs = {club.id: club for club in db.session.scalars(
        select(Club).where(Club.id.in_({item.club_id for item in items})).order_by(Club.id)
        .with_for_update(of=Club, skip_locked=not wait).execution_options(populate_existing=True))}
    ids = {item.subscription_id for item in items if item.club_id in clubs}
    subscriptions = {subscription.id: subscription for subscription in db.session.scalars(
        select(Subscription).where(Subscription.club_id.in_(clubs)).order_by(Subscription.id)
        .options(selectinload(Subscription.periods).selectinload(SubscriptionPeriod.additions))
        .execution_options(populate_existing=True))}
    of_club: dict[int, list[Subscription]] = {club_id: [] for club_id in clubs}
    for subscription in subscriptions.values():
        of_club[subscription.club_id].append(subscription)
    charges: dict[int, list[PendingCharge]] = {}
    for charge in db.session.scalars(select(PendingCharge).where(PendingCharge.club_id.in_(clubs),
                                                                 PendingCharge.invoice_id.is_(None))):
        charges.setdefault(charge.club_id, []).append(charge)
    done = queries.done_for_each(ids)
    failed = set(db.session.execute(select(RenewalFailure.subscription_id, RenewalFailure.period_end,
                                           RenewalFailure.stage).where(RenewalFailure.subscription_id.in_(ids))))
    return _Loaded(clubs, subscriptions, done, managers_of(clubs), failed, of_club, charges)


@use_case
def do_stages(items: list[queries.DueStage], day: date, today: date, wait: bool = False) -> list[Result]:
    """Do what is due on `day` for each item: remind, renew, end (R7, R8), in one transaction; each item is read
    again under its club's lock, and what another runner did meanwhile is not done again.

    `today` is the date documents are issued on: a replayed day (`--date`) issues them today, in order (I1).
    """
    loaded = _load(items, wait)
    planned = {item: _plan(item, loaded, day, today) for item in items if item.club_id in loaded.clubs}
    claimed = _claim([plan for plan in planned.values() if plan is not None], day)
    results, sent = [], []
    for item in items:
        if item.club_id not in loaded.clubs:
            results.append(Result(Outcome.BUSY))
            continue
        plan = planned[item]
        row_id = claimed.get(plan.key) if plan is not None else None
        if row_id is None:
            results.append(Result(Outcome.NOTHING))
            continue
        invoice, readers = _do(plan, loaded, day, today)
        sent.append((row_id, invoice, readers))
        results.append(Result(Outcome.DONE, plan.message))
    # The automatic invoices are written now, with the rest; their rows name them.
    db.session.flush()
    if sent:
        db.session.execute(update(SubscriptionMessage), [
            {"id": row_id, "invoice_id": invoice.id if invoice else None,
             "recipients": [reader.recipient.address for reader in readers]} for row_id, invoice, readers in sent])
    return results


@dataclass(frozen=True)
class _Planned:
    """A stage found due under the club's lock, before the database says whether this runner does it."""

    item: queries.DueStage
    period: SubscriptionPeriod
    stage: Stage
    message: Message
    #: The renewal invoice a reminder to pay is about.
    invoice: Invoice | None

    @property
    def key(self) -> tuple[int, date, Stage]:
        return self.item.subscription_id, self.item.period.end, self.stage


def _plan(item: queries.DueStage, loaded: _Loaded, day: date, today: date) -> _Planned | None:
    """What is due for the item, read again under its club's lock; None when nothing is any more."""
    subscription, end = loaded.subscriptions[item.subscription_id], item.period.end
    period = next((p for p in subscription.periods if p.end_date == end), None)
    if period is None:
        return None
    facts = queries.period_end(subscription, period, loaded.done.get((subscription.id, end), ()))
    stage = due_stage(facts, day, today)
    if stage is None:
        return None
    message = message_for(facts.situation, stage)
    invoice = None
    if message in (Message.PAY_RENEWAL, Message.RENEWAL_OVERDUE):
        following = next(p for p in subscription.periods if p.start_date > end)
        invoice = db.session.get(Invoice, following.invoice_id)
    return _Planned(item, period, stage, message, invoice)


def _claim(plans: list[_Planned], day: date) -> dict[tuple[int, date, Stage], int]:
    """Each stage's unique row, inserted in one statement; those already there (another runner did them) are not
    returned: the database decides who does what (R8)."""
    if not plans:
        return {}
    now = utcnow()
    rows = db.session.execute(
        _insert(SubscriptionMessage).values([
            {"subscription_id": plan.item.subscription_id, "period_end": plan.item.period.end,
             "stage": plan.stage.name, "message": plan.message.name, "run_day": day, "done_at": now,
             "recipients": [], "invoice_id": plan.invoice.id if plan.invoice else None} for plan in plans])
        .on_conflict_do_nothing(index_elements=["subscription_id", "period_end", "stage"])
        .returning(SubscriptionMessage.id, SubscriptionMessage.subscription_id, SubscriptionMessage.period_end,
                   SubscriptionMessage.stage)
        .execution_options(autoflush=False))
    return {(row.subscription_id, row.period_end, row.stage): row.id for row in rows}


def _do(plan: _Planned, loaded: _Loaded, day: date, today: date) -> tuple[Invoice | None, list[_Reader]]:
    """Do a stage this runner claimed: the invoice it issued or is about, and whom it told."""
    item, stage, message, invoice = plan.item, plan.stage, plan.message, plan.invoice
    club, subscription, end = loaded.clubs[item.club_id], loaded.subscriptions[item.subscription_id], item.period.end
    manager = loaded.managers.get(club.id)
    if stage is Stage.RENEWAL:
        payer = _automatic_payer(club, plan.period, manager)
        invoice = renew_automatically(club, subscription, end, today, payer, loaded.facts(club, subscription, payer))
        if invoice is None:  # it was read under the same lock: a bug, not a case; nothing is kept
            raise RuntimeError(f"subscription {subscription.id} could not be renewed automatically")
    readers = _readers(club, manager, invoice)
    if message is Message.ENDED:
        audit.record(AUTOMATIC_RENEWAL, "subscription.ended", club, subscription=subscription.id, end=end.isoformat())
    resources = None
    if message is Message.RENEWS_SOON:
        resources = automatic_renewal_order(club, subscription, loaded.facts(club, subscription, None).elsewhere).resources
    _tell(readers, manager, club, subscription, message, end, invoice, (end - day).days, resources)
    if plan.key in loaded.failed:
        db.session.execute(delete(RenewalFailure).where(
            RenewalFailure.subscription_id == subscription.id, RenewalFailure.period_end == end,
            RenewalFailure.stage == stage))
    return invoice, readers


def _automatic_payer(club: Club, period: SubscriptionPeriod, manager: Partner | None) -> Payer | None:
    """The period the club's partner bought is renewed billed to it, with its discount, while it manages the club;
    otherwise the club pays, with its own (R8, B1, B3)."""
    if period.invoice_id is None or manager is None:
        return None
    billed_to = db.session.scalar(select(Invoice.partner_id).where(Invoice.id == period.invoice_id))
    return partner_payer(manager, club) if billed_to == manager.id else None


@dataclass(frozen=True)
class _Reader:
    """Someone the message goes to: one of the club's addresses, or its partner's."""

    recipient: Recipient
    partner: Partner | None = None


def _readers(club: Club, manager: Partner | None, invoice: Invoice | None) -> list[_Reader]:
    """Both the club's addresses, the partner managing it, and the partner billed for the invoice even when it no
    longer manages the club: it owes the money (R8, B3)."""
    readers = [_Reader(recipient) for recipient in club_recipients(club)]
    partners = [manager] if manager is not None else []
    if invoice is not None and invoice.partner_id is not None and invoice.partner_id != getattr(manager, "id", None):
        partners.append(db.session.get(Partner, invoice.partner_id))
    readers += [_Reader(Recipient(partner.email, partner.language), partner) for partner in partners]
    return readers


def _tell(readers: list[_Reader], manager: Partner | None, club: Club, subscription: Subscription, message: Message,
          end: date, invoice: Invoice | None, days_left: int, resources: int | None) -> None:
    """Queue the message for every reader, in the reader's language; the invoice's buyer alone gets its amounts,
    its PDF and its payment links (R8, K5, B3). Readers who get the same words share one rendering."""
    if invoice is None:
        left = None
    elif message is Message.RENEWED:
        left = invoice.total_incl_vat  # issued in this transaction: nothing is paid on it yet
    else:
        left = position(invoice).settlement.balance_due
    transfer = _transfer(invoice, left) if invoice is not None and left else None
    audiences: dict[tuple, list[str]] = {}
    for reader in readers:
        partner = reader.partner
        pays = invoice is not None and invoice.partner_id == (partner.id if partner else None)
        audiences.setdefault((reader.recipient.language, partner, pays), []).append(reader.recipient.address)
    for (language, partner, pays), addresses in audiences.items():
        if partner is None:
            links = {"subscription": external_url("subscriptions.detail", subscription_id=subscription.id),
                     "renew": external_url("subscriptions.renewal", subscription=subscription.id)}
        elif partner is not manager:
            # The partner billed no longer manages the club: its invoice page is its way in.
            links = {"subscription": external_url("partner.invoices")}
            links["renew"] = links["subscription"]
        else:
            links = {"subscription": external_url("partner.subscription_detail", subdomain=club.subdomain,
                                                  subscription_id=subscription.id)}
            links["renew"] = links["subscription"]
        if pays:
            links["invoice"] = external_url(page_of(invoice), number=invoice.number)
            links["pay"] = external_url("payments.pay", number=invoice.number)
        queue_mail(
            addresses, f"renewals/{message.value}", language=language,
            attachments=[pdf_attachment(invoice)] if pays else [],
            club=club, subscription=subscription, end=end, invoice=invoice, pays=pays, left_to_pay=left,
            partner=partner, links=links, renews_on=stage_day(Stage.RENEWAL, end), resources=resources,
            days_left=days_left, transfer=transfer,
            reference=format_reference(transfer.reference) if transfer else "")


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


@use_case
def clear_failures(day: date, still_failing: set[tuple[int, date, Stage]]) -> int:
    """Forget the failures a run for `day` found done or no longer due: the club renewed itself meanwhile, the
    look-back passed, another runner did it. Failures kept for a later day than this run's stay (O1)."""
    stale = [failure.id for failure in db.session.scalars(select(RenewalFailure).where(RenewalFailure.run_day <= day))
             if (failure.subscription_id, failure.period_end, failure.stage) not in still_failing]
    if stale:
        db.session.execute(delete(RenewalFailure).where(RenewalFailure.id.in_(stale)))
    return len(stale)


def _chunks(items: list[queries.DueStage]):
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def run_renewals(day: date, today: date) -> RunReport:
    """Do every stage due on `day` (R7, R8, O1): safe to run on several hosts at once, twice, or after a crash.

    A first pass skips the clubs another runner holds; a second one comes back to them, one at a time and
    waiting for the lock, so nothing is missed, and to the items of a chunk that failed, so that one
    subscription's failure costs the others nothing. The e-mails wait in the outbox for `flask outbox send`, which
    renders the PDFs of the automatic renewals as it sends them (I4).
    """
    report = RunReport(day)
    again: list[queries.DueStage] = []
    with deferred_sending(), issuing_in_batch():
        for chunk in _chunks(queries.due_stages(day, today)):
            try:
                results = do_stages(chunk, day, today)
            except Exception as error:  # noqa: BLE001 - one subscription's failure must not stop the others
                if len(chunk) == 1:
                    _failed(report, chunk[0], day, error)
                else:
                    again.extend(chunk)
                continue
            again.extend(item for item, result in zip(chunk, results, strict=True) if result.outcome is Outcome.BUSY)
            _count(report, results)
        for item in again:
            try:
                _count(report, do_stages([item], day, today, wait=True))
            except Exception as error:  # noqa: BLE001 - as above
                _failed(report, item, day, error)
    clear_failures(day, report.failed_keys)
    return report


def _count(report: RunReport, results: list[Result]) -> None:
    for result in results:
        if result.outcome is Outcome.DONE:
            report.count(result.message)
        elif result.outcome is Outcome.NOTHING:
            report.skipped += 1


def _failed(report: RunReport, due: queries.DueStage, day: date, error: Exception) -> None:
    reason = _reason(error)
    if not isinstance(error, UserError):
        log.exception("renewal stage %s of subscription %s failed", due.stage, due.subscription_id)
    report.failed.append(f"subscription {due.subscription_id} ({due.stage.value}, period ending {due.period.end}): "
                         f"{reason}")
    report.failed_keys.add((due.subscription_id, due.period.end, due.stage))
    try:
        record_failure(due.subscription_id, due.period.end, due.stage, day, reason)
    except Exception:  # noqa: BLE001 - the report still says it failed
        log.exception("could not record the failure of subscription %s", due.subscription_id)


def _reason(error: Exception) -> str:
    if isinstance(error, UserError):
        with force_locale("en"):
            return error_message(error.code, **error.params)
    return f"{type(error).__name__}: {error}"
