"""OpenFlyers customer account: the site where aero clubs renew their subscription and pay for it."""
from __future__ import annotations

import functools
import os
import re
from datetime import date
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Flask,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    send_from_directory,
    request,
    session,
    url_for,
)
from flask_babel import (
    format_date,
    format_datetime,
    get_locale,
    lazy_gettext,
)
from flask_limiter.util import get_qualified_name
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from . import assets, i18n
from .accounts import sessions
from .config import DEFAULT_PENALTY_RATE
from .extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate
from .web import apply_body_limit, safe_next

ROOT = Path(__file__).resolve().parent.parent


class Application(Flask):
    """Flask, asking once per function rather than at every call whether a hook or view is a coroutine: a request
    runs a dozen of them, and none is (performance budget)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._callable_as_sync: dict = {}

    def ensure_sync(self, func):
        try:
            return self._callable_as_sync[func]
        except KeyError:
            made = self._callable_as_sync[func] = super().ensure_sync(func)
            return made
        except TypeError:  # a callable that cannot be a key
            return super().ensure_sync(func)


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """No inline script or style anywhere (htmx is a file under /static and reads its config from a meta
    tag); forms post to this site, and may be redirected to the card provider's hosted page (M1)."""
    form_action = " ".join(("'self'", *form_targets))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'; form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; a test passes its own configuration instead of the environment's."""
    app = Application(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        # Pages and static text files compressed for browsers that accept it; downloads streamed as they are made
        # (exports) go as they are.
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_STREAMS=False,
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                            "image/svg+xml", "text/plain"],
    )
    if test_config is not None:
        app.config.update(test_config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Reads outside a use case run in autocommit, as they do on SQLite: no BEGIN and ROLLBACK around every
        # page's query. A use case opens its own READ COMMITTED transaction (transactions.use_case).
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("isolation_level", "AUTOCOMMIT")
    settings.check(app.config)
    hops = int(app.config["PROXY_FIX_X_FOR"])
    if hops > 0:
        # Behind N trusted proxies: the client address (per-IP rate limits, A3) and scheme come from their headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    from .payments.providers import PROVIDERS

    card_provider = PROVIDERS.get(app.config["PAYMENT_PROVIDER"])
    app.config["CONTENT_SECURITY_POLICY"] = content_security_policy(
        card_provider.redirect_origins if card_provider else ())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # First: a view taking large uploads sets its own body limit before anything reads the body.
    app.before_request(apply_body_limit)
    # Before CSRFProtect: a form the browser did not encode as UTF-8 reaches it empty.
    app.before_request(_refuse_unreadable_input)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    app.session_interface = sessions.SignedCookieSessions()
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please sign in to see this page.")
    babel.init_app(app, locale_selector=_select_locale)
    i18n.install(app.jinja_env)
    limiter.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    assets.init_app(app)

    from .web import RowId

    app.url_map.converters["id"] = RowId
    from . import models  # noqa: F401 - every area's models: the metadata Alembic and the tests see is whole
    from .subscriptions import operations as _receivers  # noqa: F401 - they listen to billing's events (R2, R4, R6)
    from .cli import register_cli

    _register_blueprints(app)
    register_cli(app)
    _register_site_routes(app)
    _register_errors(app)
    _register_template_helpers(app)
    _limit_only_limited_views(app)
    app.after_request(_security_headers)
    return app


def _limit_only_limited_views(app: Flask) -> None:
    """The rate limiter's hooks run around the views that have limits (sign-in, password reset, the API), not around
    every request: a signed-in page pays nothing for them (performance budget)."""
    marked = getattr(limiter, "_marked_for_limiting", None)
    hooks = app.before_request_funcs.get(None, [])
    check = limiter._check_request_limit
    if marked is None or check not in hooks:
        return
    limited = {endpoint for endpoint, view in app.view_functions.items() if get_qualified_name(view) in marked}

    def only_for_limited_views(hook):
        @functools.wraps(hook)
        def run_if_limited(*args):
            if request.endpoint in limited:
                return hook(*args)
            return args[0] if args and isinstance(args[0], app.response_class) else None

        return run_if_limited

    hooks[hooks.index(check)] = only_for_limited_views(check)
    # What the limiter does after the view (its headers, its per-request state) only follows its own check.
    for registry in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
        for index, hook in enumerate(registry):
            if getattr(hook, "__self__", None) is limiter or getattr(hook, "args", ())[:1] == (limiter,):
                registry[index] = only_for_limited_views(hook)


#: Each area's blueprint, the modules holding its views, and its URL prefix. The views are imported here,
#: not by the package, so that a service module never drags a blueprint's views (and their imports) in.
AREAS = [
    ("accounts", ("routes",), None),
    ("billing", ("routes",), None),
    ("subscriptions", ("routes", "staff_routes"), None),
    ("partners", ("routes", "staff_routes"), "/partner"),
    ("payments", ("routes", "card_routes"), None),
    ("staff", ("routes", "billing_routes", "payment_routes", "deposit_routes", "statement_routes"), "/staff"),
    ("webhooks", ("routes",), "/webhooks"),
    ("accounting", ("routes", "staff_routes"), None),
    ("api", ("routes",), "/api/v1"),
]


def _register_blueprints(app: Flask) -> None:
    # Every view first: an area may serve pages on another area's blueprint (its staff pages on `staff`).
    for package, view_modules, _prefix in AREAS:
        for module in view_modules:
            import_module(f"{__name__}.{package}.{module}")
    for package, _views, prefix in AREAS:
        app.register_blueprint(import_module(f"{__name__}.{package}").bp, url_prefix=prefix)


def _select_locale() -> str:
    """The visitor's choice, else the browser's preference, else French (the default)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _refuse_unreadable_input():
    """Refuse, with a clear message, a form that is not UTF-8 (it would read as empty) or text carrying NUL
    characters (no database stores them); nothing else sees such input."""
    unreadable = False
    if request.mimetype == "application/x-www-form-urlencoded" and request.content_length:
        try:
            parse_qsl(request.get_data(cache=True).decode("ascii"), encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            unreadable = True
    if not unreadable:
        values = [*request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                values += request.form.values()
            except RequestEntityTooLarge:
                return None  # the view says so in its own words, or the 413 page does
        unreadable = any("\x00" in value for value in values)
    if unreadable:
        return render_template("error.html", status=400, title=lazy_gettext("Unreadable characters"),
                               message=lazy_gettext("Some characters of the form could not be read. Type the "
                                                    "text again, then send the form.")), 400
    return None


def _security_headers(response):
    """The headers every answer carries, unless the view set its own (a page posting to the card provider)."""
    headers = response.headers
    present = set(headers.keys(lower=True))
    for name, value in (("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"]),
                        *_SECURITY_HEADERS):
        if name.lower() not in present:
            headers.add(name, value)
    if "cache-control" not in present and request.endpoint and request.endpoint != "static":
        # Account pages are private: never kept by a shared cache.
        headers.add("Cache-Control", "no-store")
    return response


_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                     ("Referrer-Policy", "same-origin"))


def _register_site_routes(app: Flask) -> None:
    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        """Liveness and database check for the load balancer."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any database failure means "not ready"
            db.session.rollback()
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    @app.post("/language")
    def set_language():
        """Remember the visitor's language and go back to the page they were on."""
        language = request.form.get("language", "")
        if language in app.config["LANGUAGES"]:
            session["language"] = language
            if current_user.is_authenticated and hasattr(current_user, "language"):
                from .accounts.operations import choose_language

                # A club or a partner gets its e-mails in the language it reads the site in (R8, K5).
                choose_language(current_user._get_current_object(), language)
        return redirect(_page_to_come_back_to(app, request.form.get("next")))

    @app.get("/favicon.ico")
    @limiter.exempt
    def favicon():
        """For the browsers and tools that ask for /favicon.ico whatever the page says."""
        return send_from_directory(app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


def _home() -> str:
    """Where a person lands when there is no page to go back to: the home of their area."""
    if current_user.is_authenticated and current_user.is_staff:
        return url_for("staff.home")
    if current_user.is_authenticated and current_user.is_partner:
        return url_for("partner.clients")
    return url_for("accounts.dashboard")


def _page_to_come_back_to(app: Flask, target: str | None) -> str:
    """`target` when it is a page of this site a GET can show; else the person's home (no 405 after a form)."""
    path = safe_next(target, "")
    if not path:
        return _home()
    try:
        app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except HTTPException:
        return _home()
    return path


def _register_errors(app: Flask) -> None:
    def page(status: int, title, message):
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, lazy_gettext("The form has expired"),
                    lazy_gettext("For your security the form could not be accepted. Go back, reload the page "
                                 "and submit it again."))

    @app.errorhandler(400)
    def bad_request(error):
        return page(400, lazy_gettext("Bad request"), lazy_gettext("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, lazy_gettext("Not allowed"), lazy_gettext("Your account does not give access to this page."))

    @app.errorhandler(404)
    def not_found(error):
        return page(404, lazy_gettext("Page not found"),
                    lazy_gettext("This page does not exist or is not available to you."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, lazy_gettext("Not allowed"), lazy_gettext("This action is not available here."))

    @app.errorhandler(413)
    def too_large(error):
        return page(413, lazy_gettext("File too large"), lazy_gettext("What you sent is too large."))

    @app.errorhandler(429)
    def too_many(error):
        return page(429, lazy_gettext("Too many attempts"),
                    lazy_gettext("Too many attempts in a short time. Wait a few minutes, then try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return page(500, lazy_gettext("Something went wrong"),
                    lazy_gettext("Nothing was changed. Please try again in a moment."))


#: An amount or a count with decimals as the audit log stores it ("576.00"), and an ISO day ("2026-12-07").
_DECIMAL = re.compile(r"-?[0-9]{1,15}\.[0-9]{1,6}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _register_template_helpers(app: Flask) -> None:
    from .messages import (
        AUDIT_AMOUNTS,
        audit_action_label,
        audit_detail_label,
        renewal_message_label,
        renewal_stage_label,
    )

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["audit_action_label"] = audit_action_label
    app.jinja_env.globals["audit_detail_label"] = audit_detail_label
    app.jinja_env.globals["renewal_message_label"] = renewal_message_label
    app.jinja_env.globals["renewal_stage_label"] = renewal_stage_label

    @app.template_filter("audit_value")
    def audit_value(value, key: str = "") -> str:
        """An audit detail as staff read it: lists joined, yes/no for booleans, before -> after for changes, amounts
        and dates in the reader's language (K4)."""
        if isinstance(value, bool):
            return str(lazy_gettext("yes") if value else lazy_gettext("no"))
        if isinstance(value, list):
            return ", ".join(audit_value(item, key) for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{audit_detail_label(name)} = {audit_value(item, name)}" for name, item in value.items())
        if value is None:
            return ""
        text = str(value)
        if _DECIMAL.fullmatch(text):
            number = Decimal(text)
            return i18n.money(number) if key in AUDIT_AMOUNTS else i18n.decimal(number)
        if _ISO_DAY.fullmatch(text):
            try:
                return format_date(date.fromisoformat(text))
            except ValueError:
                return text
        return text

    @app.template_filter("country")
    def country(code: str) -> str:
        """A country's name in the reader's language, from its ISO code ("DE": "Allemagne")."""
        return get_locale().territories.get((code or "").upper(), code or "")

    @app.template_global()
    def penalty_rate(rate: str) -> str:
        """The late-payment penalty rate printed on an invoice, in the reader's language when it is the default."""
        if rate != DEFAULT_PENALTY_RATE:
            return rate
        return str(lazy_gettext("three times the French legal interest rate in force"))

    @app.template_filter("percent")
    def percent(value) -> str:
        return i18n.decimal(value)

    @app.template_filter("money")
    def money(amount, currency: str = "EUR") -> str:
        return i18n.money(amount, currency)

    @app.template_filter("date")
    def date_filter(value, style: str = "medium") -> str:
        if not value:
            return ""
        return i18n.day(value, style) if type(value) is date else format_date(value, style)

    @app.template_filter("datetime")
    def datetime_filter(value, style: str = "medium") -> str:
        return format_datetime(value, style) if value else ""

    @app.context_processor
    def site_context():
        return {"languages": app.config["LANGUAGES"], "current_language": i18n.locale_name()}
