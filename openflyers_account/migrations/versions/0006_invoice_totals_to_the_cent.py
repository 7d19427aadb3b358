"""invoice totals checked to the cent: SQLite compared binary floats, so 30.08 + 6.02 was refused as 36.10

Revision ID: 0006_invoice_totals_to_the_cent
Revises: 0005_subscriptions
Create Date: 2026-12-07 07:00:00.000000

The check `total_incl_vat = total_excl_vat + total_vat` holds exactly on PostgreSQL (numeric), but SQLite
stores the amounts as binary floats and refused invoices whose cents do not add up exactly in binary (a
prorated addition of resources, R6). The sum is now rounded to the cent before the comparison, which
changes nothing on PostgreSQL.

On SQLite a check is changed by copying the table. The copy is made with foreign keys off (the lines,
payments and credit notes point at the invoices by id, which the copy keeps), and the
triggers that freeze issued invoices (I2, revision 0004) are made again on the copy. Going down keeps the
rounded check: the old one refuses rows the new one accepts.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_invoice_totals_to_the_cent'
down_revision = '0005_subscriptions'
branch_labels = None
depends_on = None

ROUNDED = 'total_incl_vat = round(total_excl_vat + total_vat, 2)'

#: The columns revision 0004 freezes: every column of an invoice but `status` (I2).
FROZEN = (
    'id', 'number', 'kind', 'club_id', 'issue_date', 'due_date', 'seller', 'buyer', 'vat_breakdown',
    'vat_mention', 'total_excl_vat', 'total_vat', 'total_incl_vat', 'currency', 'po_reference',
    'creditor_reference', 'corrects_id', 'reason', 'period_start', 'period_end', 'offer_code', 'resources',
    'term_years', 'pdf', 'pdf_sha256', 'created_at', 'line_count',
)
INVOICE_FROZEN = "an issued invoice never changes: only its status may (rule I2)"


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_invoice_invoice_totals_add_up'), 'invoice', type_='check')
        op.create_check_constraint('invoice_totals_add_up', 'invoice', ROUNDED)
        return
    op.execute("PRAGMA foreign_keys = OFF")
    # The lines' triggers name `invoice`: while the copy is renamed, that table is briefly missing.
    op.execute("PRAGMA legacy_alter_table = ON")
    try:
        with op.batch_alter_table('invoice', recreate='always') as batch_op:
            batch_op.drop_constraint('invoice_totals_add_up', type_='check')
            batch_op.create_check_constraint('invoice_totals_add_up', ROUNDED)
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
        op.execute(f"""
            CREATE TRIGGER invoice_frozen_update BEFORE UPDATE ON invoice WHEN {changed}
            BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
        op.execute(f"""
            CREATE TRIGGER invoice_frozen_delete BEFORE DELETE ON invoice
            BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
    finally:
        op.execute("PRAGMA legacy_alter_table = OFF")
        op.execute("PRAGMA foreign_keys = ON")


def downgrade():
    pass
