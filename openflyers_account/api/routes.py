"""`/api/v1/platforms/<subdomain>/resources` (S1): the platform reports its activated resources, and reads them.

JSON in and out; errors are `{"error": code, "message": ...}`: 401 for a missing or wrong token and, alike, for
an unknown platform; 422 for a body or value that is not one; 429 past the rate limit.
"""
from __future__ import annotations

from datetime import date

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..accounts.operations import set_activated_resources
from ..extensions import csrf, limiter
from ..subscriptions.overview import club_overview
from . import bp
from .openapi import OPENAPI
from .operations import platform_club

#: The most resources a platform may report; more is a bug on its side, not a club.
MAX_RESOURCES = 100_000


def _error(status: int, code: str, message: str):
    response = jsonify(error=code, message=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="openflyers-platform"'
    return response


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _limit_key() -> str:
    # Per address and platform: requests from elsewhere, a wrong token's included, never use up the platform's own.
    return f"api:{request.remote_addr}:{(request.view_args or {}).get('subdomain', '')[:63]}"


def _token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _state(club) -> dict:
    return {"subdomain": club.subdomain, "activated_resources": club.activated_resources,
            "subscribed_resources": club_overview(club, date.today()).subscribed_resources}


@bp.route("/platforms/<subdomain>/resources", methods=["GET", "PUT"])
@csrf.exempt
@limiter.limit(_api_limit, key_func=_limit_key)
def resources(subdomain: str):
    """GET: the activated and subscribed resources. PUT `{"activated_resources": N}`: report the count (S1)."""
    token = _token()
    club = platform_club(subdomain, token) if token else None
    if club is None:
        return _error(401, "unauthorized", _("A valid token of this platform is needed (Authorization: Bearer ...)."))
    if request.method == "GET":
        return jsonify(_state(club))
    body = request.get_json(silent=True, cache=False)
    if not isinstance(body, dict) or set(body) != {"activated_resources"}:
        return _error(422, "invalid_body", _('Send a JSON object {"activated_resources": N} and nothing else.'))
    count = body["activated_resources"]
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_RESOURCES:
        return _error(422, "invalid_value", _("activated_resources is a whole number from 0 to %(maximum)d.",
                                              maximum=MAX_RESOURCES))
    set_activated_resources(club, count, "platform")
    return jsonify(_state(club))


@bp.get("/openapi.json")
def openapi():
    """The API's description, OpenAPI 3.1."""
    return jsonify(OPENAPI)


#: The errors the site answers with a page, which the API answers in JSON: before the site's own handlers.
_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}


def api_error(error: HTTPException):
    """Every error of the API in JSON, rate limits included."""
    return _error(error.code or 500, _CODES.get(error.code, "error"), error.description or error.name)


for _code in _CODES:
    bp.register_error_handler(_code, api_error)
