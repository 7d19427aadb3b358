"""Gapless, chronological document numbers, taken in the issuing transaction (rule I1)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update
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

    One UPDATE takes the number and locks the sequence row until the transaction ends (PostgreSQL:
    the row lock; SQLite: the use case holds the write lock), so two issuers never get the same number
    and a failed issue leaves no gap.
    """
    taken = db.session.execute(
        update(NumberSequence)
        .where(NumberSequence.series == series, NumberSequence.year == day.year,
               or_(NumberSequence.last_date.is_(None), NumberSequence.last_date <= day))
        .values(last_number=NumberSequence.last_number + 1, last_date=day)
        .returning(NumberSequence.last_number)
        # The pending objects of the transaction have nothing to do with the number: they are written later.
        .execution_options(synchronize_session=False, autoflush=False)
    ).scalar()
    if taken is not None:
        return taken
    last_date = db.session.scalar(select(NumberSequence.last_date).where(NumberSequence.series == series,
                                                                         NumberSequence.year == day.year))
    if last_date is not None:
        raise NumberingOutOfOrder(f"{series}-{day.year}: {day} is before {last_date}")
    # The year's first number: two issuers may both insert the row; one insert counts, and both take a number.
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NumberSequence).values(series=series, year=day.year, last_number=0).on_conflict_do_nothing()
    )
    return next_in_sequence(series, day)
