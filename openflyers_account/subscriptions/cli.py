"""Operator commands: `flask subscription start|list` bring existing customers in from the shell (O2).

Bad arguments get a one-line reason and exit status 2, with nothing written.
"""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from ..accounts import operations as accounts
from ..accounts.models import Club
from ..billing import catalogue
from ..command_line import OneLineErrors
from ..domain.accounts import login_subdomain
from ..domain.invoice_document import PO_REFERENCE_MAX_LENGTH, po_reference_problem
from ..domain.pricing import MAX_RESOURCES, Term
from ..errors import UserError
from ..messages import error_message
from . import operations, queries
from .purchase import SubscriptionOrder

subscription_cli = AppGroup("subscription", help="Manage customers' subscriptions.")


def _club(subdomain: str) -> Club:
    club = accounts.find_club(login_subdomain(subdomain) or "")
    if club is None:
        raise click.BadParameter(f"no club has the subdomain {subdomain!r}", param_hint="SUBDOMAIN")
    return club


def _day(ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from error


def _po_reference(ctx, param, value: str) -> str:
    value = (value or "").strip()
    problem = po_reference_problem(value)
    if problem == "too_long":
        raise click.BadParameter(f"has {len(value)} characters, {PO_REFERENCE_MAX_LENGTH} at most")
    if problem:
        raise click.BadParameter("must not contain control characters")
    return value


def _known_offer(code: str) -> str:
    known = [offer.code for offer in catalogue.offers()]
    if code not in known:
        raise click.BadParameter(f"{code!r} is not an offer: {', '.join(known)}", param_hint="'--offer'")
    return code


#: The service's field names, as the operator's options.
_OPTION_OF_FIELD = {"resources": "'--resources'", "start": "'--start'", "po_reference": "'--po'", "offer": "'--offer'"}


@subscription_cli.command("start", cls=OneLineErrors)
@click.argument("subdomain")
@click.option("--offer", "offer_code", required=True, help="first-price, business, premiere or corporate.")
@click.option("--resources", required=True, type=click.IntRange(0, MAX_RESOURCES), help="Resources (0 to 999).")
@click.option("--term", required=True, type=click.Choice(["1", "3", "5"]), help="Years: 1, 3 or 5.")
@click.option("--start", "start", required=True, callback=_day, help="First day, YYYY-MM-DD, 12 months back to ahead.")
@click.option("--po", "po_reference", default="", callback=_po_reference, help="Purchase order reference.")
def start_subscription(subdomain, offer_code, resources, term, start, po_reference):
    """Start a subscription for the club at SUBDOMAIN and issue its first invoice (R10)."""
    club = _club(subdomain)
    order = SubscriptionOrder(_known_offer(offer_code), resources, Term(int(term)), po_reference)
    try:
        invoice = operations.start_subscription(club.id, order, start, date.today(), "cli")
    except UserError as error:
        with force_locale("en"):
            message = error_message(error.code, **error.params)
        # The service names the form field it refuses; the operator typed the option.
        option = _OPTION_OF_FIELD.get(error.field)
        if option is None:
            raise click.UsageError(message) from error
        raise click.BadParameter(message, param_hint=option) from error
    click.echo(f"Subscription of {club.subdomain} started on {invoice.period_start} until {invoice.period_end} "
               f"({offer_code}, {resources} resources, {term} year(s)): invoice {invoice.number}, "
               f"{invoice.total_incl_vat} EUR incl. VAT.")


@subscription_cli.command("list", cls=OneLineErrors)
@click.argument("subdomain")
def list_subscriptions(subdomain):
    """Print the subscriptions of the club at SUBDOMAIN (R9)."""
    club = _club(subdomain)
    today = date.today()
    subscriptions = queries.club_subscriptions(club)
    if not subscriptions:
        click.echo(f"{club.subdomain} has no subscription.")
        return
    click.echo("id\toffer\tresources\tterm\tperiod\tstate\tend\tnotice\tpo")
    for subscription in subscriptions:
        shown = queries.view(subscription, today)
        period = f"{shown.current.start_date}..{shown.current.end_date}" if shown.current else "-"
        notice = str(subscription.notice_given_on) if subscription.notice_given_on else "-"
        click.echo("\t".join(str(value) for value in (
            subscription.id, subscription.offer.code, shown.resources, subscription.term_years, period,
            shown.state.value, shown.end_date or "-", notice, subscription.po_reference or "-")))
