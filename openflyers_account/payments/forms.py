"""The club's "I sent it" forms for transfers and cheques (M2, M3)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from ..forms import Form

#: What a declaration's note column holds (PaymentDeclaration.note).
NOTE_MAX_LENGTH = 200


def _stripped(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class TransferSentForm(Form):
    """The club says its transfer is on its way; staff watch for it (M2)."""

    note = StringField(_l("Detail for our accountant (optional)"), filters=[_stripped], validators=[
        Optional(), Length(max=NOTE_MAX_LENGTH, message=_l("This is too long (200 characters at most)."))],
        description=_l("For example the day you sent it or the account it comes from."))
    submit = SubmitField(_l("I have sent the transfer"))

    def declaration_note(self) -> str:
        return self.note.data or ""


class ChequeSentForm(Form):
    """The club says its cheque is in the post, with its number if it wants (M3)."""

    cheque_number = StringField(_l("Cheque number (optional)"), filters=[_stripped], validators=[
        Optional(), Length(max=30, message=_l("This is too long (30 characters at most)."))])
    submit = SubmitField(_l("I have sent the cheque"))

    def declaration_note(self) -> str:
        return self.cheque_number.data or ""
