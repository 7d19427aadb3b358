"""Notice not to renew, its withdrawal, late notices accepted by staff, fewer resources next time (R7)."""
import html as html_lib
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import AuditEntry, Invoice, StaffRole, Subscription, SubscriptionPeriod
from tests.billing_helpers import add_paid_period, renew
from tests.conftest import post_form


def subscription_with(make, sign_in, days_to_end: int, activated: int = 2, resources: int = 3) -> int:
    club = make.club("mermoz", resources=activated)
    period = add_paid_period(club, days_to_end=days_to_end, resources=resources)
    sign_in("mermoz")
    return period.subscription_id


def act(client, subscription_id: int, action: str, data: dict | None = None, door: str = ""):
    path = f"{door}/subscriptions/{subscription_id}"
    return post_form(client, f"{path}/{action}", data or {}, token_from=path)


def stored(subscription_id: int) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, subscription_id)


def long_date(day: date) -> str:
    return format_date(day, "long", locale="fr")


def test_r7_notice_given_90_days_before_the_end_is_taken_and_logged(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=90)
    assert act(client, subscription_id, "notice").status_code == 302
    subscription = stored(subscription_id)
    assert (subscription.notice_given_on, subscription.notice_given_by) == (date.today(), "club:mermoz")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.notice_given")).one()
    assert entry.actor == "club:mermoz" and "late" not in entry.details
    listing = html_lib.unescape(client.get("/subscriptions").get_data(as_text=True))
    notice_cell = listing.split('data-label="Préavis">')[1].split("</td>")[0]
    assert format_date(date.today(), "medium", locale="fr") in notice_cell


def test_r7_nothing_is_removed_from_the_running_period_nor_refunded(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=200)
    act(client, subscription_id, "notice")
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    assert (period.resources, period.total_resources, period.activated_at is not None) == (3, 3, True)
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_r7_notice_later_than_90_days_before_the_end_is_refused_with_the_deadline(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=89)
    response = act(client, subscription_id, "notice")
    assert response.status_code == 422
    end = date.today() + timedelta(days=89)
    page = html_lib.unescape(response.get_data(as_text=True))
    assert long_date(end - timedelta(days=90)) in page and long_date(end) in page
    assert stored(subscription_id).notice_given_on is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "subscription.notice_given")) == 0


def test_r7_notice_can_be_withdrawn_until_the_end_date(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=100)
    act(client, subscription_id, "notice")
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    period.end_date = date.today()  # the last day: still in time to withdraw
    db.session.commit()
    assert act(client, subscription_id, "notice/withdraw").status_code == 302
    assert stored(subscription_id).notice_given_on is None
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)).one() \
        == "subscription.notice_withdrawn"


def test_r7_after_the_end_date_the_notice_stays(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=100)
    act(client, subscription_id, "notice")
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    period.end_date = date.today() - timedelta(days=1)
    db.session.commit()
    response = act(client, subscription_id, "notice/withdraw")
    assert response.status_code == 422
    assert stored(subscription_id).notice_given_on == date.today()


def test_r7_staff_accept_a_late_notice_with_a_reason_kept_in_the_log(client, make, sign_in, staff_sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=30)
    make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    staff_sign_in("agent@openflyers.example")
    door = "/staff/clients/mermoz"
    assert act(client, subscription_id, "notice/late", {"reason": ""}, door=door).status_code == 422
    assert stored(subscription_id).notice_given_on is None
    assert act(client, subscription_id, "notice/late", {"reason": "Club closing, letter of 2 Dec"},
               door=door).status_code == 302
    subscription = stored(subscription_id)
    assert (subscription.notice_given_by, subscription.late_notice_reason) == (
        "agent@openflyers.example", "Club closing, letter of 2 Dec")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.notice_given")).one()
    assert entry.details["late"] is True and entry.details["reason"] == "Club closing, letter of 2 Dec"


def test_r7_a_club_cannot_accept_its_own_late_notice(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=30)
    assert act(client, subscription_id, "notice/late", {"reason": "please"}).status_code == 403
    assert stored(subscription_id).notice_given_on is None


@pytest.mark.parametrize("days_to_end, resources, accepted, next_resources", [
    (120, "2", True, 2),      # fewer, down to the floor (2 activated)
    (90, "2", True, 2),       # the last day for it
    (89, "2", False, None),   # in the last three months
    (120, "1", False, None),  # below the floor
    (120, "4", False, None),  # more is not a reduction: resources are added instead
    (120, "3", True, None),   # the current count clears the request
    (120, "x", False, None),
])
def test_r7_p4_fewer_resources_for_the_next_period_in_time_and_never_below_the_floor(
        client, make, sign_in, days_to_end, resources, accepted, next_resources):
    subscription_id = subscription_with(make, sign_in, days_to_end=days_to_end, activated=2, resources=3)
    response = act(client, subscription_id, "reduction", {"resources": resources})
    assert response.status_code == (302 if accepted else 422)
    assert stored(subscription_id).next_resources == next_resources


def test_r7_the_reduction_is_what_the_renewal_form_starts_from(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=100, activated=2, resources=3)
    act(client, subscription_id, "reduction", {"resources": "2"})
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    period.end_date = date.today() + timedelta(days=60)
    db.session.commit()
    assert 'name="resources" type="text" value="2"' in client.get("/renewal").get_data(as_text=True)


def test_r7_renewing_by_oneself_ends_the_notice(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=100, activated=2, resources=2)
    act(client, subscription_id, "notice")
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    period.end_date = date.today() + timedelta(days=60)
    db.session.commit()
    assert renew(client, resources=2).status_code == 302
    assert stored(subscription_id).notice_given_on is None


def test_r7_the_reduction_starts_from_the_last_period_bought(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=200, activated=2, resources=4)
    period = db.session.scalar(select(SubscriptionPeriod).where(SubscriptionPeriod.subscription_id == subscription_id))
    db.session.add(SubscriptionPeriod(subscription_id=subscription_id, offer_id=period.offer_id,
                                      start_date=period.end_date + timedelta(days=1),
                                      end_date=period.end_date + timedelta(days=365), term_years=1, resources=3))
    db.session.commit()
    page = client.get(f"/subscriptions/{subscription_id}").get_data(as_text=True)
    assert re.search(r'name="resources" type="text" value="3"', page)
    assert act(client, subscription_id, "reduction", {"resources": "3"}).status_code == 302
    assert stored(subscription_id).next_resources is None


def test_r7_a_subscription_left_without_a_period_has_no_notice_to_withdraw(client, make, sign_in):
    subscription_id = subscription_with(make, sign_in, days_to_end=200)
    act(client, subscription_id, "notice")
    db.session.delete(db.session.scalar(select(SubscriptionPeriod)))  # as when its only invoice is cancelled
    db.session.commit()
    response = act(client, subscription_id, "notice/withdraw")
    assert response.status_code == 422 and "None" not in response.get_data(as_text=True)
    assert stored(subscription_id).notice_given_on == date.today()
