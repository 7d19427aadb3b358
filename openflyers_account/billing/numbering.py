"""Gapless, chronological document numbers, taken in the issuing transaction (rule I1)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.numbering import Series, format_number
from ..extensions import db
from .models import NumberSequence


class NumberingOutOfOrder(RuntimeError):
    """A number would carry an earlier date than the last one of its series (I1)."""


def take_number(series: Series, day: date) -> str:
    """The next invoice or credit-note number for `day`'s year (I1)."""
    return format_number(series, day.year, next_in_sequence(series.value, day))


def next_in_sequence(series: str, day: date) -> int:
    """The next number of a gapless yearly sequence (invoices, credit notes, deposit slips), rolled back
    with the transaction if it fails.

    The sequence row stays locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: the
    use case holds the write lock), so two issuers never get the same number and a failed issue
    leaves no gap.
    """
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NumberSequence).values(series=series, year=day.year, last_number=0).on_conflict_do_nothing()
    )
    sequence = db.session.scalars(
        select(NumberSequence)
        .where(NumberSequence.series == series, NumberSequence.year == day.year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if sequence.last_date is not None and day < sequence.last_date:
        raise NumberingOutOfOrder(f"{series}-{day.year}: {day} is before {sequence.last_date}")
    sequence.last_number += 1
    sequence.last_date = day
    db.session.flush()
    return sequence.last_number
