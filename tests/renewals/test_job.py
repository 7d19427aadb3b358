"""`flask renewals run`: reminders, the automatic renewal, unpaid reminders and ends, each on its day, once (R7, R8, O1)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.domain.payments import PaymentMethod
from openflyers_account.domain.periods import add_years
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    Club,
    Invoice,
    PendingCharge,
    RenewalFailure,
    Subscription,
    SubscriptionPeriod,
)
from openflyers_account.partners import operations as partners
from openflyers_account.payments.operations import record_payment
from openflyers_account.subscriptions import operations as subscriptions
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.billing_helpers import add_paid_period
from tests.renewals.helpers import ONE_DAY, mails, run_every_day, run_job, stages_done

TODAY = date.today()
ADDRESSES = ["contact@mermoz.example", "tresorier@mermoz.example"]


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def change(model, row_id: int, **values) -> None:
    row = db.session.get(model, row_id)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()


def test_r8_every_stage_happens_once_on_its_day_and_the_automatic_renewal_at_30_days(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=65, resources=3, po_reference="BC-2026-7")
    end = period.end_date
    run_every_day(runner, TODAY, end + timedelta(days=16))
    assert stages_done(period.subscription_id) == [
        (end - timedelta(days=60), "reminder_60", "renews_soon"),
        (end - timedelta(days=30), "renewal", "renewed"),
        (end - timedelta(days=7), "unpaid_7", "pay_renewal"),
        (end + timedelta(days=15), "unpaid_15", "renewal_overdue"),
    ]
    # Both club addresses, once per stage.
    assert sorted(m.recipient for m in mails()) == sorted(ADDRESSES * 4)
    [invoice] = invoices()
    assert (invoice.period_start, invoice.period_end) == (end + ONE_DAY, add_years(end + ONE_DAY, 1) - ONE_DAY)
    assert (invoice.offer_code, invoice.resources, invoice.term_years, invoice.po_reference) == (
        "business", 3, 1, "BC-2026-7")
    assert invoice.issue_date == end - timedelta(days=30)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "subscription.renewed_automatically")).one()
    assert entry.actor == "automatic renewal" and entry.details["invoice"] == invoice.number
    # The renewal and the unpaid reminders carry the invoice; the 60-day reminder has none yet.
    assert [[a["filename"] for a in m.attachments] for m in mails(ADDRESSES[0])] == [
        [], *[[f"{invoice.number}.pdf"]] * 3]

    # The same days again, as a second host or a restarted runner would: nothing more.
    before = len(mails())
    run_every_day(runner, TODAY, end + timedelta(days=16))
    assert len(mails()) == before and len(invoices()) == 1
    assert len(stages_done(period.subscription_id)) == 4
    assert "0 done" in run_job(runner, today=end).output


def test_o1_a_replayed_day_issues_its_invoice_on_the_day_it_really_runs(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=25, resources=3)
    # Cron did not run five days ago, when the 30-day mark fell: the operator replays that day today.
    result = run_job(runner, TODAY - timedelta(days=5))
    assert result.exit_code == 0 and "1 automatic renewals" in result.output
    [invoice] = invoices()
    assert invoice.issue_date == TODAY and invoice.period_start == period.end_date + ONE_DAY
    assert stages_done(period.subscription_id) == [(TODAY - timedelta(days=5), "renewal", "renewed")]


def test_r8_the_messages_say_what_happens_by_when_and_link_to_act(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=30, resources=3)
    end = period.end_date
    run_job(runner, TODAY - timedelta(days=30))
    soon = mails(ADDRESSES[1])[0]
    assert "renouvelle" in soon.subject
    assert f"/renewal?subscription={period.subscription_id}" in soon.body_text
    assert "3 ressources" in soon.body_text
    run_job(runner)
    renewed = mails(ADDRESSES[1])[-1]
    invoice = invoices()[0]
    body = renewed.body_text
    for expected in (invoice.number, f"/invoices/{invoice.number}/pay", "FR76 3000 6000 0112 3456 7890 189",
                     "RF", f"/subscriptions/{period.subscription_id}"):
        assert expected in body
    assert str(end.year) in body


def test_r8_the_renewal_keeps_the_offer_term_po_reference_and_discount(app, make, runner):
    club = make.club("mermoz", resources=2, offer="premiere", discount_percent=Decimal("5"))
    period = add_paid_period(club, days_to_end=30, resources=4, po_reference="Base de Toussus")
    change(Subscription, period.subscription_id, term_years=3)
    assert run_job(runner).exit_code == 0
    [invoice] = invoices()
    assert (invoice.offer_code, invoice.resources, invoice.term_years, invoice.po_reference) == (
        "premiere", 4, 3, "Base de Toussus")
    assert invoice.period_end == add_years(period.end_date + ONE_DAY, 3) - ONE_DAY
    assert any(line.kind == "club_discount" for line in invoice.lines)


@pytest.mark.parametrize(("activated", "asked", "renewed_with"), [
    (1, 2, 2),   # the reduction asked in time
    (3, 2, 3),   # never below the floor: the platform's activated resources
    (1, None, 5),  # no reduction: the current count, added resources included
])
def test_r7_r8_the_renewal_takes_the_reduction_asked_in_time_never_below_the_floor(app, make, runner, activated,
                                                                                    asked, renewed_with):
    club = make.club("mermoz", resources=activated)
    period = add_paid_period(club, days_to_end=30, resources=4)
    if asked is not None:
        change(Subscription, period.subscription_id, next_resources=asked)
    else:
        change(SubscriptionPeriod, period.id, resources=5)
    assert run_job(runner).exit_code == 0
    assert invoices()[0].resources == renewed_with
    # The reduction is used up: the next renewal starts again from the count.
    assert db.session.get(Subscription, period.subscription_id).next_resources is None


def test_r9_two_subscriptions_renewed_together_share_the_floor_as_one_after_the_other(app, make, runner):
    club = make.club("mermoz", resources=6)
    add_paid_period(club, days_to_end=30, resources=4, po_reference="BC-A")
    add_paid_period(club, days_to_end=30, resources=2, po_reference="BC-B")
    assert run_job(runner).exit_code == 0
    # The first renewed holds the whole floor on the new periods' first day, the second sees it (R9).
    assert [invoice.resources for invoice in invoices()] == [6, 2]


def test_r8_a6_a_waiting_charge_goes_on_one_invoice_when_two_subscriptions_renew_together(app, make, runner):
    club = make.club("mermoz", resources=2)
    first = add_paid_period(club, days_to_end=30, resources=3, po_reference="BC-A")
    second = add_paid_period(club, days_to_end=30, resources=3, po_reference="BC-B")
    assert first.subscription_id != second.subscription_id
    db.session.add(PendingCharge(club_id=club.id, service_code="password_reset", label="Réinitialisation",
                                 quantity=1, unit_price=Decimal("15.00")))
    db.session.commit()
    assert run_job(runner).exit_code == 0
    renewed = invoices()
    assert len(renewed) == 2
    with_charge = [invoice for invoice in renewed if any(line.kind == "extra_charge" for line in invoice.lines)]
    assert len(with_charge) == 1
    assert db.session.scalars(select(PendingCharge)).one().invoice_id == with_charge[0].id


def test_r7_under_notice_it_is_reminded_it_ends_then_ends_on_its_end_date_without_invoice(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=70, resources=3)
    change(Subscription, period.subscription_id, notice_given_on=TODAY - timedelta(days=100))
    end = period.end_date
    run_every_day(runner, TODAY, end + timedelta(days=2))
    assert stages_done(period.subscription_id) == [
        (end - timedelta(days=60), "reminder_60", "ending"),
        (end - timedelta(days=30), "reminder_30", "ending"),
        (end, "ended", "ended"),
    ]
    assert invoices() == []
    ending = mails(ADDRESSES[0])[0]
    assert f"/subscriptions/{period.subscription_id}" in ending.body_text and "préavis" in ending.body_text
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "subscription.ended")) == 1


def test_r8_a_club_that_renewed_and_paid_itself_gets_no_message(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=70, resources=3)
    add_paid_period(club, days_to_end=435, resources=3)
    run_every_day(runner, TODAY, period.end_date + timedelta(days=20))
    assert stages_done(period.subscription_id) == [] and mails() == []


def test_r8_a_run_after_days_of_downtime_renews_once_and_sends_no_stale_reminder(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=-3, resources=3)
    end = period.end_date
    # No run since well before the 60-day mark: the first run, three days after the end, renews from the day after
    # the end, so the platform has no gap, and sends nothing else.
    result = run_job(runner)
    assert result.exit_code == 0 and "1 done" in result.output
    assert stages_done(period.subscription_id) == [(TODAY, "renewal", "renewed")]
    assert invoices()[0].period_start == end + ONE_DAY
    for days_ago in range(5, 0, -1):
        assert run_job(runner, TODAY - timedelta(days=days_ago)).exit_code == 0
    assert len(stages_done(period.subscription_id)) == 1


def test_r8_the_partner_managing_the_club_is_told_too_and_only_the_payer_sees_the_invoice(app, make, runner):
    club = make.club("mermoz", resources=2)
    partner = partners.add_partner("partenaire@federation.example", "Fédération", "cli", Decimal("10"), "Accord")
    partners.link_club(partner.id, "mermoz", "cli")
    add_paid_period(club, days_to_end=30, resources=3)
    assert run_job(runner).exit_code == 0
    [invoice] = invoices()
    assert invoice.partner_id is None
    to_partner = mails("partenaire@federation.example")
    assert len(to_partner) == 1 and to_partner[0].attachments == []
    assert "mermoz" in to_partner[0].body_text
    assert str(invoice.total_incl_vat).replace(".", ",") not in to_partner[0].body_text
    assert "/partner/clients/mermoz/subscriptions/" in to_partner[0].body_text
    assert all(m.attachments for m in mails(ADDRESSES[0]))


def test_r8_b3_what_the_partner_bought_renews_billed_to_it_with_its_discount(app, make, runner):
    club = make.club("mermoz", resources=1)
    partner = partners.add_partner("partenaire@federation.example", "Fédération", "cli", Decimal("10"), "Accord")
    partners.link_club(partner.id, "mermoz", "cli")
    end = TODAY + timedelta(days=30)
    bought = subscriptions.start_subscription(club.id, SubscriptionOrder("business", 2, Term.ONE_YEAR),
                                              add_years(end + ONE_DAY, -1), TODAY, partner,
                                              payer=partners.partner_payer(partner, club))
    record_payment(bought.id, bought.total_incl_vat, PaymentMethod.TRANSFER, TODAY, "test", reference="RF")
    mails_before = len(mails())
    assert run_job(runner).exit_code == 0
    renewal = invoices()[-1]
    first = invoices()[0]
    assert renewal.partner_id == partner.id and renewal.buyer["name"] == "Fédération"
    # The same order at the same prices with the partner's discount: the same amounts.
    assert [(line.kind, line.amount_excl_vat) for line in renewal.lines] == [
        (line.kind, line.amount_excl_vat) for line in first.lines]
    new = mails()[mails_before:]
    by_address = {m.recipient: m for m in new}
    assert by_address["partenaire@federation.example"].attachments
    assert not by_address[ADDRESSES[0]].attachments
    assert str(renewal.total_incl_vat).replace(".", ",") not in by_address[ADDRESSES[0]].body_text
    assert "Fédération" in by_address[ADDRESSES[0]].body_text


def test_r8_messages_are_in_the_club_language_french_by_default(app, make, runner):
    french = make.club("mermoz", resources=1)
    english = make.club("guynemer", resources=1)
    change(Club, english.id, language="en")
    for club in (french, english):
        add_paid_period(club, days_to_end=60, resources=1)
    assert run_job(runner).exit_code == 0
    assert mails("contact@mermoz.example")[0].subject.startswith("L’abonnement OpenFlyers de Aéroclub mermoz")
    english_mail = mails("contact@guynemer.example")[0]
    assert english_mail.subject.startswith("The OpenFlyers subscription") and "Hello," in english_mail.body_text


def test_o1_a_stage_that_fails_is_reported_kept_and_done_by_a_later_run(app, make, runner):
    stuck = make.club("mermoz", resources=2)
    fine = make.club("guynemer", resources=1)
    stuck_period = add_paid_period(stuck, days_to_end=30, resources=3)
    add_paid_period(fine, days_to_end=30, resources=1)
    # More activated resources than a period may hold (P5): the automatic renewal cannot be priced.
    change(Club, stuck.id, activated_resources=1200)
    result = run_job(runner)
    assert result.exit_code == 1
    assert f"subscription {stuck_period.subscription_id} (renewal" in result.output
    assert [invoice.club_id for invoice in invoices()] == [fine.id]
    failure = db.session.scalars(select(RenewalFailure)).one()
    assert (failure.subscription_id, failure.stage.value, failure.attempts) == (stuck_period.subscription_id,
                                                                                "renewal", 1)
    status = run_job(runner, command="status")
    assert status.exit_code == 1 and "1 failed" in status.output and "999" in status.output
    # Nothing of the failed stage was written: no message row, no e-mail.
    assert stages_done(stuck_period.subscription_id) == []
    assert mails("contact@mermoz.example") == []

    assert run_job(runner).exit_code == 1
    db.session.expire_all()
    assert db.session.scalars(select(RenewalFailure)).one().attempts == 2
    change(Club, stuck.id, activated_resources=2)
    assert run_job(runner).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(RenewalFailure)) == 0
    assert len(invoices()) == 2


def test_o1_status_says_what_is_due_what_was_done_and_what_failed(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=60, resources=3)
    before = run_job(runner, command="status")
    assert before.exit_code == 0
    assert f"{TODAY}: 1 due and not done yet, 0 done, 0 failed." in before.output
    assert f"due: subscription {period.subscription_id}, reminder_60" in before.output
    run_job(runner)
    after = run_job(runner, command="status")
    assert f"{TODAY}: 0 due and not done yet, 1 done, 0 failed." in after.output
    assert "renews_soon" in after.output and "contact@mermoz.example" in after.output


@pytest.mark.parametrize(("value", "error"), [
    ("2026-13-01", "is not a date written YYYY-MM-DD"),
    ((TODAY + ONE_DAY).isoformat(), "is after today"),
    # A mistyped year would otherwise bill every club that lapsed a year ago.
    ((TODAY - timedelta(days=46)).isoformat(), "is more than 45 days ago"),
])
def test_o1_a_bad_date_is_refused_with_a_reason_and_nothing_done(app, make, runner, value, error):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=3)
    result = runner.invoke(args=["renewals", "run", "--date", value])
    assert result.exit_code == 2 and error in result.output
    assert invoices() == [] and mails() == []


def renew_as_the_club(club, resources: int = 3) -> Invoice:
    subscription_id = db.session.scalar(select(Subscription.id).where(Subscription.club_id == club.id))
    return subscriptions.issue_renewal(club.id, subscription_id, SubscriptionOrder("business", resources,
                                                                                  Term.ONE_YEAR), TODAY, club)


def test_r1_r8_a_club_restarting_after_its_end_is_not_told_its_fresh_invoice_is_overdue(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=-20, resources=3)
    change(Subscription, period.subscription_id, notice_given_on=TODAY - timedelta(days=200))
    assert stages_done(period.subscription_id) == []
    renew_as_the_club(club)  # R1: the lapsed club restarts on the invoice date
    mails_before = len(mails())
    for later in range(0, 10):
        assert run_job(runner, today=TODAY + timedelta(days=later)).exit_code == 0
    assert stages_done(period.subscription_id) == [] and len(mails()) == mails_before


def test_r8_a_cancelled_automatic_invoice_leaves_a_reminder_a_week_before_the_end(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=30, resources=3)
    assert run_job(runner).exit_code == 0
    [invoice] = invoices()
    subscriptions.cancel_purchase(club.id, invoice.number, TODAY, club)  # to start again, then forgotten
    run_every_day(runner, TODAY + ONE_DAY, period.end_date + timedelta(days=20))
    assert [stage for _, stage, _ in stages_done(period.subscription_id)] == ["renewal", "unpaid_7"]
    reminder = mails(ADDRESSES[0])[-1]
    assert reminder.subject.endswith("il n’est pas renouvelé") and "/renewal?subscription=" in reminder.body_text
    assert len(invoices()) == 2  # the invoice and its credit note: no second automatic invoice


def test_o1_a_failure_is_forgotten_once_the_stage_is_no_longer_due(app, make, runner):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=30, resources=3)
    change(Club, club.id, activated_resources=1200)
    assert run_job(runner).exit_code == 1
    change(Club, club.id, activated_resources=2)
    renew_as_the_club(club)  # the club renewed itself before the next run
    assert run_job(runner, today=TODAY + ONE_DAY).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(RenewalFailure)) == 0
    assert "0 failed" in run_job(runner, command="status", today=TODAY + ONE_DAY).output
    assert [stage for _, stage, _ in stages_done(period.subscription_id)] == []


def test_r8_b3_the_partner_billed_is_chased_even_once_it_no_longer_manages_the_club(app, make, runner):
    club = make.club("mermoz", resources=1)
    partner = partners.add_partner("partenaire@federation.example", "Fédération", "cli", Decimal("10"), "Accord")
    partners.link_club(partner.id, "mermoz", "cli")
    end = TODAY + timedelta(days=30)
    bought = subscriptions.start_subscription(club.id, SubscriptionOrder("business", 2, Term.ONE_YEAR),
                                              add_years(end + ONE_DAY, -1), TODAY, partner,
                                              payer=partners.partner_payer(partner, club))
    record_payment(bought.id, bought.total_incl_vat, PaymentMethod.TRANSFER, TODAY, "test", reference="RF")
    assert run_job(runner).exit_code == 0
    renewal = invoices()[-1]
    partners.unlink_club(partner.id, "mermoz", "cli")
    before = len(mails())
    assert run_job(runner, today=end - timedelta(days=7)).exit_code == 0
    chased = {m.recipient: m for m in mails()[before:]}
    assert set(chased) == {*ADDRESSES, "partenaire@federation.example"}
    assert chased["partenaire@federation.example"].attachments[0]["filename"] == f"{renewal.number}.pdf"
    assert f"/invoices/{renewal.number}/pay" in chased["partenaire@federation.example"].body_text
    # B3: the club is told its renewal is unpaid, never the partner's invoice number nor amount.
    club_copy = chased[ADDRESSES[0]]
    assert renewal.number not in club_copy.subject + club_copy.body_text and not club_copy.attachments
