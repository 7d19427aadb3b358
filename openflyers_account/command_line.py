"""What the operator commands share: an argument refused is one line, `Error: ...`, and exit status 2 (O2)."""
from __future__ import annotations

import click


class OneLineUsageError(click.UsageError):
    """A usage error said in one line, exit status 2."""

    def show(self, file=None) -> None:
        # Click puts a missing choice's options on lines of their own; an operator's log keeps one line per error.
        click.echo(f"Error: {' '.join(self.format_message().split())}", err=True)


class OneLineErrors(click.Command):
    """A command whose argument errors, click's own and ours, are one line each."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise OneLineUsageError(error.format_message(), error.ctx) from error

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise OneLineUsageError(error.format_message(), ctx) from error
