"""The migrations build exactly the models' schema, and go down and up again, on both databases."""
import warnings
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from openflyers_account.accounts.operations import search_clubs
from openflyers_account.billing import catalogue
from openflyers_account.domain.pricing import Term
from openflyers_account.extensions import db
from openflyers_account.models import Invoice, InvoiceLine, StaffRole
from openflyers_account.subscriptions.operations import cancel_purchase, issue_renewal
from openflyers_account.subscriptions.purchase import SubscriptionOrder
from tests.billing_helpers import add_paid_period


def schema_differences() -> list:
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes (lower(email)) cannot be reflected; they are created by the migration itself.
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _modelled})
        return compare_metadata(context, db.metadata)


def _modelled(item, name, kind, reflected, compare_to) -> bool:
    """What the models describe: not the trigram indexes of the staff search, which only PostgreSQL has (0012)."""
    return not (kind == "index" and name and name.endswith("_trigram"))


def test_staff_search_has_its_trigram_indexes_on_postgresql(app, make):
    make.club("mermoz", name="Aéroclub du Pays de Caux")
    assert [club.subdomain for club in search_clubs("pays de c")] == ["mermoz"]
    if db.engine.dialect.name != "postgresql":
        return
    indexes = db.session.scalars(text(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'club' AND indexname LIKE '%_trigram'")).all()
    assert len(indexes) == 4 and all("gin_trgm_ops" in index for index in indexes)
    with db.engine.connect() as connection, connection.execution_options(isolation_level="READ COMMITTED").begin():
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(connection.scalars(text(
            "EXPLAIN SELECT id FROM club WHERE lower(name) LIKE '%pays de c%'")).all())
    assert "ix_club_name_trigram" in plan


def test_the_migrated_schema_is_the_models_schema(app):
    assert schema_differences() == []


def test_migrations_go_down_to_nothing_and_up_again(app):
    db.session.remove()
    downgrade(revision="base")
    upgrade()
    assert schema_differences() == []


def test_i2_the_frozen_invoices_migration_goes_down_and_up_with_invoices_issued(app, make):
    club = make.club("mermoz", resources=2)
    with app.test_request_context():
        issue_renewal(club.id, None, SubscriptionOrder("business", 2, Term.ONE_YEAR), date.today(), "test")
    lines = db.session.scalar(select(func.count()).select_from(InvoiceLine))
    db.session.remove()
    downgrade(revision="0003_outbox_retries")
    upgrade()
    assert schema_differences() == []
    assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == lines > 0


def _rows(sql: str, **params) -> list[tuple]:
    """Rows read with SQL: between two revisions the models do not match the tables."""
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


#: Each period with its club, read through its subscription (from revision 0005 on).
PERIODS_THROUGH_SUBSCRIPTIONS = (
    "SELECT p.id, s.club_id, p.offer_id, p.start_date, p.end_date, p.resources, p.invoice_id "
    "FROM subscription_period p JOIN subscription s ON s.id = p.subscription_id ORDER BY p.id")


#: Which club's subscription each invoice bills, and what for.
LINKS = ("SELECT l.invoice_id, s.club_id, l.purpose FROM subscription_invoice l "
         "JOIN subscription s ON s.id = l.subscription_id")


def _invoices() -> list[tuple]:
    return _rows("SELECT id, number, kind, club_id, period_start, period_end, resources, term_years, po_reference, "
                 "total_incl_vat, pdf_sha256, status, (SELECT count(*) FROM invoice_line "
                 "WHERE invoice_line.invoice_id = invoice.id) FROM invoice ORDER BY id")


def test_r9_subscriptions_go_down_to_the_clubs_periods_and_up_again_with_their_invoices(app, make):
    today = date.today()
    mermoz = make.club("mermoz", resources=2).id
    guillaumet = make.club("guillaumet", resources=1)
    paid = add_paid_period(guillaumet, days_to_end=30, resources=1).id  # paid before this site: no invoice
    guillaumet = guillaumet.id
    make.club("latecoere")  # neither a period nor an invoice: no subscription
    with app.test_request_context():
        first = issue_renewal(mermoz, None, SubscriptionOrder("business", 2, Term.THREE_YEARS, "BC-2026-17"),
                              today, "test").id
        abandoned = issue_renewal(guillaumet, None, SubscriptionOrder("business", 1, Term.ONE_YEAR, "OLD"),
                                  today, "test").number
        credit = cancel_purchase(guillaumet, abandoned, today, "test").id
        renewal = issue_renewal(guillaumet, None, SubscriptionOrder("premiere", 2, Term.FIVE_YEARS, "Base LFPN"),
                                today, "test")
        abandoned, renewal = db.session.scalar(select(Invoice.id).where(Invoice.number == abandoned)), renewal.id
    periods = _rows(PERIODS_THROUGH_SUBSCRIPTIONS)
    links = _rows(LINKS)
    invoices = _invoices()
    assert len(periods) == 3 and len(invoices) == 4
    assert set(links) == {(first, mermoz, "SUBSCRIPTION"), (abandoned, guillaumet, "RENEWAL"),
                          (renewal, guillaumet, "RENEWAL")}
    db.session.remove()

    downgrade(revision="0004_frozen_invoices")

    # Each period has its club again; the invoices, their lines and their PDFs are as issued (I2).
    assert _rows("SELECT id, club_id, offer_id, start_date, end_date, resources, invoice_id FROM subscription_period "
                 "ORDER BY id") == periods
    assert _invoices() == invoices
    assert not {"subscription", "subscription_invoice", "resource_addition"} & set(
        sa.inspect(db.engine).get_table_names())

    upgrade()

    assert schema_differences() == []
    assert _invoices() == invoices
    # One subscription per club with periods or invoices: the offer of its last period, the term and PO reference
    # of its last invoice (R5, R9).
    assert _rows("SELECT club_id, offer.code, term_years, po_reference, notice_given_on, next_resources "
                 "FROM subscription JOIN offer ON offer.id = subscription.offer_id ORDER BY club_id") == [
        (mermoz, "business", 3, "BC-2026-17", None, None), (guillaumet, "premiere", 5, "Base LFPN", None, None)]
    assert _rows(PERIODS_THROUGH_SUBSCRIPTIONS) == periods
    # A period's term is its invoice's; a period paid before this site has none and counts as 1 year.
    assert dict(_rows("SELECT id, term_years FROM subscription_period")) == {
        period: {first: 3, renewal: 5, None: 1}[invoice] for period, *_, invoice in periods}
    assert {period: invoice for period, *_, invoice in periods}[paid] is None
    # Every invoice bills its club's subscription, as a renewal: before subscriptions, every invoice was one. Credit
    # notes have no row, as when the application issues them.
    assert set(_rows(LINKS)) == {(first, mermoz, "RENEWAL"), (abandoned, guillaumet, "RENEWAL"),
                                 (renewal, guillaumet, "RENEWAL")}
    assert credit not in {invoice for invoice, _, _ in _rows(LINKS)}

    # The application reads what the migration wrote: confirming the renewal again gives the same invoice (R2).
    with app.test_request_context():
        again = issue_renewal(guillaumet, None, SubscriptionOrder("premiere", 2, Term.FIVE_YEARS, "Base LFPN"),
                              today, "test")
    assert again.id == renewal
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 4


def test_p1_service_prices_survive_the_subscriptions_migration_down_and_up(app, make):
    today = date.today()
    staff = make.staff(StaffRole.ADMIN)
    demo = {"first-price": ("120.00", "30.00"), "business": ("300.00", "60.00"), "premiere": ("600.00", "75.00"),
            "corporate": ("1200.00", "90.00")}
    offers = {code: (Decimal(base), Decimal(fee)) for code, (base, fee) in demo.items()}
    catalogue.publish_price_list(staff, today, offers, today, service_prices={"staff-password-reset": Decimal("17.00")})
    # Scheduled for later: not the price charged today.
    catalogue.publish_price_list(staff, today + timedelta(days=30), offers, today,
                                 service_prices={"staff-password-reset": Decimal("19.00")})
    db.session.remove()

    downgrade(revision="0004_frozen_invoices")

    assert {code: Decimal(str(price)) for code, price in _rows("SELECT code, unit_price FROM chargeable_service")} == {
        "staff-password-reset": Decimal("17.00"), "staff-email-change": Decimal("15.00")}

    upgrade()

    assert schema_differences() == []
    lists = _rows("SELECT id FROM price_list ORDER BY id")
    services = _rows("SELECT id FROM chargeable_service ORDER BY id")
    assert len(lists) == 3 and len(services) == 2
    assert sorted(_rows("SELECT price_list_id, service_id FROM service_price")) == sorted(
        (price_list, service) for (price_list,) in lists for (service,) in services)
    assert {code: Decimal(str(price)) for code, price in _rows(
        "SELECT chargeable_service.code, unit_price FROM service_price JOIN chargeable_service "
        "ON chargeable_service.id = service_price.service_id WHERE price_list_id = :today_list",
        today_list=lists[1][0])} == {"staff-password-reset": Decimal("17.00"), "staff-email-change": Decimal("15.00")}
