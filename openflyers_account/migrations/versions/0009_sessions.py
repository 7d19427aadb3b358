"""sessions: the sessions their owners ended, and when each account last signed out on every device

Revision ID: 0009_sessions
Revises: 0008_renewals
Create Date: 2026-12-07 09:40:00.000000

A signed cookie outlives its logout unless the server remembers the logout: `signed_out_session` holds
the id of each session ended, until no cookie that old could still be valid (SESSION_MAX_AGE).
`sessions_valid_from` ends every session of a club, a partner or a staff member opened before it.
"""
from alembic import op
import sqlalchemy as sa

import openflyers_account.storage

# revision identifiers, used by Alembic.
revision = '0009_sessions'
down_revision = '0008_renewals'
branch_labels = None
depends_on = None

ACCOUNTS = ('club', 'partner', 'staff_user')


def upgrade():
    op.create_table('signed_out_session',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('signed_out_at', openflyers_account.storage.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_signed_out_session'))
    )
    op.create_index(op.f('ix_signed_out_session_signed_out_at'), 'signed_out_session', ['signed_out_at'],
                    unique=False)
    # Added in place, not by copying the tables: invoices, periods and payments point at the accounts.
    for table in ACCOUNTS:
        op.add_column(table, sa.Column('sessions_valid_from', openflyers_account.storage.UTCDateTime(timezone=True),
                                       nullable=True))


def downgrade():
    for table in ACCOUNTS:
        op.execute(f"ALTER TABLE {table} DROP COLUMN sessions_valid_from")
    op.drop_index(op.f('ix_signed_out_session_signed_out_at'), table_name='signed_out_session')
    op.drop_table('signed_out_session')
