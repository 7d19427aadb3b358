"""subscriptions: what a club buys, with its periods, added resources and invoices; service prices by price list

Revision ID: 0005_subscriptions
Revises: 0004_frozen_invoices
Create Date: 2026-12-07 06:00:00.000000

Rules R5-R10 and P1. Each club's periods move into one subscription, which takes the offer of its last
period and the term and PO reference of its last renewal invoice. Issued invoices are not touched (I2):
which subscription an invoice bills is kept in a table of its own, `subscription_invoice`. The
chargeable services' prices move from the service into each price list (`service_price`).

Going down folds added resources into their period and gives each period its club again; two
subscriptions of one club starting on the same day cannot go down (the old schema had one line of
periods per club).
"""
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

import openflyers_account.storage

# revision identifiers, used by Alembic.
revision = '0005_subscriptions'
down_revision = '0004_frozen_invoices'
branch_labels = None
depends_on = None

PURPOSE = sa.Enum('SUBSCRIPTION', 'RENEWAL', 'ADDED_RESOURCES', name='invoicepurpose', native_enum=False, length=16)


def upgrade():
    connection = op.get_bind()
    _service_prices_by_price_list(connection)
    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('term_years', sa.Integer(), nullable=False),
    sa.Column('po_reference', sa.String(length=70), nullable=False),
    sa.Column('notice_given_on', sa.Date(), nullable=True),
    sa.Column('notice_given_by', sa.String(length=254), nullable=False),
    sa.Column('late_notice_reason', sa.String(length=500), nullable=False),
    sa.Column('next_resources', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('next_resources IS NULL OR next_resources >= 0', name=op.f('ck_subscription_next_resources_not_negative')),
    sa.CheckConstraint('term_years IN (1, 3, 5)', name=op.f('ck_subscription_subscription_term_known')),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_subscription_club_id_club')),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_subscription_offer_id_offer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    sa.UniqueConstraint('request_key', name=op.f('uq_subscription_request_key'))
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_club_id'), ['club_id'], unique=False)
    op.create_table('subscription_invoice',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('purpose', PURPOSE, nullable=False),
    sa.Column('bought_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_subscription_invoice_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_subscription_invoice_subscription_id_subscription')),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_subscription_invoice'))
    )
    with op.batch_alter_table('subscription_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_invoice_subscription_id'), ['subscription_id'], unique=False)

    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('term_years', sa.Integer(), nullable=False, server_default='1'))
    _one_subscription_per_club(connection)
    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.alter_column('subscription_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('term_years', existing_type=sa.Integer(), server_default=None)
        batch_op.drop_index(batch_op.f('ix_subscription_period_club_id'))
        batch_op.drop_constraint(batch_op.f('uq_subscription_period_club_id_start_date'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_subscription_period_club_id_club'), type_='foreignkey')
        batch_op.drop_column('club_id')
        batch_op.create_index(batch_op.f('ix_subscription_period_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_subscription_period_subscription_id_start_date'), ['subscription_id', 'start_date'])
        batch_op.create_foreign_key(batch_op.f('fk_subscription_period_subscription_id_subscription'), 'subscription', ['subscription_id'], ['id'])
        batch_op.create_check_constraint('period_term_known', 'term_years IN (1, 3, 5)')

    op.create_table('resource_addition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('resources', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('resources > 0', name=op.f('ck_resource_addition_added_resources_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_resource_addition_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['period_id'], ['subscription_period.id'], name=op.f('fk_resource_addition_period_id_subscription_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_addition')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_resource_addition_invoice_id')),
    sa.UniqueConstraint('request_key', name=op.f('uq_resource_addition_request_key'))
    )
    with op.batch_alter_table('resource_addition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_addition_period_id'), ['period_id'], unique=False)


def _service_prices_by_price_list(connection):
    """Each price list gets the services' prices of today; the services keep no price of their own (P1)."""
    prices = connection.execute(sa.text("SELECT id, unit_price FROM chargeable_service ORDER BY id")).all()
    with op.batch_alter_table('chargeable_service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(batch_op.f('ck_chargeable_service_service_price_not_negative'), type_='check')
        batch_op.drop_column('unit_price')
    with op.batch_alter_table('chargeable_service', schema=None) as batch_op:
        batch_op.alter_column('position', existing_type=sa.Integer(), server_default=None)
    op.execute("UPDATE chargeable_service SET position = id")
    op.create_table('service_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_service_price_service_price_not_negative')),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_list.id'], name=op.f('fk_service_price_price_list_id_price_list')),
    sa.ForeignKeyConstraint(['service_id'], ['chargeable_service.id'], name=op.f('fk_service_price_service_id_chargeable_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_price')),
    sa.UniqueConstraint('price_list_id', 'service_id', name=op.f('uq_service_price_price_list_id_service_id'))
    )
    service_price = sa.table('service_price', sa.column('price_list_id', sa.Integer), sa.column('service_id', sa.Integer),
                             sa.column('unit_price', sa.Numeric(12, 2)))
    rows = [{'price_list_id': list_id, 'service_id': service_id, 'unit_price': unit_price}
            for (list_id,) in connection.execute(sa.text("SELECT id FROM price_list ORDER BY id"))
            for service_id, unit_price in prices]
    if rows:
        op.bulk_insert(service_price, rows)


def _one_subscription_per_club(connection):
    """One subscription per club that has periods or renewal invoices: the offer of its last period, the term and
    PO reference of its last renewal invoice; its periods and invoices are linked to it."""
    offers = dict(connection.execute(sa.text("SELECT code, id FROM offer")).all())
    clubs = [row[0] for row in connection.execute(sa.text(
        "SELECT club_id FROM subscription_period UNION "
        "SELECT club_id FROM invoice WHERE period_start IS NOT NULL ORDER BY 1"))]
    subscription = sa.table('subscription', sa.column('club_id', sa.Integer), sa.column('offer_id', sa.Integer),
                            sa.column('term_years', sa.Integer), sa.column('po_reference', sa.String),
                            sa.column('notice_given_by', sa.String), sa.column('late_notice_reason', sa.String),
                            sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    for club_id in clubs:
        last_period = connection.execute(sa.text(
            "SELECT offer_id FROM subscription_period WHERE club_id = :club ORDER BY start_date DESC LIMIT 1"),
            {"club": club_id}).first()
        last_invoice = connection.execute(sa.text(
            "SELECT offer_code, term_years, po_reference FROM invoice WHERE club_id = :club AND kind = 'INVOICE' "
            "AND period_start IS NOT NULL ORDER BY id DESC LIMIT 1"), {"club": club_id}).first()
        if last_period is not None:
            offer_id = last_period[0]
        elif last_invoice is not None and last_invoice[0] in offers:
            offer_id = offers[last_invoice[0]]
        else:
            offer_id = connection.execute(sa.text("SELECT offer_id FROM club WHERE id = :club"),
                                          {"club": club_id}).scalar_one()
        term = last_invoice[1] if last_invoice is not None and last_invoice[1] in (1, 3, 5) else 1
        connection.execute(subscription.insert().values(
            club_id=club_id, offer_id=offer_id, term_years=term,
            po_reference=last_invoice[2] if last_invoice is not None else "", notice_given_by="",
            late_notice_reason="", created_at=now))
        subscription_id = connection.execute(sa.text("SELECT id FROM subscription WHERE club_id = :club"),
                                             {"club": club_id}).scalar_one()
        connection.execute(sa.text(
            "UPDATE subscription_period SET subscription_id = :subscription, term_years = COALESCE(("
            "SELECT invoice.term_years FROM invoice WHERE invoice.id = subscription_period.invoice_id "
            "AND invoice.term_years IN (1, 3, 5)), 1) WHERE club_id = :club"),
            {"subscription": subscription_id, "club": club_id})
        # Every renewal invoice of the club bills this subscription, bought by the club itself (the only buyer so
        # far); the invoices stay as issued. Credit notes get no row, as when the application issues them: their
        # purpose is read from the invoice they correct.
        connection.execute(sa.text(
            "INSERT INTO subscription_invoice (invoice_id, subscription_id, purpose, bought_by) "
            "SELECT id, :subscription, 'RENEWAL', 'club:' || (SELECT subdomain FROM club WHERE club.id = :club) "
            "FROM invoice WHERE club_id = :club AND kind = 'INVOICE' AND period_start IS NOT NULL"),
            {"subscription": subscription_id, "club": club_id})


def downgrade():
    connection = op.get_bind()
    # Added resources go back into their period: the old schema counted a period's resources in one number.
    connection.execute(sa.text(
        "UPDATE subscription_period SET resources = resources + COALESCE(("
        "SELECT sum(resource_addition.resources) FROM resource_addition "
        "WHERE resource_addition.period_id = subscription_period.id), 0)"))
    with op.batch_alter_table('resource_addition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_addition_period_id'))
    op.drop_table('resource_addition')

    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('club_id', sa.Integer(), nullable=True))
    connection.execute(sa.text(
        "UPDATE subscription_period SET club_id = (SELECT subscription.club_id FROM subscription "
        "WHERE subscription.id = subscription_period.subscription_id)"))
    with op.batch_alter_table('subscription_period', schema=None) as batch_op:
        batch_op.alter_column('club_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('period_term_known', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_subscription_period_subscription_id_subscription'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_subscription_period_subscription_id_start_date'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_subscription_period_subscription_id'))
        batch_op.drop_column('term_years')
        batch_op.drop_column('subscription_id')
        batch_op.create_foreign_key(batch_op.f('fk_subscription_period_club_id_club'), 'club', ['club_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_subscription_period_club_id_start_date'), ['club_id', 'start_date'])
        batch_op.create_index(batch_op.f('ix_subscription_period_club_id'), ['club_id'], unique=False)

    with op.batch_alter_table('subscription_invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_invoice_subscription_id'))
    op.drop_table('subscription_invoice')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_club_id'))
    op.drop_table('subscription')

    # A service's price is again one number, charged from now on: the one of the price list in force today, not
    # of a list scheduled for later (the earliest list when none applies yet).
    in_force = connection.execute(sa.text(
        "SELECT id FROM price_list WHERE valid_from <= :today ORDER BY valid_from DESC LIMIT 1"
    ).bindparams(sa.bindparam("today", date.today(), type_=sa.Date))).scalar()
    if in_force is None:
        in_force = connection.execute(sa.text("SELECT id FROM price_list ORDER BY valid_from LIMIT 1")).scalar()
    prices = connection.execute(sa.text(
        "SELECT service_id, unit_price FROM service_price WHERE price_list_id = :price_list"),
        {"price_list": in_force}).all()
    op.drop_table('service_price')
    with op.batch_alter_table('chargeable_service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False, server_default='0'))
    for service_id, unit_price in prices:
        connection.execute(sa.text("UPDATE chargeable_service SET unit_price = :price WHERE id = :id"),
                           {"price": unit_price, "id": service_id})
    with op.batch_alter_table('chargeable_service', schema=None) as batch_op:
        batch_op.alter_column('unit_price', existing_type=sa.Numeric(precision=12, scale=2), server_default=None)
        batch_op.create_check_constraint('service_price_not_negative', 'unit_price >= 0')
        batch_op.drop_column('position')
