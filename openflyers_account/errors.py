"""The base of every error a user can cause: a code for the translated message (messages.py)."""
from __future__ import annotations


class UserError(Exception):
    """A problem the user caused; `code` picks the message, `field` the form field it belongs to."""

    code = "invalid"
    field: str | None = None

    def __init__(self, code: str | None = None, **params):
        super().__init__(code or self.code)
        self.code = code or self.code
        self.params = params
