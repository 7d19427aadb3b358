"""statement duplicates: an entry without a bank reference that looks like one already imported

Revision ID: 0010_statement_duplicates
Revises: 0009_sessions
Create Date: 2026-12-07 10:05:00.000000

Rule M5. Without a bank reference, an entry's key is its place in its statement, so the same movement
re-exported under another statement id has another key. `duplicate_of_id` names the earlier entry with the
same account, day, amount, payer and text; the entry then waits for a staff decision.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_statement_duplicates'
down_revision = '0009_sessions'
branch_labels = None
depends_on = None


FK = 'fk_bank_statement_entry_duplicate_of_id_bank_statement_entry'


def upgrade():
    # Added in place, not by copying the table: payments point at the entries they came from.
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('bank_statement_entry', sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FK), 'bank_statement_entry', 'bank_statement_entry', ['duplicate_of_id'], ['id'])
    else:
        op.execute(f"ALTER TABLE bank_statement_entry ADD COLUMN duplicate_of_id INTEGER "
                   f"CONSTRAINT {FK} REFERENCES bank_statement_entry (id)")
    # The earlier entries an import compares with, by the day the bank booked them.
    op.create_index(op.f('ix_bank_statement_entry_booking_date'), 'bank_statement_entry', ['booking_date'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_bank_statement_entry_booking_date'), table_name='bank_statement_entry')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f(FK), 'bank_statement_entry', type_='foreignkey')
    op.execute("ALTER TABLE bank_statement_entry DROP COLUMN duplicate_of_id")
