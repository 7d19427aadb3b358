"""Back-office forms for bank statements: upload a CAMT.053 file, confirm its matches, assign or set aside (M5)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectMultipleField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Length

from ..forms import Form
from ..messages import MESSAGES


class StatementUploadForm(Form):
    """One CAMT.053 file exported from the bank (M5)."""

    statement = FileField(_l("Bank statement (CAMT.053 XML file)"), validators=[
        FileRequired(message=MESSAGES["statement_empty"])],
        description=_l("The account statement exported from the bank in the ISO 20022 CAMT.053 format. "
                       "Only its credit entries are imported."))
    submit = SubmitField(_l("Import the statement"))


class ConfirmMatchesForm(Form):
    """The entries whose proposed invoice staff confirm, all in one action (M5)."""

    # The service checks that each id is a pending entry of this statement: the page may be stale.
    entries = SelectMultipleField(_l("Entries to confirm"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Confirm the ticked payments"))

    def validate_entries(self, field) -> None:
        if not field.data:
            raise ValidationError(MESSAGES["statement_nothing_chosen"])
        if any(not value.isdigit() or len(value) > 18 for value in field.data):
            raise ValidationError(MESSAGES["statement_entry_unknown"])

    def entry_ids(self) -> list[int]:
        """The chosen entry ids; call after `validate()`."""
        return [int(value) for value in self.entries.data]

    def ticked(self) -> set[int] | None:
        """The ids ticked in the posted form, or None when nothing was posted (the page's defaults apply)."""
        if not self.is_submitted():
            return None
        return {int(value) for value in self.entries.data or [] if value.isdigit() and len(value) <= 18}


class AssignInvoiceForm(Form):
    """The invoice a pending entry pays, chosen by hand (M5)."""

    invoice_number = StringField(_l("Invoice number"), validators=[
        DataRequired(message=MESSAGES["required"]),
        Length(max=40, message=_l("This is too long (40 characters at most)."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value])
    submit = SubmitField(_l("Assign"))


class IgnoreEntryForm(Form):
    """Set a pending entry aside: it pays no invoice (M5)."""

    submit = SubmitField(_l("Set aside"))


class KeepEntryForm(Form):
    """A likely duplicate checked by staff: it is another payment (M5)."""

    submit = SubmitField(_l("Another payment: keep it"))


def upload_field_error(form: StatementUploadForm, message: str) -> None:
    """Show a refusal under the file field, where staff look after choosing the file."""
    form.statement.errors = [*form.statement.errors, message]

