"""partners: their accounts and the clubs each one manages

Revision ID: 0007_partners
Revises: 0006_invoice_totals_to_the_cent
Create Date: 2026-12-07 07:15:55.240381

"""
from alembic import op
import sqlalchemy as sa

import openflyers_account.storage


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



def downgrade():
    with op.batch_alter_table('partner_club', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_club_partner_id'))

    op.drop_table('partner_club')
    op.drop_table('partner')
