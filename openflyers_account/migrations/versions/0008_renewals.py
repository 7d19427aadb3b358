"""renewals: what the renewal job did for each period's end, what it could not do, the language of e-mails

Revision ID: 0008_renewals
Revises: 0007_partners
Create Date: 2026-12-07 08:01:00.670707

Rules R7, R8, K5, O1. `subscription_message` holds one row per subscription, period end and stage: its
unique key is what lets the job run on every host at once without sending anything twice. Clubs and
partners get the language their e-mails are written in, French for everyone until they choose.
"""
from alembic import op
import sqlalchemy as sa

import openflyers_account.storage

# revision identifiers, used by Alembic.
revision = '0008_renewals'
down_revision = '0007_partners'
branch_labels = None
depends_on = None

STAGES = ('REMINDER_60', 'REMINDER_30', 'RENEWAL', 'UNPAID_7', 'ENDED', 'UNPAID_15')
MESSAGES = ('RENEWS_SOON', 'RENEWED', 'ENDING', 'ENDED', 'PAY_RENEWAL', 'RENEWAL_OVERDUE', 'NOT_RENEWED')


def _stage():
    return sa.Column('stage', sa.Enum(*STAGES, name='stage', native_enum=False, length=16), nullable=False)


def upgrade():
    op.create_table('subscription_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    _stage(),
    sa.Column('message', sa.Enum(*MESSAGES, name='message', native_enum=False, length=20), nullable=False),
    sa.Column('run_day', sa.Date(), nullable=False),
    sa.Column('done_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_subscription_message_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_subscription_message_subscription_id_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_message')),
    sa.UniqueConstraint('subscription_id', 'period_end', 'stage', name=op.f('uq_subscription_message_subscription_id_period_end_stage'))
    )
    op.create_index(op.f('ix_subscription_message_period_end'), 'subscription_message', ['period_end'], unique=False)
    op.create_index(op.f('ix_subscription_message_subscription_id'), 'subscription_message', ['subscription_id'], unique=False)
    op.create_table('renewal_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    _stage(),
    sa.Column('run_day', sa.Date(), nullable=False),
    sa.Column('failed_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_renewal_failure_subscription_id_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_failure')),
    sa.UniqueConstraint('subscription_id', 'period_end', 'stage', name=op.f('uq_renewal_failure_subscription_id_period_end_stage'))
    )
    op.create_index(op.f('ix_renewal_failure_subscription_id'), 'renewal_failure', ['subscription_id'], unique=False)
    # Added in place, not by copying the tables: invoices, periods and payments point at the clubs.
    for table in ('club', 'partner'):
        op.add_column(table, sa.Column('language', sa.String(length=5), nullable=False, server_default='fr'))
    # The periods the job looks for, by end date.
    op.create_index(op.f('ix_subscription_period_end_date'), 'subscription_period', ['end_date'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_subscription_period_end_date'), table_name='subscription_period')
    for table in ('partner', 'club'):
        op.execute(f"ALTER TABLE {table} DROP COLUMN language")
    op.drop_index(op.f('ix_renewal_failure_subscription_id'), table_name='renewal_failure')
    op.drop_table('renewal_failure')
    op.drop_index(op.f('ix_subscription_message_subscription_id'), table_name='subscription_message')
    op.drop_index(op.f('ix_subscription_message_period_end'), table_name='subscription_message')
    op.drop_table('subscription_message')
