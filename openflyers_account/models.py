"""Every area's stored records in one import, for Alembic's metadata and the tests.

The records live with their area (`accounts/models.py`, `billing/models.py`...); code inside an area
imports them from there. Models hold data only: queries and commits live in the services.
"""
from __future__ import annotations

from .accounts.models import AuditEntry, Club, ResourceReport, SignedOutSession, StaffRole, StaffUser
from .billing.models import (
    FROZEN_INVOICE_COLUMNS,
    ChargeableService,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    IssuedDocumentIsFrozen,
    NumberSequence,
    Offer,
    OfferPrice,
    PendingCharge,
    PriceList,
    ServicePrice,
)
from .api.models import PlatformToken
from .mail.models import OutboxMessage
from .partners.models import Partner, PartnerClub
from .payments.models import (
    BankStatement,
    BankStatementEntry,
    CardCheckout,
    DeclarationStatus,
    DepositSlip,
    Payment,
    PaymentDeclaration,
    StatementEntryStatus,
)
from .renewals.models import RenewalFailure, SubscriptionMessage
from .storage import Money, UTCDateTime, utcnow
from .subscriptions.models import (
    InvoicePurpose,
    ResourceAddition,
    Subscription,
    SubscriptionInvoice,
    SubscriptionPeriod,
)

__all__ = [
    "FROZEN_INVOICE_COLUMNS", "AuditEntry", "BankStatement", "BankStatementEntry", "CardCheckout",
    "ChargeableService", "Club", "DeclarationStatus", "SignedOutSession", "DepositSlip", "Invoice", "InvoiceKind", "InvoiceLine",
    "InvoiceStatus", "IssuedDocumentIsFrozen", "Money", "NumberSequence", "Offer", "OfferPrice",
    "OutboxMessage", "Partner", "PartnerClub", "Payment", "PaymentDeclaration", "PlatformToken", "PendingCharge", "PriceList", "ResourceAddition",
    "RenewalFailure", "ResourceReport", "ServicePrice", "StaffRole", "StaffUser", "StatementEntryStatus", "Subscription",
    "SubscriptionInvoice", "SubscriptionMessage", "SubscriptionPeriod", "InvoicePurpose", "UTCDateTime", "utcnow",
]
