"""club search: trigram indexes for the staff search on PostgreSQL

Revision ID: 0012_club_search
Revises: 0011_platform_tokens
Create Date: 2026-12-07 14:30:00.000000

The staff search finds a club by any part of its subdomain, name or addresses (`LIKE '%...%'`). On PostgreSQL a
trigram index (pg_trgm, a trusted extension) answers it without reading every club (performance budget). SQLite
has no such index and keeps its scan.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_club_search'
down_revision = '0011_platform_tokens'
branch_labels = None
depends_on = None

#: The searched expressions, as accounts.operations.search_clubs writes them.
SEARCHED = {"subdomain": "lower(subdomain)", "name": "lower(name)", "structure_email": "lower(structure_email)",
            "contact_email": "lower(contact_email)"}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column, expression in SEARCHED.items():
        op.execute(f"CREATE INDEX ix_club_{column}_trigram ON club USING gin (({expression}) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_club_{column}_trigram")
