"""Operator commands for subscriptions: `flask subscription start` and `flask subscription list` (O2, R9, R10)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openflyers_account.extensions import db
from openflyers_account.models import (
    AuditEntry,
    Invoice,
    InvoicePurpose,
    NumberSequence,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)
from openflyers_account.subscriptions import operations


def months_from(day: date, months: int) -> date:
    """About `months` calendar months away: the same day of the month, the 28th at most so that it exists."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def years_from(day: date, years: int) -> date:
    """The same date `years` later or earlier; 28 February for a 29 February that does not exist then."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def last_day(first_day: date, years: int) -> date:
    """The last day of a term of `years` from `first_day`, both included (R10)."""
    return years_from(first_day, years) - timedelta(days=1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def start(runner, subdomain="mermoz", offer="business", resources="3", term="1", on: date | str | None = None,
          po=None):
    day = on if isinstance(on, str) else (on or date.today()).isoformat()
    args = ["subscription", "start", subdomain, "--offer", offer, "--resources", resources, "--term", term,
            "--start", day]
    if po is not None:
        args += ["--po", po]
    return runner.invoke(args=args)


# Demo price of Business: 300.00 a year + 60.00 a year per resource; French VAT 20 %; 3 years -10 %, 5 years -15 % (P2).
@pytest.mark.parametrize("term, months, excl_vat, incl_vat", [
    (1, 0, "480.00", "576.00"),      # 300 + 3 x 60
    (3, -3, "1296.00", "1555.20"),   # 480 x 3 = 1440, less 10 %; started 3 months back
    (5, 3, "2040.00", "2448.00"),    # 480 x 5 = 2400, less 15 %; planned 3 months ahead
])
def test_o2_subscription_start_issues_the_first_invoice_for_the_whole_term_from_the_start(
        runner, make, term, months, excl_vat, incl_vat):
    club = make.club("mermoz", resources=3)
    first_day = months_from(date.today(), months)
    end = last_day(first_day, term)

    result = start(runner, "mermoz", "business", "3", str(term), first_day, po="BC-2026-117 base de Toussus")

    assert result.exit_code == 0, result.output
    subscription = db.session.scalars(select(Subscription)).one()
    assert (subscription.club_id, subscription.offer.code, subscription.term_years, subscription.po_reference) == (
        club.id, "business", term, "BC-2026-117 base de Toussus")
    period = db.session.scalars(select(SubscriptionPeriod)).one()
    assert (period.subscription_id, period.offer_id, period.start_date, period.end_date, period.resources,
            period.term_years, period.activated_at) == (
        subscription.id, subscription.offer_id, first_day, end, 3, term, None)
    invoice = db.session.scalars(select(Invoice)).one()
    assert period.invoice_id == invoice.id
    assert (invoice.club_id, invoice.issue_date, invoice.period_start, invoice.period_end, invoice.offer_code,
            invoice.resources, invoice.term_years, invoice.po_reference) == (
        club.id, date.today(), first_day, end, "business", 3, term, "BC-2026-117 base de Toussus")
    assert (invoice.total_excl_vat, invoice.total_incl_vat) == (Decimal(excl_vat), Decimal(incl_vat))
    link = db.session.get(SubscriptionInvoice, invoice.id)
    assert (link.subscription_id, link.purpose) == (subscription.id, InvoicePurpose.SUBSCRIPTION)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscription.started")).one()
    assert (entry.actor, entry.staff_id, entry.club_id) == ("cli", None, club.id)
    assert (entry.details["invoice"], entry.details["start"], entry.details["end"]) == (
        invoice.number, first_day.isoformat(), end.isoformat())
    assert invoice.number in result.output and f"{incl_vat} EUR" in result.output


@pytest.mark.parametrize("first_day, started", [
    pytest.param(lambda today: years_from(today, -1), True, id="12 months back"),
    pytest.param(lambda today: years_from(today, 1), True, id="12 months ahead"),
    pytest.param(lambda today: years_from(today, -1) - timedelta(days=1), False, id="a day more back"),
    pytest.param(lambda today: years_from(today, 1) + timedelta(days=1), False, id="a day more ahead"),
])
def test_r10_a_subscription_starts_at_most_12_months_back_or_ahead(runner, make, first_day, started):
    make.club("mermoz", resources=3)
    day = first_day(date.today())
    result = start(runner, on=day)
    assert result.exit_code == (0 if started else 2), result.output
    assert db.session.scalars(select(Invoice.period_start)).all() == ([day] if started else [])


def test_o2_subscription_start_without_a_po_reference_leaves_it_empty(runner, make):
    make.club("mermoz", resources=0)
    result = start(runner, "MERMOZ.openflyers.fr", "first-price", "0", "1")
    assert result.exit_code == 0, result.output
    invoice = db.session.scalars(select(Invoice)).one()
    assert (invoice.po_reference, invoice.offer_code, invoice.resources) == ("", "first-price", 0)
    assert invoice.total_excl_vat == Decimal("120.00")  # First Price's demo base fee, no resource
    assert db.session.scalars(select(Subscription.po_reference)).one() == ""


def test_r9_a_second_subscription_starts_from_what_the_first_one_leaves_of_the_floor(runner, make):
    """The floor is the club's activated count less what its other subscriptions cover that day (R9)."""
    make.club("mermoz", resources=5)
    assert start(runner, resources="5").exit_code == 0
    assert runner.invoke(args=["club", "resources", "mermoz", "7"]).exit_code == 0
    refused = start(runner, resources="1", offer="premiere", po="Simulateur")
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
    assert "other subscriptions cover 5" in refused.output and "at least 2" in refused.output
    result = start(runner, resources="2", offer="premiere", po="Simulateur")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(SubscriptionPeriod.resources).order_by(SubscriptionPeriod.id)).all() == [5, 2]
    assert db.session.scalars(select(Subscription.po_reference).order_by(Subscription.id)).all() == ["", "Simulateur"]
    assert count(Invoice) == 2


def test_o2_subscription_list_prints_each_subscription(runner, make):
    club = make.club("mermoz", resources=3)
    make.club("guillaumet", resources=0)
    first_day = months_from(date.today(), -3)
    assert start(runner, on=first_day, term="3", po="BC-17").exit_code == 0
    assert start(runner, offer="premiere", resources="0", on=months_from(date.today(), 2)).exit_code == 0
    subscriptions = db.session.scalars(select(Subscription).order_by(Subscription.id)).all()
    operations.give_notice(club.id, subscriptions[1].id, date.today(), "test")

    result = runner.invoke(args=["subscription", "list", "mermoz"])

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3  # a header, then one line per subscription
    rows = [line.split("\t") for line in lines[1:]]
    header = lines[0].split("\t")
    first, second = ({column: value for column, value in zip(header, row)} for row in rows)
    assert (first["id"], first["offer"], first["resources"], first["end"], first["notice"], first["po"]) == (
        str(subscriptions[0].id), "business", "3", str(last_day(first_day, 3)), "-", "BC-17")
    assert (second["id"], second["offer"], second["resources"], second["notice"], second["po"]) == (
        str(subscriptions[1].id), "premiere", "0", str(date.today()), "-")
    # The first one runs with its invoice unpaid (R4), the second one starts later (R10).
    assert (first["state"], second["state"]) == ("awaiting_payment", "planned")
    none = runner.invoke(args=["subscription", "list", "guillaumet"])
    assert none.exit_code == 0 and none.output.strip().splitlines() == ["guillaumet has no subscription."]


@pytest.mark.parametrize("args, reason", [
    pytest.param({"subdomain": "nobody"}, "SUBDOMAIN: no club has the subdomain 'nobody'", id="unknown club"),
    pytest.param({"subdomain": "bad_name!"}, "SUBDOMAIN: no club has the subdomain", id="not a subdomain"),
    pytest.param({"offer": "gold"}, "'--offer': 'gold' is not an offer", id="unknown offer"),
    pytest.param({"resources": "1000"}, "'--resources': 1000", id="resources 1000"),
    pytest.param({"resources": "-1"}, "'--resources': -1", id="resources -1"),
    pytest.param({"resources": "x"}, "'--resources': 'x'", id="resources x"),
    pytest.param({"resources": "2"}, "'--resources': Your platform has 4 activated resources", id="below the floor"),
    pytest.param({"term": "2"}, "'--term': '2'", id="term 2"),
    pytest.param({"on": "2026-13-01"}, "'--start': '2026-13-01' is not a date", id="month 13"),
    pytest.param({"on": "yesterday"}, "'--start': 'yesterday' is not a date", id="start yesterday"),
    pytest.param({"on": "13 months back"}, "'--start': Choose a start date from", id="13 months back"),
    pytest.param({"on": "13 months ahead"}, "'--start': Choose a start date from", id="13 months ahead"),
    pytest.param({"po": "P" * 71}, "'--po': has 71 characters, 70 at most", id="po 71 characters"),
    pytest.param({"po": "BC\x1b[2J"}, "'--po': must not contain control characters", id="po with an escape"),
    pytest.param({"po": "BC\n17"}, "'--po': must not contain control characters", id="po on two lines"),
])
def test_o2_subscription_start_refuses_bad_arguments_in_one_line_and_writes_nothing(runner, make, args, reason):
    make.club("mermoz", resources=4)  # the floor: 4 activated resources (P4)
    on = {"13 months back": months_from(date.today(), -13),
          "13 months ahead": months_from(date.today(), 13)}.get(args.get("on"), args.get("on"))
    result = start(runner, **{"resources": "4", **args, "on": on})

    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.stdout == "" and result.stderr.startswith("Error: ")
    assert reason in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    db.session.expire_all()
    assert (count(Subscription), count(SubscriptionPeriod), count(Invoice), count(NumberSequence)) == (0, 0, 0, 0)
    assert db.session.scalars(select(AuditEntry.action)).all() == ["club.created"]


@pytest.mark.parametrize("missing", ["--offer", "--resources", "--term", "--start"])
def test_o2_subscription_start_refuses_a_missing_option_in_one_line(runner, make, missing):
    make.club("mermoz", resources=4)
    options = {"--offer": "business", "--resources": "4", "--term": "1", "--start": date.today().isoformat()}
    args = [item for key, value in options.items() if key != missing for item in (key, value)]
    result = runner.invoke(args=["subscription", "start", "mermoz", *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.stderr.startswith(f"Error: Missing option '{missing}'.")
    assert (count(Subscription), count(Invoice), count(NumberSequence)) == (0, 0, 0)


@pytest.mark.parametrize("args", [["nobody"], ["bad_name!"], []])
def test_o2_subscription_list_refuses_a_missing_or_unknown_club_in_one_line(runner, make, args):
    make.club("mermoz")
    result = runner.invoke(args=["subscription", "list", *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.stdout == "" and result.stderr.startswith("Error: ")
