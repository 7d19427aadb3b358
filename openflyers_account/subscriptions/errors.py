"""Errors a club, a partner or staff can cause with a subscription; `code` picks the translated message."""
from __future__ import annotations

from ..billing.errors import BillingError
from ..errors import UserError


class SubscriptionError(UserError):
    """A purchase, a notice or a PO reference the rules refuse."""


class UnknownSubscription(SubscriptionError):
    """Not one of this club's subscriptions (never shown: another club's id is a 404)."""

    code = "unknown_subscription"


class ChooseSubscription(SubscriptionError):
    """The club has several subscriptions: which one it renews must be said (R9)."""

    code = "choose_subscription"


class RenewalNotOpen(SubscriptionError):
    code = "renewal_not_open"


class BelowResourceFloor(SubscriptionError):
    code = "below_floor"
    field = "resources"


class ResourcesOutOfRange(SubscriptionError):
    code = "resources_out_of_range"
    field = "resources"


class AddedOutOfRange(SubscriptionError):
    """Resources added must be a whole number from 1, the period staying within 999 (P5, R6)."""

    code = "added_out_of_range"
    field = "added"


class NoRunningPeriod(SubscriptionError):
    """Resources are added to a period running today or planned; an ended subscription is renewed (R6)."""

    code = "no_running_period"
    field = "added"


class PriceChanged(SubscriptionError):
    code = "price_changed"


class StartOutOfRange(SubscriptionError):
    """A subscription starts at most 12 months back or ahead (R10)."""

    code = "start_out_of_range"
    field = "start"


class NoticeTooLate(SubscriptionError):
    """Notice comes at least 90 days before the end date (R7); staff may still accept it, with a reason."""

    code = "notice_too_late"


class LateNoticeNotAllowed(SubscriptionError):
    """Only staff accept a late notice (R7)."""

    code = "late_notice_not_allowed"


class WithdrawalTooLate(SubscriptionError):
    """Notice is withdrawn until the end date at the latest (R7)."""

    code = "withdrawal_too_late"


class SubscriptionOver(SubscriptionError):
    """The subscription has ended (or never started): there is nothing to give notice on or reduce."""

    code = "subscription_over"


class ReductionTooLate(SubscriptionError):
    """Fewer resources for the next period are asked at least 90 days before the end date (R7)."""

    code = "reduction_too_late"
    field = "resources"


class ReductionNotFewer(SubscriptionError):
    """A reduction asks for fewer resources than the period has; resources are added otherwise (R6, R7)."""

    code = "reduction_not_fewer"
    field = "resources"


class PoReferenceInvalid(SubscriptionError):
    """A PO reference has 70 printable characters at most (R5)."""

    code = "po_reference_too_long"
    field = "po_reference"


class NotReissuable(SubscriptionError):
    """Only an unpaid invoice with no payment recorded is reissued with the new PO reference (R5)."""

    code = "not_reissuable"


class AlreadyThisReference(SubscriptionError):
    """The invoice already carries the subscription's PO reference: nothing to reissue (R5)."""

    code = "already_this_reference"


class NothingToBill(SubscriptionError):
    """The purchase comes to nothing: no invoice is issued for zero."""

    code = "nothing_to_bill"


class PeriodHasAddedResources(BillingError):
    """An invoice whose period has resources added since is not cancelled alone: the invoices of the added
    resources are cancelled first (R6). A billing error: it refuses a credit note, whoever issues it."""

    code = "period_has_added_resources"
