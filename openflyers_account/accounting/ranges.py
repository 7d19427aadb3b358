"""The range of dates a statement or an export covers, as asked in the query string (K2, K3)."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _

#: Dates outside these are typing mistakes, not accounts anyone keeps.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def requested_range(start: date, end: date) -> tuple[date, date, str | None]:
    """`from` and `to` (ISO dates) of the query string, each defaulting to the one given; with an error in words,
    the defaults come back instead."""
    chosen = {"from": start, "to": end}
    for name in chosen:
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None or not EARLIEST <= day <= LATEST:
            return start, end, _("Enter the dates as on a calendar, such as 2026-01-31.")
        chosen[name] = day
    if chosen["from"] > chosen["to"]:
        return start, end, _("The range must start before it ends.")
    return chosen["from"], chosen["to"], None
