"""pdf rendered later: the PDF of an invoice issued by a batch job may be written once after its issue

Revision ID: 0013_pdf_rendered_later
Revises: 0012_club_search
Create Date: 2026-12-07 16:00:00.000000

`flask renewals run` issues thousands of automatic renewals in a minute; rendering each PDF (about 0.2 s) in the
job would take it an hour. Such an invoice is issued with an empty `pdf` and `pdf_sha256`, and its PDF is rendered
from the frozen snapshot the first time it is needed (its e-mail, a download), then stored for good (I4). The
triggers let these two columns be written once, while `pdf_sha256` is empty; every other column stays frozen (I2).
"""
from openflyers_account.migrations.frozen_invoices import COLUMNS_SINCE_0007, freeze

# revision identifiers, used by Alembic.
revision = '0013_pdf_rendered_later'
down_revision = '0012_club_search'
branch_labels = None
depends_on = None


def upgrade():
    freeze(COLUMNS_SINCE_0007, pdf_set_once=True)


def downgrade():
    freeze(COLUMNS_SINCE_0007)
