"""Resources added to a running period: estimate, review, confirm, a separate prorated invoice (R3, R6)."""
import html as html_lib
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import (
    Invoice,
    InvoicePurpose,
    InvoiceStatus,
    ResourceAddition,
    StaffRole,
    SubscriptionInvoice,
    SubscriptionPeriod,
)
from tests.billing_helpers import add_paid_period, add_resources, hidden_fields, renew, start_subscription
from tests.conftest import post_form

CENT = Decimal("0.01")


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def prorated(annual: Decimal, days: int, period_days: int) -> Decimal:
    return (annual * days / period_days).quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def mermoz(make, sign_in):
    """Mermoz, Business, 3 resources in a paid year ending in 182 days: 183 days left of 365."""
    club = make.club("mermoz", offer="business", resources=3)
    period = add_paid_period(club, days_to_end=182, resources=3)
    sign_in("mermoz")
    return period


def base(period) -> str:
    return f"/subscriptions/{period.subscription_id}"


def test_r6_the_estimate_is_the_fee_for_the_days_left_as_the_club_types(client, mermoz):
    response = client.get(f"{base(mermoz)}/resources/price", query_string={"added": "2"},
                          headers={"HX-Request": "true"})
    page = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "<html" not in page
    unit = prorated(Decimal("60"), 183, 365)
    total = (unit * 2 * Decimal("1.2")).quantize(CENT, rounding=ROUND_HALF_UP)
    assert f'data-total="{total}"' in page
    assert "183 jours sur 365" in page
    assert 'id="added-errors" class="field-errors" hx-swap-oob="true"' in page


def test_r6_u2_the_page_works_without_javascript(client, mermoz):
    response = client.get(f"{base(mermoz)}/resources", query_string={"added": "2", "recalculate": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<noscript>" in page and "data-total=" in page
    assert f'formaction="{base(mermoz)}/resources/review"' in page


def test_r6_the_confirmation_issues_a_separate_prorated_invoice_and_the_resources_count_at_once(client, mermoz):
    period_before = (mermoz.start_date, mermoz.end_date)
    response = add_resources(client, base(mermoz), 2)
    (invoice,) = invoices()
    assert response.status_code == 302 and response.headers["Location"] == f"/invoices/{invoice.number}"
    unit = prorated(Decimal("60"), 183, 365)
    (line,) = invoice.lines
    assert (line.quantity, line.unit_price, line.amount_excl_vat) == (2, unit, unit * 2)
    today = date.today()
    assert (f"du {format_date(today, 'long', locale='fr')} au {format_date(mermoz.end_date, 'long', locale='fr')}, "
            "183 jours sur 365") in line.description
    assert (invoice.period_start, invoice.period_end, invoice.resources) == (today, mermoz.end_date, 2)
    assert db.session.get(SubscriptionInvoice, invoice.id).purpose is InvoicePurpose.ADDED_RESOURCES
    period = db.session.get(SubscriptionPeriod, mermoz.id)
    # The period's dates and paid state do not change; the added resources count before the invoice is paid.
    assert (period.start_date, period.end_date) == period_before and period.activated_at is not None
    assert period.total_resources == 5 and invoice.status is InvoiceStatus.ISSUED
    assert '<dd class="resources">5</dd>' in client.get(base(mermoz)).get_data(as_text=True)


def test_r6_the_invoice_carries_the_subscriptions_po_reference(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    period = add_paid_period(club, days_to_end=100, resources=1, po_reference="Base de Toussus")
    sign_in("mermoz")
    add_resources(client, base(period), 1)
    (invoice,) = invoices()
    assert invoice.po_reference == "Base de Toussus"


def test_r6_r2_submitting_twice_gives_one_invoice(client, mermoz):
    page = client.get(f"{base(mermoz)}/resources/review", query_string={"added": 2}).get_data(as_text=True)
    data = {**hidden_fields(page), "accept_terms": "y"}
    first = client.post(f"{base(mermoz)}/resources/confirm", data=data)
    second = client.post(f"{base(mermoz)}/resources/confirm", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(invoices()) == 1
    assert db.session.get(SubscriptionPeriod, mermoz.id).total_resources == 5


def test_r6_two_reviews_confirmed_are_two_additions(client, mermoz):
    add_resources(client, base(mermoz), 1)
    add_resources(client, base(mermoz), 2)
    assert [invoice.resources for invoice in invoices()] == [1, 2]
    assert db.session.get(SubscriptionPeriod, mermoz.id).total_resources == 6


def test_r6_cancelling_the_invoice_removes_the_added_resources(client, mermoz):
    add_resources(client, base(mermoz), 2)
    (invoice,) = invoices()
    response = post_form(client, f"/invoices/{invoice.number}/cancel", {"confirmed": "1"}, token_from=f"/invoices/{invoice.number}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status is InvoiceStatus.CANCELLED
    assert db.session.scalar(select(func.count()).select_from(ResourceAddition)) == 0
    period = db.session.get(SubscriptionPeriod, mermoz.id)
    assert period.total_resources == 3 and period.activated_at is not None


def test_r6_a_period_with_added_resources_keeps_its_invoice_until_theirs_is_cancelled(client, make, staff_sign_in):
    make.club("mermoz", resources=0)
    make.staff(StaffRole.ADMIN, email="admin@openflyers.example")
    staff_sign_in("admin@openflyers.example")
    start_subscription(client, "mermoz", date.today() - timedelta(days=30), resources=1)
    first, = invoices()
    subscription_id = db.session.get(SubscriptionInvoice, first.id).subscription_id
    add_resources(client, f"/staff/clients/mermoz/subscriptions/{subscription_id}", 1)
    page = client.get(f"/staff/invoices/{first.number}").get_data(as_text=True)
    line_ids = re.findall(r'<input type="checkbox" name="lines" id="line-\d+" value="(\d+)"', page)
    assert line_ids
    response = post_form(client, f"/staff/invoices/{first.number}/credit-note",
                         {"lines": line_ids, "reason": "cancelled", "confirmed": "1"},
                         token_from=f"/staff/invoices/{first.number}")
    assert response.status_code == 422
    assert "ajoutées" in html_lib.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Invoice, first.id).status is InvoiceStatus.ISSUED
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.kind == "credit_note")) == 0


def test_r6_p2_a_multi_year_period_bills_its_whole_remaining_term_with_its_term_discount(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    period = add_paid_period(club, days_to_end=500, resources=1, days=1096)
    period = db.session.get(SubscriptionPeriod, period.id)
    period.term_years = 3
    db.session.commit()
    sign_in("mermoz")
    add_resources(client, base(period), 1)
    (invoice,) = invoices()
    unit = prorated(Decimal("180"), 501, 1096)
    kinds = [(line.kind, line.amount_excl_vat) for line in invoice.lines]
    discount = (unit * Decimal("0.1")).quantize(CENT, rounding=ROUND_HALF_UP)
    assert kinds == [("added_resources", unit), ("term_discount", -discount)]
    assert "501 jours sur 1096" in invoice.lines[0].description
    assert invoice.term_years == 3


@pytest.mark.parametrize("added", ["0", "-1", "abc", "2.5", "", "997", "99999"])
def test_r6_p5_added_resources_are_a_whole_number_keeping_the_period_within_999(client, mermoz, added):
    response = client.get(f"{base(mermoz)}/resources/review", query_string={"added": added})
    assert response.status_code == 422
    assert re.search(r'id="added-errors" class="field-errors">\s*<p class="error" role="alert">',
                     response.get_data(as_text=True))
    assert invoices() == []


def test_r6_996_added_to_3_resources_is_the_most(client, mermoz):
    assert client.get(f"{base(mermoz)}/resources/review", query_string={"added": "996"}).status_code == 200


def test_r6_a_price_change_between_review_and_confirm_issues_nothing(client, mermoz):
    page = client.get(f"{base(mermoz)}/resources/review", query_string={"added": 2}).get_data(as_text=True)
    data = {**hidden_fields(page), "accept_terms": "y", "expected_total": "1.00"}
    response = client.post(f"{base(mermoz)}/resources/confirm", data=data)
    assert response.status_code == 422 and "Le prix a changé" in response.get_data(as_text=True)
    assert invoices() == []


def test_r3_the_terms_must_be_accepted(client, mermoz):
    assert add_resources(client, base(mermoz), 2, accept=False).status_code == 422
    assert invoices() == []


def test_r6_an_ended_subscription_is_renewed_not_added_to(client, make, sign_in):
    club = make.club("mermoz", resources=1)
    period = add_paid_period(club, days_to_end=-5, resources=1)
    sign_in("mermoz")
    response = client.get(f"{base(period)}/resources/review", query_string={"added": 1})
    assert response.status_code == 422 and "renouvelez" in html_lib.unescape(response.get_data(as_text=True))
    assert invoices() == []


def test_r6_another_clubs_subscription_is_not_found(client, make, mermoz, sign_in):
    make.club("guillaumet")
    sign_in("guillaumet")
    for path in ("", "/resources", "/resources/price", "/resources/review?added=1"):
        assert client.get(base(mermoz) + path).status_code == 404, path
    response = post_form(client, f"{base(mermoz)}/resources/confirm", {"added": "1", "accept_terms": "y"},
                         token_from="/")
    assert response.status_code == 404
    assert invoices() == []


@pytest.mark.parametrize("shown", ["sNaN", "NaN", "", "1e999", "12.345", "abc"])
def test_r3_a_reviewed_total_that_is_not_an_amount_is_reviewed_again(client, mermoz, shown):
    page = client.get(f"{base(mermoz)}/resources/review", query_string={"added": 2}).get_data(as_text=True)
    data = {**hidden_fields(page), "accept_terms": "y", "expected_total": shown}
    response = client.post(f"{base(mermoz)}/resources/confirm", data=data)
    assert response.status_code == 422 and 'data-total="' in response.get_data(as_text=True)
    assert invoices() == []


def test_r6_added_resources_do_not_reach_a_period_already_renewed_and_the_page_says_so(client, make, sign_in):
    club = make.club("mermoz", resources=3)
    period = add_paid_period(club, days_to_end=30, resources=3)
    sign_in("mermoz")
    assert renew(client, resources=3).status_code == 302
    page = html_lib.unescape(client.get(f"{base(period)}/resources", query_string={"added": 1})
                             .get_data(as_text=True))
    start = format_date(period.end_date + timedelta(days=1), "long", locale="fr")
    assert f"La prochaine période, à partir du {start}, est déjà achetée avec 3 ressources" in page
    assert add_resources(client, base(period), 1).status_code == 302
    db.session.expire_all()
    periods = db.session.scalars(select(SubscriptionPeriod).order_by(SubscriptionPeriod.start_date)).all()
    assert [p.total_resources for p in periods] == [4, 3]


def test_r6_one_added_resource_is_said_in_the_singular(client, mermoz):
    response = add_resources(client, base(mermoz), 1)
    page = html_lib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "1 ressource est ajoutée" in page
