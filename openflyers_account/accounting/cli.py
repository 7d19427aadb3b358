"""`flask export fec --from DATE --to DATE [--output FILE]`: the FEC for the accountant (K3)."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from . import exports

export_cli = AppGroup("export", help="Export the journals for the accountant.")


def _day(ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2026-01-31") from None


@export_cli.command("fec")
@click.option("--from", "start", required=True, callback=_day, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, callback=_day, help="Last day (the closing date), YYYY-MM-DD.")
@click.option("--output", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="File or folder to write (the folder gets <SIREN>FEC<YYYYMMDD>.txt); standard output if absent.")
def export_fec(start: date, end: date, output: Path | None):
    """The sales and bank journals from --from to --to as a FEC (LPF article A47 A-1)."""
    if start > end:
        raise click.BadParameter("--from must be on or before --to", param_hint="--from")
    if output is None:
        for chunk in exports.fec_file(start, end):
            sys.stdout.buffer.write(chunk)
        return
    target = output / exports.fec_name(end) if output.is_dir() else output
    lines = 0
    with target.open("wb") as file:
        for chunk in exports.fec_file(start, end):
            file.write(chunk)
            lines += 1
    click.echo(f"{target}: {lines - 1} lines from {start} to {end}")
