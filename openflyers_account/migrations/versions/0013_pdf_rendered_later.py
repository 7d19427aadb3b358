"""pdf rendered later: the PDF of an invoice issued by a batch job may be written once after its issue

Revision ID: 0013_pdf_rendered_later
Revises: 0012_club_search
Create Date: 2026-12-07 16:00:00.000000

`flask renewals run` issues thousands of automatic renewals in a minute; rendering each PDF (about 0.2 s) in the
job would take it an hour. Such an invoice is issued with an empty `pdf` and `pdf_sha256`, and its PDF is rendered
from the frozen snapshot the first time it is needed (its e-mail, a download), then stored for good (I4). The
triggers let these two columns be written once, while `pdf_sha256` is empty; every other column stays frozen (I2).
"""
from openflyers_account.migrations.frozen_invoices import PDF_COLUMNS, freeze

# revision identifiers, used by Alembic.
revision = '0013_pdf_rendered_later'
down_revision = '0012_club_search'
branch_labels = None
depends_on = None

#: The invoice columns frozen since revision 0007.
FROZEN = (
    'id', 'number', 'kind', 'club_id', 'issue_date', 'due_date', 'seller', 'buyer', 'vat_breakdown',
    'vat_mention', 'total_excl_vat', 'total_vat', 'total_incl_vat', 'currency', 'po_reference',
    'creditor_reference', 'corrects_id', 'reason', 'period_start', 'period_end', 'offer_code', 'resources',
    'term_years', 'pdf', 'pdf_sha256', 'created_at', 'line_count', 'partner_id',
)


def upgrade():
    freeze(tuple(column for column in FROZEN if column not in PDF_COLUMNS), pdf_set_once=True)


def downgrade():
    freeze(FROZEN)
