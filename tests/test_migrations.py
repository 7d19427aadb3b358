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
