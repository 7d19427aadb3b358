"""The accountant's exports in the back office (K3): a date range, then the FEC or the CSV, streamed."""
from __future__ import annotations

from datetime import date

from flask import Response, request, stream_with_context

from ..staff import bp
from ..web import render_page, staff_required
from . import exports
from .ranges import requested_range


@bp.get("/exports")
@staff_required
def exports_page():
    """Choose a range, then download its FEC or its journals as CSV (K3)."""
    # The previous calendar year, the one closed last, unless asked otherwise.
    year = date.today().year - 1
    start, end, error = requested_range(date(year, 1, 1), date(year, 12, 31))
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
