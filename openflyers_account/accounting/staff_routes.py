"""The accountant's exports in the back office (K3): a date range, then the FEC or the CSV, streamed."""
from __future__ import annotations

from datetime import date

from flask import Response, request, stream_with_context
from flask_babel import gettext as _

from ..staff import bp
from ..web import render_page, staff_required
from . import exports


def _range() -> tuple[date, date, str | None]:
    """`from` and `to` from the query string; by default the previous calendar year, the one closed last."""
    year = date.today().year - 1
    start, end, error = date(year, 1, 1), date(year, 12, 31), None
    for name in ("from", "to"):
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            return start, end, _("Enter the dates as on a calendar, such as 2026-01-31.")
        start, end = (day, end) if name == "from" else (start, day)
    if start > end:
        return date(year, 1, 1), date(year, 12, 31), _("The export must start before it ends.")
    return start, end, error


@bp.get("/exports")
@staff_required
def exports_page():
    """Choose a range, then download its FEC or its journals as CSV (K3)."""
    start, end, error = _range()
    kind = request.args.get("format", "")
    if error or kind not in ("fec", "csv"):
        return render_page("accounting/exports.html", start=start, end=end, error=error,
                           filename=exports.fec_name(end), status=422 if error else 200)
    if kind == "fec":
        body, mimetype, filename = exports.fec_file(start, end), "text/plain", exports.fec_name(end)
    else:
        body, mimetype, filename = exports.journals_csv(start, end), "text/csv", \
            f"journaux-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
