"""What happens to an invoice, told to the areas above billing without billing importing them.

Subscriptions listen: a cancelled invoice takes back what it bought (R2, R6), a fully paid one puts its
period into production (R4). Receivers run inside the sender's transaction: what they write commits or
rolls back with it.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: An invoice was cancelled by a credit note (I5). Sent with `invoice`.
invoice_cancelled = _signals.signal("invoice-cancelled")

#: An invoice's payments moved its state (I5, M4). Sent with `invoice` and `fully_paid`.
invoice_settled = _signals.signal("invoice-settled")
