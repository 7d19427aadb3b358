"""Operator commands: `flask partner add|link` bring partners in from the shell (O2, B1).

Bad arguments get a one-line reason and exit status 2, with nothing written.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from wtforms import ValidationError

from ..command_line import OneLineErrors
from ..domain.accounts import login_subdomain
from ..errors import UserError
from ..forms import normalized_email
from ..messages import error_message
from . import operations, queries

partner_cli = AppGroup("partner", help="Manage partners: resellers, integrators, federations.")

#: The reason kept with a discount given from the shell.
SHELL_REASON = "set with flask partner add"


def _email(value: str) -> str:
    with force_locale("en"):
        try:
            return normalized_email(value.strip())
        except ValidationError as error:
            raise click.BadParameter(f"{value!r}: {error}", param_hint="EMAIL") from error


def _percent(ctx, param, value: str) -> Decimal:
    try:
        percent = Decimal(value.replace(",", "."))
    except InvalidOperation as error:
        raise click.BadParameter(f"{value!r} is not a percentage") from error
    if not percent.is_finite() or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
        raise click.BadParameter(f"{value!r} is not a percentage from 0 to 100, to the hundredth")
    return percent


def _refused(error: UserError) -> click.UsageError:
    with force_locale("en"):
        return click.UsageError(error_message(error.code, **error.params))


@partner_cli.command("add", cls=OneLineErrors)
@click.argument("email")
@click.option("--name", required=True, help="The partner's legal name.")
@click.option("--discount", "discount", default="0", callback=_percent, help="Partner discount in percent (B1).")
@click.option("--password", default=None, help="Initial password (at least 10 characters).")
def add_partner(email, name, discount, password):
    """Create the account of the partner signing in with EMAIL."""
    name = name.strip()
    if not name or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="'--name'")
    try:
        partner = operations.add_partner(_email(email), name, "cli", discount, SHELL_REASON if discount else "",
                                         password=password)
    except UserError as error:
        raise _refused(error) from error
    click.echo(f"Partner {partner.email} created ({partner.name}, {partner.discount_percent} % discount).")


@partner_cli.command("link", cls=OneLineErrors)
@click.argument("email")
@click.argument("subdomain")
def link_club(email, subdomain):
    """The partner signing in with EMAIL manages the club at SUBDOMAIN from now on (B1)."""
    partner = queries.partner_by_email(email)
    if partner is None:
        raise click.BadParameter(f"no partner signs in with {email!r}", param_hint="EMAIL")
    try:
        moved = operations.link_club(partner.id, login_subdomain(subdomain) or subdomain, "cli")
    except UserError as error:
        raise _refused(error) from error
    click.echo(f"{partner.email} manages {subdomain} {'from now on' if moved else 'already'}.")
