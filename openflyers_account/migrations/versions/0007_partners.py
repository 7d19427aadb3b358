"""partners: their accounts, the clubs each one manages, the invoices billed to them

Revision ID: 0007_partners
Revises: 0006_invoice_totals_to_the_cent
Create Date: 2026-12-07 07:15:55.240381

Rules B1-B4. `invoice.partner_id` names the partner billed for what it bought for a club (B3); no invoice
issued before has one. The column is frozen with the others (I2): the triggers are made again with it.
"""
from alembic import op
import sqlalchemy as sa

import openflyers_account.storage
from openflyers_account.migrations.frozen_invoices import COLUMNS_SINCE_0007, freeze

#: The invoice columns revision 0004 froze (I2), and the one this revision adds.
FROZEN = (
    'id', 'number', 'kind', 'club_id', 'issue_date', 'due_date', 'seller', 'buyer', 'vat_breakdown',
    'vat_mention', 'total_excl_vat', 'total_vat', 'total_incl_vat', 'currency', 'po_reference',
    'creditor_reference', 'corrects_id', 'reason', 'period_start', 'period_end', 'offer_code', 'resources',
    'term_years', 'pdf', 'pdf_sha256', 'created_at', 'line_count',
)


# revision identifiers, used by Alembic.
revision = '0007_partners'
down_revision = '0006_invoice_totals_to_the_cent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=False),
    sa.Column('vat_number', sa.String(length=20), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('discount_reason', sa.String(length=500), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('password_changed_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('discount_percent >= 0 AND discount_percent <= 100', name=op.f('ck_partner_partner_discount_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('email', name=op.f('uq_partner_email'))
    )
    op.create_table('partner_club',
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_partner_club_club_id_club')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_club_partner_id_partner')),
    sa.PrimaryKeyConstraint('club_id', name=op.f('pk_partner_club'))
    )
    with op.batch_alter_table('partner_club', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_club_partner_id'), ['partner_id'], unique=False)
    # Added in place, not by copying the table: the lines, payments and credit notes point at the invoices.
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('invoice', sa.Column('partner_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_invoice_partner_id_partner'), 'invoice', 'partner', ['partner_id'], ['id'])
    else:
        op.execute("ALTER TABLE invoice ADD COLUMN partner_id INTEGER "
                   "CONSTRAINT fk_invoice_partner_id_partner REFERENCES partner (id)")
    op.create_index(op.f('ix_invoice_partner_id'), 'invoice', ['partner_id'], unique=False)
    freeze(COLUMNS_SINCE_0007)


def downgrade():
    freeze(FROZEN)
    op.drop_index(op.f('ix_invoice_partner_id'), table_name='invoice')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_invoice_partner_id_partner'), 'invoice', type_='foreignkey')
    op.execute("ALTER TABLE invoice DROP COLUMN partner_id")
    with op.batch_alter_table('partner_club', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_club_partner_id'))

    op.drop_table('partner_club')
    op.drop_table('partner')
