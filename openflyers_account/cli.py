"""Operator commands: `flask --app app club ...`, `staff ...`, `outbox send|status`, `demo load`."""
from __future__ import annotations

import unicodedata

import click
import pycountry
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.fr import siren
from wtforms import ValidationError

from .accounts import operations
from .accounts.models import Club, StaffRole
from .domain.accounts import login_subdomain
from .domain.pricing import EU_VAT_PREFIXES, FRENCH_VAT_COUNTRIES
from .forms import normalized_email
from .messages import error_message

club_cli = AppGroup("club", help="Manage customer accounts.")
staff_cli = AppGroup("staff", help="Manage back-office accounts.")
outbox_cli = AppGroup("outbox", help="Send queued e-mails.")
demo_cli = AppGroup("demo", help="Demo data for development.")


def _email(value: str, option: str) -> str:
    with force_locale("en"):
        try:
            return normalized_email(value)
        except ValidationError as error:
            raise click.BadParameter(f"{value!r}: {error}", param_hint=option) from error


def _column_text(column: str, required: bool = False):
    """A click callback: the text trimmed, refused when blank (if required), too long for the column or
    carrying control characters (PostgreSQL stores no NUL), with a message naming the option."""
    max_length = Club.__table__.c[column].type.length

    def check(ctx, param, value: str) -> str:
        value = (value or "").strip()
        if required and not value:
            raise click.BadParameter("must not be blank")
        if len(value) > max_length:
            raise click.BadParameter(f"is too long ({len(value)} characters, {max_length} at most)")
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise click.BadParameter("must not contain control characters")
        return value

    return check


def _country(ctx, param, value: str) -> str:
    code = (value or "").strip()
    # ASCII before upper(): "ı".upper() is "I", which would turn "fı" into Finland.
    if not (len(code) == 2 and code.isascii() and code.isalpha() and pycountry.countries.get(alpha_2=code.upper())):
        raise click.BadParameter(f"{value!r} is not an ISO 3166 country code (two letters, e.g. FR)")
    return code.upper()


def _identifier(number, what: str):
    """A click callback: an optional official number checked by its stdnum module, kept in compact form."""

    def check(ctx, param, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return number.validate(value)
        except NumberInvalid as error:
            raise click.BadParameter(f"{value!r} is not {what}") from error

    return check


def _vat_prefix(country: str) -> str | None:
    # Monaco's businesses have French VAT numbers (P3: France and Monaco share French VAT).
    return "FR" if country in FRENCH_VAT_COUNTRIES else EU_VAT_PREFIXES.get(country)


def _fail(error: operations.AccountError) -> None:
    with force_locale("en"):
        raise click.ClickException(error_message(error.code, **error.params))


@club_cli.command("add")
@click.argument("subdomain")
@click.option("--name", required=True, callback=_column_text("name", required=True), help="The club's legal name.")
@click.option("--email", "structure_email", required=True, help="The club's own e-mail address.")
@click.option("--contact-email", default="", help="A contact's e-mail address (the treasurer's).")
@click.option("--offer", "offer_code", required=True, help="first-price, business, premiere or corporate.")
@click.option("--resources", default=0, type=click.IntRange(0, 999),
              help="Resources activated on the platform (0 to 999).")
@click.option("--password", default=None, help="Initial password (at least 10 characters).")
@click.option("--address", default="", callback=_column_text("address"))
@click.option("--postcode", default="", callback=_column_text("postcode"))
@click.option("--city", default="", callback=_column_text("city"))
@click.option("--country", default="FR", callback=_country, help="ISO 3166 country code.")
@click.option("--siren", default="", callback=_identifier(siren, "a SIREN (9 digits with a valid check digit)"),
              help="SIREN, 9 digits.")
@click.option("--vat-number", default="", callback=_identifier(vat, "a valid EU VAT number (e.g. FR44732829320)"),
              help="Intra-EU VAT number.")
def add_club(subdomain, name, structure_email, contact_email, offer_code, resources, password, **record):
    """Create the customer account of the club at SUBDOMAIN."""
    normalized = login_subdomain(subdomain)
    if normalized is None:
        raise click.BadParameter(f"{subdomain!r} is not a platform subdomain (a-z, 0-9, -; 1 to 63 characters)",
                                 param_hint="SUBDOMAIN")
    structure_email = _email(structure_email, "--email")
    contact_email = _email(contact_email, "--contact-email") if contact_email else ""
    prefix = _vat_prefix(record["country"])
    if record["vat_number"] and not record["vat_number"].startswith(prefix or "\0"):
        raise click.BadParameter(f"{record['vat_number']!r} is not a VAT number of {record['country']}",
                                 param_hint="'--vat-number'")
    try:
        club = operations.add_club(normalized, name, structure_email, offer_code, resources,
                                   contact_email=contact_email, password=password, **record)
    except operations.AccountError as error:
        _fail(error)
    click.echo(f"Club {club.subdomain} created ({club.offer.name}, {club.activated_resources} resources).")


@club_cli.command("resources")
@click.argument("subdomain")
@click.argument("count", type=click.IntRange(min=0))
@click.option("--reason", default="set from the command line")
def club_resources(subdomain, count, reason):
    """Record COUNT activated resources for the club at SUBDOMAIN (the renewal floor)."""
    club = operations.find_club(login_subdomain(subdomain) or "")
    if club is None:
        raise click.ClickException(f"No club with the subdomain {subdomain!r}.")
    operations.set_activated_resources(club, count, "cli", reason)
    click.echo(f"Club {club.subdomain}: {count} activated resources.")


@club_cli.command("password")
@click.argument("subdomain")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def club_password(subdomain, password):
    """Set the password of the club at SUBDOMAIN."""
    club = operations.find_club(login_subdomain(subdomain) or "")
    if club is None:
        raise click.ClickException(f"No club with the subdomain {subdomain!r}.")
    try:
        operations.set_club_password(club, password)
    except operations.AccountError as error:
        _fail(error)
    click.echo(f"Password of {club.subdomain} changed.")


@staff_cli.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def add_staff(email, role, name, password):
    """Create a back-office account for EMAIL."""
    try:
        staff = operations.add_staff(_email(email, "EMAIL"), StaffRole(role), password, name=name)
    except operations.AccountError as error:
        _fail(error)
    click.echo(f"Staff account {staff.email} ({staff.role}) created.")


@outbox_cli.command("send")
@click.option("--limit", default=500, type=click.IntRange(min=1))
def outbox_send(limit):
    """Send the queued e-mails that are due; safe to run from cron on several hosts at once."""
    from .mail.outbox import send_pending
    from .storage import utcnow

    report = send_pending(utcnow(), limit)
    click.echo(f"{report.sent} sent, {report.retrying} to try again later, {report.failed} failed"
               + (" (see `outbox status`)." if report.failed else "."))
    if report.retrying or report.failed:
        raise SystemExit(1)


@outbox_cli.command("status")
@click.option("--limit", default=20, type=click.IntRange(min=0), help="How many of the last failures to list.")
def show_outbox_status(limit):
    """Count the queued e-mails and list the last ones given up (kept, never retried)."""
    from .mail.outbox import outbox_status
    from .storage import utcnow

    status = outbox_status(utcnow(), limit)
    click.echo(f"{status.queued} queued ({status.due} due now), {status.failed} failed.")
    for message in status.recent_failures:
        click.echo(f"failed #{message.id} to {message.recipient} at {message.failed_at:%Y-%m-%d %H:%M} UTC "
                   f"after {message.attempts} tries: {message.last_error}")


@demo_cli.command("load")
def demo_load():
    """Load demo clubs and staff accounts (idempotent) and print the logins."""
    from .demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


def register_cli(app: Flask) -> None:
    from .accounting.cli import export_cli
    from .partners.cli import partner_cli
    from .renewals.cli import renewals_cli
    from .subscriptions.cli import subscription_cli

    for group in (club_cli, staff_cli, outbox_cli, demo_cli, subscription_cli, partner_cli, renewals_cli,
                  export_cli):
        app.cli.add_command(group)
