"""The user's words for every error a user can cause: one place, every language (STYLE: typed errors)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import format_currency, format_date, lazy_gettext as _l

MESSAGES = {
    "invalid": _l("This value is not valid."),
    "login_failed": _l("Unknown account or wrong password. Check the platform address and the password."),
    "staff_login_failed": _l("Unknown e-mail address or wrong password."),
    "partner_login_failed": _l("Unknown e-mail address or wrong password. Check the address your partner account "
                               "was opened with."),
    "reset_link_invalid": _l("This reset link is not valid or has already been used. Ask for a new one."),
    "reset_link_expired": _l("This reset link has expired (links last one hour). Ask for a new one."),
    "password_too_short": _l("The password must be at least 10 characters long."),
    "password_too_long": _l("The password must be at most 200 characters long."),
    "password_control_characters": _l("The password contains characters that cannot be typed."),
    "passwords_differ": _l("The two passwords are different."),
    "subdomain_invalid": _l("A platform subdomain has only lower-case letters, digits and hyphens (1 to 63)."),
    "subdomain_taken": _l("This subdomain already has an account."),
    "unknown_offer": _l("Unknown offer. Known offers: %(offers)s."),
    "resources_negative": _l("The number of resources cannot be negative."),
    "staff_email_taken": _l("A staff account already uses this e-mail address."),
    "email_invalid": _l("Enter a valid e-mail address, such as tresorier@aeroclub.fr."),
    "required": _l("This field is required."),
    "too_long": _l("This is too long (%(max)d characters at most)."),
    "resources_whole_number": _l("Enter a whole number of resources, from your platform's count up to %(maximum)d."),
    "below_floor": _l("Your platform has %(floor)d activated resources: the renewal covers at least that many. "
                      "To subscribe fewer, first deactivate resources on your platform."),
    "below_club_floor": _l("Your platform has %(activated)d activated resources and your other subscriptions "
                           "cover %(elsewhere)d of them on %(day)s: this one covers at least %(floor)d. To "
                           "subscribe fewer, first deactivate resources on your platform."),
    "resources_out_of_range": _l("Enter a whole number of resources from %(floor)d to %(maximum)d."),
    "added_whole_number": _l("Enter a whole number of resources to add, from 1."),
    "added_out_of_range": _l("Add from 1 to %(maximum)d resources: a period has 999 resources at most."),
    "no_running_period": _l("This subscription has no period running or to come: renew it instead of adding "
                            "resources."),
    "partner_email_taken": _l("A partner already uses this e-mail address."),
    "unknown_partner": _l("This partner does not exist."),
    "unknown_club": _l("No club has the subdomain \"%(subdomain)s\"."),
    "partner_discount_invalid": _l("Enter a discount from 0 to 100 %, such as 10 or 12,5."),
    "partner_discount_reason": _l("Say why this discount is granted: it is kept in the audit log."),
    "country_invalid": _l("Enter the country's two-letter ISO code, such as FR or BE."),
    "siren_invalid": _l("This is not a valid SIREN: 9 digits, the last one a check digit."),
    "vat_number_invalid": _l("This is not a valid EU VAT number, such as FR44732829320."),
    "unknown_subscription": _l("This subscription does not exist or is not yours."),
    "choose_subscription": _l("Your club has several subscriptions: choose the one to renew."),
    "start_out_of_range": _l("Choose a start date from %(earliest)s to %(latest)s (12 months back or ahead)."),
    "notice_too_late": _l("Notice not to renew had to be given by %(deadline)s, 90 days before the end date "
                          "(%(end)s). Contact us if your situation calls for an exception."),
    "late_notice_not_allowed": _l("Only OpenFlyers staff can accept a notice given after the deadline."),
    "withdrawal_too_late": _l("The subscription ended on %(end)s: its notice can no longer be withdrawn."),
    "subscription_over": _l("This subscription has ended: renew it to go on."),
    "reduction_too_late": _l("Fewer resources for the next period had to be asked by %(deadline)s, 90 days "
                             "before the end date. You can still choose them when you renew yourself."),
    "reduction_not_fewer": _l("The current period has %(current)d resources: ask for fewer, or add resources "
                              "instead."),
    "not_reissuable": _l("Only an invoice with no payment recorded or announced can be reissued: this one keeps "
                         "its reference."),
    "already_this_reference": _l("This invoice already carries the subscription's PO reference."),
    "nothing_to_bill": _l("This purchase comes to nothing to pay: no invoice is issued."),
    "period_has_added_resources": _l("Resources were added to the period this invoice pays for: cancel the "
                                     "invoices of the added resources first."),
    "unknown_offer_choice": _l("Choose one of the offers in the list."),
    "unknown_term_choice": _l("Choose a term of 1, 3 or 5 years."),
    "po_reference_too_long": _l("The PO reference has 70 characters at most."),
    "po_reference_characters": _l("The PO reference contains characters that cannot be printed."),
    "accept_terms": _l("Tick the box to accept the terms and conditions of sale."),
    "renewal_not_open": _l("Renewal opens on %(opens_on)s, 90 days before the end of your current period."),
    "price_changed": _l("The price has changed since you reviewed it: check the new total, then confirm again."),
    "invoice_not_cancellable": _l("Only an unpaid invoice of a subscription, with nothing paid yet, can be "
                                  "cancelled."),
    "nothing_to_credit": _l("Nothing left to credit on this invoice: choose lines that have not been credited yet."),
    "discount_credited_alone": _l("A discount is credited with the lines it discounts, in proportion: choose "
                                  "those lines, not the discount line."),
    "credit_not_positive": _l("The chosen lines, net of their discounts, leave nothing to credit: choose lines "
                              "with an amount."),
    "credit_exceeds_invoice": _l("The credit notes of an invoice cannot credit more than its total of %(total)s "
                                 "incl. VAT; %(credited)s is already credited. Nothing was issued."),
    "price_list_invalid": _l("These prices cannot be published: check the date (today or later, not already "
                             "used) and every offer's fees."),
    "invoice_not_payable": _l("This invoice needs no payment: it is paid, cancelled, or a credit note."),
    "payment_refused": _l("This payment cannot be recorded: the amount must be whole cents and not zero, and the "
                          "invoice must still take payments."),
    "payment_already_reversed": _l("This payment has already been reversed."),
    "cheque_already_recorded": _l("Cheque %(number)s (%(bank)s) is already recorded on this invoice: %(amount)s "
                                  "received on %(day)s. Nothing was recorded again."),
    "transfer_already_recorded": _l("The transfer %(reference)s is already recorded on this invoice: %(amount)s "
                                    "received on %(day)s. Nothing was recorded again."),
    "statement_entry_already_recorded": _l("Entry %(entry)s is already recorded as a payment of invoice "
                                           "%(invoice)s. Untick it or set it aside, then confirm again. Nothing "
                                           "was recorded."),
    "statement_other_account": _l("This statement is for the account %(account)s, not for the account invoices "
                                  "are paid to (%(expected)s). Import the statement of that account. Nothing was "
                                  "imported."),
    "cheques_unavailable": _l("A chosen cheque is already on a deposit slip, was reversed, or is not a received "
                              "cheque. Reload the page and choose again."),
    "statement_malformed": _l("This file cannot be read as a CAMT.053 bank statement: it is damaged, incomplete or "
                              "misses a required element. Download it again from the bank, then import it. Nothing "
                              "was imported."),
    "statement_hostile": _l("This file was refused for safety: it contains XML declarations (DTD, entities or "
                            "external references) that a bank statement never has. Nothing was imported."),
    "statement_too_large": _l("This file is too large: a statement file may have at most %(megabytes)s MB. Export "
                              "a shorter period from the bank. Nothing was imported."),
    "statement_unsupported": _l("This file is not a CAMT.053 bank statement (versions camt.053.001.02 to .08, one "
                                "statement per file). Export the account statement from the bank in the CAMT.053 "
                                "format. Nothing was imported."),
    "statement_no_credit": _l("This statement has no booked credit entry: no money came in that could pay an "
                              "invoice. Nothing was imported."),
    "statement_currency": _l("This statement is not in euros: only euro accounts and euro payments can be "
                             "imported. Nothing was imported."),
    "statement_already_imported": _l("This statement (%(reference)s) was already imported on %(day)s: nothing was "
                                     "imported again."),
    "statement_import_conflict": _l("Another import recorded some of these entries at the same moment. Import the "
                                    "file again: the entries already recorded will be skipped."),
    "statement_empty": _l("Choose the bank statement file to import (a CAMT.053 XML file that is not empty)."),
    "statement_nothing_chosen": _l("Tick at least one entry to confirm."),
    "statement_entry_unknown": _l("A chosen entry is not an entry of this statement. Reload the page and choose "
                                  "again. Nothing was recorded."),
    "statement_entry_not_pending": _l("Entry %(entry)s was already confirmed or set aside. Reload the page and "
                                      "choose again. Nothing was recorded."),
    "statement_entry_no_invoice": _l("Entry %(entry)s has no proposed invoice: assign one to it first. Nothing "
                                     "was recorded."),
    "statement_entry_likely_duplicate": _l("Entry %(entry)s looks like an entry already imported from another "
                                           "statement: say whether it is another payment or set it aside first. "
                                           "Nothing was recorded."),
    "statement_entry_not_duplicate": _l("Entry %(entry)s is not marked as a likely duplicate. Reload the page. "
                                        "Nothing was recorded."),
    "statement_entry_not_payable": _l("Entry %(entry)s cannot pay invoice %(invoice)s: the invoice is already paid "
                                      "or cancelled. Untick the entry (or assign it to another invoice), then "
                                      "confirm again. Nothing was recorded."),
    "statement_invoice_unknown": _l("No invoice waiting for payment has the number \"%(number)s\". Check the "
                                    "number, such as F-2026-00042."),
}


def error_message(code: str, **params) -> str:
    """The translated sentence for an error code; dates and amounts in the user's format."""
    message = MESSAGES.get(code, MESSAGES["invalid"])
    shown = {key: _shown(value) for key, value in params.items()}
    return str(message) % shown if shown else str(message)


def _shown(value):
    if isinstance(value, date):
        return format_date(value, "long")
    if isinstance(value, Decimal):
        return format_currency(value, "EUR")
    return value


AUDIT_ACTIONS = {
    "club.created": _l("Club account created"),
    "club.emails_changed": _l("E-mail addresses changed"),
    "club.password_reset_sent": _l("Password reset link sent"),
    "club.password_set": _l("Password set"),
    "club.resources_reported": _l("Activated resources reported"),
    "staff.created": _l("Staff account created"),
    "staff.signed_in": _l("Staff signed in"),
    "invoice.credited": _l("Credit note issued"),
    "partner.created": _l("Partner created"),
    "partner.discount_changed": _l("Partner discount changed"),
    "club.discount_changed": _l("Club discount changed"),
    "club.api_token_created": _l("Platform API token created"),
    "club.api_token_rotated": _l("Platform API token replaced"),
    "partner.club_linked": _l("Club managed by a partner"),
    "partner.club_unlinked": _l("Club no longer managed by a partner"),
    "invoice.cancelled": _l("Invoice cancelled at the buyer's request"),
    "invoice.reissued": _l("Invoice reissued with the new PO reference"),
    "subscription.started": _l("Subscription started"),
    "subscription.renewed": _l("Subscription renewed"),
    "subscription.renewed_automatically": _l("Subscription renewed automatically"),
    "subscription.resources_added": _l("Resources added"),
    "subscription.po_reference_changed": _l("PO reference changed"),
    "subscription.terms_changed": _l("Offer, term or PO reference changed by a renewal"),
    "subscription.notice_given": _l("Notice not to renew given"),
    "subscription.notice_withdrawn": _l("Notice withdrawn"),
    "subscription.reduction_requested": _l("Fewer resources asked for the next period"),
    "subscription.ended": _l("Subscription ended under notice"),
    "catalogue.published": _l("Price list published"),
    "payment.recorded": _l("Payment recorded"),
    "payment.reversed": _l("Payment reversed"),
    "deposit_slip.created": _l("Deposit slip created"),
    "statement.imported": _l("Bank statement imported"),
    "statement.matches_confirmed": _l("Bank statement payments confirmed"),
    "statement.entry_assigned": _l("Statement entry assigned to an invoice"),
    "statement.entry_ignored": _l("Statement entry set aside"),
    "statement.entry_kept": _l("Statement entry kept as another payment"),
}


#: What the renewal job sent, as staff read it on a client's page (R8).
RENEWAL_MESSAGES = {
    "renews_soon": _l("Reminder: it renews itself in 30 days"),
    "renewed": _l("Renewed automatically, invoice sent"),
    "ending": _l("Reminder: it ends under notice"),
    "ended": _l("Ended under notice"),
    "pay_renewal": _l("Reminder: renewal invoice unpaid"),
    "renewal_overdue": _l("Reminder: renewal still unpaid after the end date"),
    "not_renewed": _l("Reminder: automatic invoice cancelled, not renewed"),
}

#: When, relative to the end date, each stage of the renewal job falls (R8).
RENEWAL_STAGES = {
    "reminder_60": _l("60 days before the end"),
    "reminder_30": _l("30 days before the end"),
    "renewal": _l("30 days before the end"),
    "unpaid_7": _l("7 days before the end"),
    "ended": _l("End date"),
    "unpaid_15": _l("15 days after the end"),
}


def renewal_stage_label(stage: str) -> str:
    """When a stage of the renewal job falls, in words."""
    return str(RENEWAL_STAGES.get(stage, stage))


def renewal_message_label(message: str, stage: str) -> str:
    """A message of the renewal job in words, with the stage it was sent at."""
    return f"{RENEWAL_MESSAGES.get(message, message)} ({renewal_stage_label(stage)})"


#: The words staff read for the keys of an audit entry's details (K4); an unknown key shows in plain words.
AUDIT_DETAILS = {
    "activated_resources": _l("activated resources"), "addresses": _l("addresses"), "after": _l("after"),
    "amount": _l("amount"), "bank": _l("bank"), "before": _l("before"), "billed": _l("billed to"),
    "by_renewal": _l("by the automatic renewal"), "cheques": _l("cheques"), "credit_note": _l("credit note"),
    "discount": _l("discount"), "drawer": _l("drawer"), "email": _l("e-mail"), "end": _l("end"),
    "entries": _l("entries"), "entry": _l("entry"), "file": _l("file"), "invoice": _l("invoice"),
    "likely_duplicates": _l("likely duplicates"), "looked_like": _l("looked like"), "method": _l("method"),
    "name": _l("name"), "new_invoice": _l("new invoice"), "number": _l("number"), "offer": _l("offer"),
    "on": _l("day"), "partner": _l("partner"), "po_reference": _l("PO reference"), "prices": _l("prices"),
    "proposed": _l("proposed"), "reason": _l("reason"), "received_on": _l("received on"),
    "reference": _l("reference"), "resources": _l("resources"), "role": _l("role"), "services": _l("services"),
    "skipped": _l("skipped"), "start": _l("start"), "statement": _l("statement"),
    "subscription": _l("subscription"), "term": _l("term"), "total": _l("total"), "valid_from": _l("valid from"),
    "structure_email": _l("structure e-mail"), "contact_email": _l("contact e-mail"), "stage": _l("stage"),
    "period_end": _l("period end"),
}
#: Details that are sums of money: shown with the currency.
AUDIT_AMOUNTS = frozenset({"amount", "total", "billed_total"})


def audit_detail_label(key: str) -> str:
    """The translated name of an audit detail's key (K4)."""
    return str(AUDIT_DETAILS.get(key, key.replace("_", " ")))


def audit_action_label(action: str) -> str:
    """The translated name of an audit log action; unknown codes show as they are."""
    return str(AUDIT_ACTIONS.get(action, action))
