"""The database's own guard of issued invoices (rule I2), for migrations that add a column to `invoice`.

Revision 0004 made the triggers; a revision adding an invoice column makes them again with that column in
the list, so that the database refuses its change too. Only `status` ever moves.
"""
from alembic import op

INVOICE_FROZEN = "an issued invoice never changes: only its status may (rule I2)"
JSON_COLUMNS = {'seller', 'buyer', 'vat_breakdown'}
#: Every invoice column but `status` since revision 0007 (partners), the latest to add one.
COLUMNS_SINCE_0007 = (
    'id', 'number', 'kind', 'club_id', 'issue_date', 'due_date', 'seller', 'buyer', 'vat_breakdown',
    'vat_mention', 'total_excl_vat', 'total_vat', 'total_incl_vat', 'currency', 'po_reference',
    'creditor_reference', 'corrects_id', 'reason', 'period_start', 'period_end', 'offer_code', 'resources',
    'term_years', 'pdf', 'pdf_sha256', 'created_at', 'line_count', 'partner_id',
)
#: The columns of a PDF rendered after its invoice was issued (revision 0013): written once, from '' (I4).
PDF_COLUMNS = ('pdf', 'pdf_sha256')


def freeze(columns: tuple[str, ...], pdf_set_once: bool = False) -> None:
    """Refuse any update of these invoice columns and any deletion of an invoice, from now on.

    With `pdf_set_once`, the PDF columns may be written once more, while `pdf_sha256` is still empty: the PDF of an
    invoice issued by a batch job is rendered after its issue (I4).
    """
    postgresql = op.get_bind().dialect.name == 'postgresql'
    once = ""
    if pdf_set_once:
        columns = tuple(column for column in columns if column not in PDF_COLUMNS)
        pdf_changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" if postgresql else f"NEW.{c} IS NOT OLD.{c}"
                                  for c in PDF_COLUMNS)
        once = f"(OLD.pdf_sha256 <> '' AND ({pdf_changed}))"
    if postgresql:
        old = ", ".join(f"OLD.{c}::jsonb" if c in JSON_COLUMNS else f"OLD.{c}" for c in columns)
        new = ", ".join(f"NEW.{c}::jsonb" if c in JSON_COLUMNS else f"NEW.{c}" for c in columns)
        changed = f"ROW({old}) IS DISTINCT FROM ROW({new})" + (f" OR {once}" if once else "")
        # SQLSTATE 23000 (integrity constraint violation): drivers report it as an IntegrityError, as SQLite does.
        op.execute(f"""
            CREATE OR REPLACE FUNCTION invoice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION USING MESSAGE = 'invoice ' || OLD.number || ': {INVOICE_FROZEN}',
                                          ERRCODE = '23000';
                END IF;
                IF {changed} THEN
                    RAISE EXCEPTION USING MESSAGE = 'invoice ' || OLD.number || ': {INVOICE_FROZEN}',
                                          ERRCODE = '23000';
                END IF;
                RETURN NEW;
            END $$""")
        return
    changed = " OR ".join([f"NEW.{c} IS NOT OLD.{c}" for c in columns] + ([once] if once else []))
    op.execute("DROP TRIGGER IF EXISTS invoice_frozen_update")
    op.execute(f"""
        CREATE TRIGGER invoice_frozen_update BEFORE UPDATE ON invoice WHEN {changed}
        BEGIN SELECT RAISE(ABORT, '{INVOICE_FROZEN}'); END""")
