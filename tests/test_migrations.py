"""The migrations build exactly the models' schema, and go down and up again, on both databases."""
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from openflyers_account.extensions import db


def schema_differences() -> list:
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes (lower(email)) cannot be reflected; they are created by the migration itself.
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrated_schema_is_the_models_schema(app):
    assert schema_differences() == []


def test_migrations_go_down_to_nothing_and_up_again(app):
    db.session.remove()
    downgrade(revision="base")
    upgrade()
    assert schema_differences() == []


def test_i2_the_frozen_invoices_migration_goes_down_and_up_with_invoices_issued(app, make):
    from datetime import date

    from sqlalchemy import func, select

    from openflyers_account.subscriptions.operations import issue_renewal
    from openflyers_account.subscriptions.purchase import SubscriptionOrder
    from openflyers_account.domain.pricing import Term
    from openflyers_account.models import InvoiceLine

    club = make.club("mermoz", resources=2)
    with app.test_request_context():
        issue_renewal(club.id, None, SubscriptionOrder("business", 2, Term.ONE_YEAR), date.today(), "test")
    lines = db.session.scalar(select(func.count()).select_from(InvoiceLine))
    db.session.remove()
    downgrade(revision="0003_outbox_retries")
    upgrade()
    assert schema_differences() == []
    assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == lines > 0
