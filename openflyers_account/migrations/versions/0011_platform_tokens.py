"""platform tokens: each club platform's API token, hashed

Revision ID: 0011_platform_tokens
Revises: 0010_statement_duplicates
Create Date: 2026-12-07 10:30:00.000000

Rule S1. A platform reports its activated resources with a token staff create or rotate; only its SHA-256 is
kept, the token itself is shown once.
"""
from alembic import op
import sqlalchemy as sa

import openflyers_account.storage

# revision identifiers, used by Alembic.
revision = '0011_platform_tokens'
down_revision = '0010_statement_duplicates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_token',
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_platform_token_club_id_club')),
    sa.PrimaryKeyConstraint('club_id', name=op.f('pk_platform_token'))
    )


def downgrade():
    op.drop_table('platform_token')
