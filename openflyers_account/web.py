"""What every page shares: who is signed in, page-or-fragment rendering, safe redirects, errors."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.orm.util import identity_key
from werkzeug.local import LocalProxy
from werkzeug.routing import IntegerConverter

from .accounts import facts, sessions
from .accounts.models import Club, StaffUser
from .driver_reads import DriverRead
from .extensions import db, login_manager
from .partners.models import Partner


@login_manager.user_loader
def load_user(user_id: str) -> Club | StaffUser | Partner | None:
    """The account a session speaks for, and whether that session was signed out, in one read; a club's with the
    facts its pages ask about it (U4)."""
    g.club_facts = None
    kind, _, rest = user_id.partition(":")
    account_id = rest.partition(":")[0] if kind in ("club", "partner") else rest
    if kind not in _ACCOUNTS or not (account_id.isdigit() and len(account_id) < 10):
        return None
    row = _account_read(kind).first(db.engine, db.session, id=int(account_id), sid=sessions.session_id())
    if row is None:
        return None
    signed_out = row.pop("signed_out")
    club_facts = facts.taken_from(row) if kind == "club" else None
    account = _loaded(_ACCOUNTS[kind], row)
    if kind == "staff" and not account.active:
        return None
    # A session opened before the last password change is over (A2).
    if kind != "staff" and account.get_id() != user_id:
        return None
    # A session signed out, on every device or long idle is over, even from a copy of its cookie.
    if not sessions.is_open(account, signed_out):
        return None
    g.club_facts = (kind, account.id, club_facts)
    return _in_session(account)


_ACCOUNTS: dict[str, type] = {"club": Club, "partner": Partner, "staff": StaffUser}


@functools.cache
def _account_read(kind: str) -> DriverRead:
    """The account of a kind by id, with whether the session id was signed out. A club's offer comes only to the
    few pages that ask for it."""
    table = _ACCOUNTS[kind].__table__
    club_facts = facts.columns(table.c.id) if kind == "club" else []
    return DriverRead(select(*table.columns, sessions.signed_out(bindparam("sid")), *club_facts)
                      .where(table.c.id == bindparam("id")))


@functools.cache
def _attributes(model: type) -> tuple[tuple[str, str], ...]:
    """Each mapped attribute of `model` with the name of its column."""
    return tuple((attribute.key, attribute.columns[0].name) for attribute in inspect(model).column_attrs)


def _loaded(model: type, row: dict) -> Club | StaffUser | Partner:
    """An instance of `model` holding `row`'s values as the ORM's own loading does: straight into the instance's
    state, without the constructor's change tracking (a loaded row has no changes)."""
    account = inspect(model).class_manager.new_instance()
    instance_dict(account).update((key, row[name]) for key, name in _attributes(model))
    return account


def _in_session(account: Club | StaffUser | Partner) -> Club | StaffUser | Partner:
    """`account`, read without the ORM, as the request's session holds it: as if the session had loaded it (its
    relationships load when asked); the instance the session holds already, when it has one."""
    held = db.session.identity_map.get(identity_key(type(account), account.id))
    if held is not None:
        return held
    make_transient_to_detached(account)
    db.session.add(account)
    return account


def signed_in_club() -> Club:
    """The signed-in club itself (not a proxy), in views decorated with `club_required`: each attribute read through
    the proxy looks the account up again."""
    return cast(Club, current_user._get_current_object())


#: The signed-in club, in views decorated with `club_required`.
current_club: Club = cast(Club, LocalProxy(signed_in_club))


def signed_in_club_facts() -> facts.ClubFacts | None:
    """What the signed-in club's pages ask about it, read with its account (accounts.facts); None for anyone else."""
    read = g.get("club_facts")
    account = current_user._get_current_object()
    # The facts of the account signed in now, not of one this request replaced.
    if read is None or not isinstance(account, Club) or read[:2] != ("club", account.id):
        return None
    return read[2]


def signed_in_staff() -> StaffUser:
    """The signed-in staff member itself (not a proxy), for services and the audit log."""
    return cast(StaffUser, current_user._get_current_object())


def _signed_in_as(model: type) -> bool:
    return current_user.is_authenticated and isinstance(current_user._get_current_object(), model)


def to_sign_in(endpoint: str) -> Response:
    """Off to a sign-in page, keeping the page asked for. An htmx request gets an HX-Redirect to it, back to the page
    the person was on: the whole page goes, instead of the sign-in page landing inside a fragment (a session that
    ended while idle)."""
    if request.headers.get("HX-Request") == "true":
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        page = safe_next(current.path + (f"?{current.query}" if current.query else ""), "")
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for(endpoint, next=page) if page else url_for(endpoint)
        return response
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?")))


def club_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view is for a signed-in club; anyone else goes to the club sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _signed_in_as(Club):
            return to_sign_in("accounts.login")
        return view(*args, **kwargs)

    return wrapper


def partner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view is for a signed-in partner; anyone else goes to the partner sign-in page (B1)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _signed_in_as(Partner):
            return to_sign_in("partner.login")
        return view(*args, **kwargs)

    return wrapper


def payer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view is for whoever pays invoices: a club, or a partner for what it bought (M1-M3, B3)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not (_signed_in_as(Club) or _signed_in_as(Partner)):
            return to_sign_in("accounts.login")
        return view(*args, **kwargs)

    return wrapper


#: The signed-in club or partner, in views decorated with `payer_required`.
current_payer = cast(Club | Partner, LocalProxy(lambda: current_user._get_current_object()))


def signed_in_partner() -> Partner:
    """The signed-in partner itself (not a proxy), for services and the audit log."""
    return cast(Partner, current_user._get_current_object())


def staff_required(view: Callable[..., Any] | None = None, *, admin: bool = False) -> Any:
    """The view is for signed-in staff (admins only with admin=True), rule A5."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or not current_user.is_staff:
                return to_sign_in("staff.login")
            if admin and not current_user.is_admin:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def safe_next(target: str | None, default: str) -> str:
    """A local path to go to after sign-in; anything pointing elsewhere falls back to `default`."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails: on SITE_URL when set, else on the host the request came to."""
    site = current_app.config.get("SITE_URL")
    if has_request_context() and not site:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(site or f"http://127.0.0.1:{current_app.config.get('PORT', 5000)}")
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def pdf_download(content: bytes, filename: str, etag: str | None = None) -> Response:
    """A PDF offered as a file to save, under its document number."""
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if etag:
        response.headers["ETag"] = etag
    return response


def render_page(template: str, block: str | None = None, status: int = 200, fragment: bool = False,
                **context: Any) -> Response:
    """The whole page, or only the named `block` for an HTMX request (or always with `fragment`).

    Only a block a view names is ever rendered alone: any other page answers an HTMX request whole,
    since a block rendered alone does not see the macros its template imports at the top.
    """
    wants_fragment = request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")
    if block is not None and (fragment or wants_fragment):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


class RowId(IntegerConverter):
    """`<id:name>` in a URL: a row id the database can hold (1 to 2**31 - 1); anything else is a 404, never a
    query that fails."""

    def __init__(self, url_map, **kwargs) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


#: The highest page number a list accepts: beyond, the list is empty anyway.
MAX_PAGE = 100_000


def requested_page() -> int:
    """The `page` of the query string as a page number from 1 to MAX_PAGE (a larger one is past the end of any list,
    an empty page); anything not a number is the first page (U4)."""
    text = request.args.get("page", "")
    if not re.fullmatch(r"[0-9]+", text):
        return 1
    return MAX_PAGE if len(text) > 6 else min(max(int(text), 1), MAX_PAGE)


def larger_body(limit: Callable[[], int]):
    """Let a view take a body larger than MAX_CONTENT_LENGTH (an uploaded bank statement): `limit()` is set as the
    request's limit before anything, a hook or the CSRF check, reads the body."""

    def decorate(view):
        view.body_limit = limit
        return view

    return decorate


def apply_body_limit() -> None:
    """Before every other hook: the body limit of the view about to answer, if it has its own. Only staff get it:
    nobody else may make the server read a body that large."""
    limit = getattr(current_app.view_functions.get(request.endpoint or ""), "body_limit", None)
    if limit is not None and current_user.is_authenticated and getattr(current_user, "is_staff", False):
        request.max_content_length = limit()


def needs_confirmation() -> bool:
    """True until the person said yes on the confirmation page: the same form posted again with `confirmed=1`."""
    return request.form.get("confirmed") != "1"


def confirmation_page(*, title: str, consequences: list[str], action: str, back: str, base: str) -> Response:
    """Ask before an action that cannot be undone (a credit note, a reversal, a cancellation), saying what will
    happen. A page, not a script: "yes" posts the same fields again, confirmed; "no" goes back (U1)."""
    carried = [(name, value) for name, value in request.form.items(multi=True)
               if name not in ("csrf_token", "confirmed")]
    return render_page("confirm.html", base=base, title=title, consequences=consequences, action=action,
                       back=back, carried=carried, target=request.path)
