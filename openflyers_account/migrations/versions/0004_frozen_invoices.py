"""frozen invoices: the database itself refuses any edit of an issued invoice or its lines

Revision ID: 0004_frozen_invoices
Revises: 0003_outbox_retries
Create Date: 2026-11-23 12:00:00.000000

Rule I2: an issued invoice never changes. The application refuses it too, but a bulk UPDATE, a
console session or a future bug goes round the ORM; these triggers do not. Only `status` moves
(payments and credit notes, I5). Lines are written once, in the transaction that issues their
invoice: `line_count` says how many it takes, and no line is ever updated or deleted.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_frozen_invoices'
down_revision = '0003_outbox_retries'
branch_labels = None
depends_on = None

#: Every column of an invoice but `status`, the only one payments and credit notes change (I5).
FROZEN = (
    'id', 'number', 'kind', 'club_id', 'issue_date', 'due_date', 'seller', 'buyer', 'vat_breakdown',
    'vat_mention', 'total_excl_vat', 'total_vat', 'total_incl_vat', 'currency', 'po_reference',
    'creditor_reference', 'corrects_id', 'reason', 'period_start', 'period_end', 'offer_code', 'resources',
    'term_years', 'pdf', 'pdf_sha256', 'created_at', 'line_count',
)
JSON_COLUMNS = {'seller', 'buyer', 'vat_breakdown'}

INVOICE_FROZEN = "an issued invoice never changes: only its status may (rule I2)"
LINE_FROZEN = "the lines of an issued invoice never change (rule I2)"
NO_MORE_LINES = "invoice lines are written only when the invoice is issued (rule I2)"


def upgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        # A default for the rows already there, filled in just below; new rows always set it.
        batch_op.add_column(sa.Column('line_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE invoice SET line_count = "
               "(SELECT count(*) FROM invoice_line WHERE invoice_line.invoice_id = invoice.id)")
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('invoice', 'line_count', server_default=None)
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS invoice_frozen ON invoice")
        op.execute("DROP TRIGGER IF EXISTS invoice_line_frozen ON invoice_line")
        op.execute("DROP FUNCTION IF EXISTS invoice_frozen()")
        op.execute("DROP FUNCTION IF EXISTS invoice_line_frozen()")
    else:
        for name in ('invoice_frozen_update', 'invoice_frozen_delete', 'invoice_line_frozen_insert',
                     'invoice_line_frozen_update', 'invoice_line_frozen_delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch operation: it would copy `invoice` and drop the original, which the lines, payments
        # and credit notes pointing at it forbid (foreign keys are on).
        op.execute("ALTER TABLE invoice DROP COLUMN line_count")
    else:
        op.drop_column('invoice', 'line_count')


def _postgresql_triggers():
    # json has no equality operator: compare those columns as jsonb.
    old = ", ".join(f"OLD.{c}::jsonb" if c in JSON_COLUMNS else f"OLD.{c}" for c in FROZEN)
    new = ", ".join(f"NEW.{c}::jsonb" if c in JSON_COLUMNS else f"NEW.{c}" for c in FROZEN)
    # SQLSTATE 23000 (integrity constraint violation): drivers report it as an IntegrityError, as SQLite does.
    op.execute(f"""
        CREATE FUNCTION invoice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION USING MESSAGE = 'invoice ' || OLD.number || ': {INVOICE_FROZEN}',
                                      ERRCODE = '23000';
            END IF;
            IF ROW({old}) IS DISTINCT FROM ROW({new}) THEN
                RAISE EXCEPTION USING MESSAGE = 'invoice ' || OLD.number || ': {INVOICE_FROZEN}',
                                      ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER invoice_frozen BEFORE UPDATE OR DELETE ON invoice "
               "FOR EACH ROW EXECUTE FUNCTION invoice_frozen()")
    op.execute(f"""
        CREATE FUNCTION invoice_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                RAISE EXCEPTION '{LINE_FROZEN}' USING ERRCODE = '23000';
            END IF;
            IF (SELECT count(*) FROM invoice_line WHERE invoice_id = NEW.invoice_id)
                    >= (SELECT line_count FROM invoice WHERE id = NEW.invoice_id) THEN
                RAISE EXCEPTION '{NO_MORE_LINES}' USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER invoice_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON invoice_line "
               "FOR EACH ROW EXECUTE FUNCTION invoice_line_frozen()")


def _sqlite_triggers():
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
    op.execute(f"""
        CREATE TRIGGER invoice_frozen_update BEFORE UPDATE ON invoice WHEN {changed}
        BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
    op.execute(f"""
        CREATE TRIGGER invoice_frozen_delete BEFORE DELETE ON invoice
        BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
    op.execute(f"""
        CREATE TRIGGER invoice_line_frozen_insert BEFORE INSERT ON invoice_line
        WHEN (SELECT count(*) FROM invoice_line WHERE invoice_id = NEW.invoice_id)
             >= (SELECT line_count FROM invoice WHERE id = NEW.invoice_id)
        BEGIN SELECT RAISE(ABORT, '{NO_MORE_LINES}'); END""")
    for event in ('UPDATE', 'DELETE'):
        op.execute(f"""
            CREATE TRIGGER invoice_line_frozen_{event.lower()} BEFORE {event} ON invoice_line
            BEGIN SELECT RAISE(ABORT, '{LINE_FROZEN}'); END""")
