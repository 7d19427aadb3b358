"""What people see of the renewal job: staff the messages sent, the club its next step and its date (R8)."""
import html
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from openflyers_account.extensions import db
from openflyers_account.models import Club, Invoice, StaffRole
from tests.billing_helpers import add_paid_period, confirm_form
from tests.renewals.helpers import run_job

TODAY = date.today()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_r8_the_staff_client_page_lists_the_messages_sent_with_their_dates_and_kinds(app, client, make, runner,
                                                                                    staff_sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=3)
    run_job(runner, TODAY - timedelta(days=30))
    run_job(runner)
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in("agent@openflyers.example")
    shown = page(client, "/staff/clients/mermoz")
    section = shown.split('id="renewal-messages"')[1].split("</section>")[0]
    assert "Renewed automatically, invoice sent (30 days before the end)" in section
    assert "Reminder: it renews itself in 30 days (60 days before the end)" in section
    # The replayed day is told apart from the day it was sent.
    assert f"for {format_date(TODAY - timedelta(days=30), 'medium', locale='en')}" in section
    assert "/staff/invoices/F-" in section and "contact@mermoz.example</span><br><span class=\"address\">tresorier@mermoz.example" in section


def test_o1_the_staff_client_page_shows_what_the_job_could_not_do(app, client, make, runner, staff_sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=3)
    db.session.get(Club, club.id).activated_resources = 1500
    db.session.commit()
    assert run_job(runner).exit_code == 1
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in("agent@openflyers.example")
    section = page(client, "/staff/clients/mermoz").split('id="renewal-messages"')[1].split("</section>")[0]
    assert "Not done yet (30 days before the end" in section and "999" in section


@pytest.mark.parametrize(("days_to_end", "change_them"), [
    (120, "à partir du {opens_on}"),  # renewal not open yet
    (60, "avant cette date"),          # renewal open: the club may renew itself until the job does
])
def test_r8_the_dashboard_says_the_next_step_and_its_date(app, client, make, sign_in, days_to_end, change_them):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=days_to_end, resources=3)
    sign_in("mermoz")
    renews_on = format_date(period.end_date - timedelta(days=30), "long", locale="fr")
    opens_on = format_date(period.end_date - timedelta(days=90), "long", locale="fr")
    dashboard = page(client, "/")
    assert f"le {renews_on}, l’abonnement se renouvelle" in dashboard
    assert change_them.format(opens_on=opens_on) in dashboard


def test_r8_under_notice_the_dashboard_says_when_it_ends_not_that_it_renews(app, client, make, sign_in):
    club = make.club("mermoz", resources=2)
    period = add_paid_period(club, days_to_end=60, resources=3)
    period.subscription.notice_given_on = TODAY - timedelta(days=100)
    db.session.commit()
    sign_in("mermoz")
    dashboard = page(client, "/")
    assert "se renouvelle avec la même offre" not in dashboard
    assert format_date(period.end_date, "long", locale="fr") in dashboard


def test_r2_r8_a_club_confirming_after_the_automatic_renewal_is_told_and_keeps_one_invoice(app, client, make, runner,
                                                                                         sign_in):
    club = make.club("mermoz", resources=2)
    add_paid_period(club, days_to_end=30, resources=3)
    sign_in("mermoz")
    reviewed = confirm_form(client, offer="premiere", resources=5, term=3)  # the club is on the review page...
    assert run_job(runner).exit_code == 0                                  # ... when the job renews
    response = client.post("/renewal/confirm", data=reviewed)
    invoice = db.session.scalars(select(Invoice)).one()
    assert response.headers["Location"] == f"/invoices/{invoice.number}"
    shown = page(client, response.headers["Location"])
    assert f"Votre abonnement s’est renouvelé automatiquement le {format_date(TODAY, 'long', locale='fr')}" in shown
    assert "annulez cette facture, puis recommencez" in shown
    assert (invoice.offer_code, invoice.resources, invoice.term_years) == ("business", 3, 1)
