"""The database's own guard of issued invoices (rule I2), for migrations that add a column to `invoice`.

Revision 0004 made the triggers; a revision adding an invoice column makes them again with that column in
the list, so that the database refuses its change too. Only `status` ever moves.
"""
from alembic import op

INVOICE_FROZEN = "an issued invoice never changes: only its status may (rule I2)"
JSON_COLUMNS = {'seller', 'buyer', 'vat_breakdown'}


def freeze(columns: tuple[str, ...]) -> None:
    """Refuse any update of these invoice columns and any deletion of an invoice, from now on."""
    if op.get_bind().dialect.name == 'postgresql':
        old = ", ".join(f"OLD.{c}::jsonb" if c in JSON_COLUMNS else f"OLD.{c}" for c in columns)
        new = ", ".join(f"NEW.{c}::jsonb" if c in JSON_COLUMNS else f"NEW.{c}" for c in columns)
        # SQLSTATE 23000 (integrity constraint violation): drivers report it as an IntegrityError, as SQLite does.
        op.execute(f"""
            CREATE OR REPLACE FUNCTION invoice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
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
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER IF EXISTS invoice_frozen_update")
    op.execute(f"""
        CREATE TRIGGER invoice_frozen_update BEFORE UPDATE ON invoice WHEN {changed}
        BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
