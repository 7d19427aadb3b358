"""The reader's language, looked up once per request: flask-babel looks the locale and the catalogue up again for
every string a template translates and every amount it formats (performance budget).

Both are kept on flask-babel's own request context, which `force_locale` empties and restores: a document printed
in French inside an English page still reads French.
"""
from __future__ import annotations

import functools
from datetime import date

from babel import dates, numbers, support
from flask.globals import _cv_app
from jinja2 import pass_eval_context
from markupsafe import Markup
from flask_babel import get_locale, get_translations
from wtforms.i18n import messages_path


def _context():
    # The application context itself, not `g` through its proxy: templates ask for every string they translate.
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    context = app_context.g.__dict__.get("_flask_babel")
    if context is None:
        get_locale()  # flask-babel makes its context as it resolves the locale
        context = app_context.g.__dict__.get("_flask_babel")
    return context


def translations() -> support.NullTranslations:
    """The catalogue of the language the page is read in."""
    context = _context()
    if context is None:
        return get_translations()
    found = getattr(context, "babel_translations", None)
    if found is None:
        found = context.babel_translations = get_translations()
    return found


def locale_name() -> str:
    """The reader's locale as Babel names it ("fr", "en")."""
    context = _context()
    locale = (getattr(context, "babel_locale", None) if context is not None else None) or get_locale()
    known = getattr(context, "locale_name", None) if context is not None else None
    if known is None or known[0] is not locale:
        known = (locale, str(locale))
        if context is not None:
            context.locale_name = known
    return known[1]


def gettext(text: str, **variables) -> str:
    """`text` in the reader's language, formatted with `variables` when there are any (as flask-babel's)."""
    translated = translations().ugettext(text)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    """The form for `n` in the reader's language, formatted with `num` and `variables` (as flask-babel's)."""
    variables.setdefault("num", n)
    return translations().ungettext(singular, plural, n) % variables


def money(amount, currency: str = "EUR") -> str:
    """An amount as the reader writes it ("576,00 €")."""
    return _money_in(amount, currency, locale_name())


def decimal(number) -> str:
    """A number as the reader writes it ("12,5")."""
    return _decimal_in(number, locale_name())


def day(value: date, style: str = "medium") -> str:
    """A day as the reader writes it ("7 déc. 2026", or "7 décembre 2026" in the long style)."""
    return _day_in(value, style, locale_name())


# Kept per process: a page prints the same few amounts, numbers and days again and again, and Babel's formatting
# was most of the live estimate's rendering time.
@functools.lru_cache(maxsize=4096)
def _money_in(amount, currency: str, locale: str) -> str:
    return numbers.format_currency(amount, currency, locale=locale)


@functools.lru_cache(maxsize=1024)
def _decimal_in(number, locale: str) -> str:
    return numbers.format_decimal(number, locale=locale)


@functools.lru_cache(maxsize=4096)
def _day_in(value: date, style: str, locale: str) -> str:
    return dates.format_date(value, style, locale=locale)


def install(jinja_env) -> None:
    """Templates translate through the request's catalogue, looked up once.

    `_`, `gettext` and `ngettext` do what Jinja's new-style callables do (escape the translation when the template
    autoescapes, then always format it with the variables given), called directly rather than through three
    `Context.call`s each: a page translates dozens of strings."""
    # The extension needs gettext and ngettext to set up `{% trans %}`; the globals below then take their place.
    jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


@pass_eval_context
def _template_gettext(eval_context, text: str, /, **variables) -> str:
    if not variables:
        return _plain_text(translations(), text, eval_context.autoescape)
    translated = translations().ugettext(text)
    if eval_context.autoescape:
        translated = Markup(translated)
    return translated % variables


@functools.lru_cache(maxsize=4096)
def _plain_text(catalogue: support.NullTranslations, text: str, autoescape: bool) -> str:
    """A string without variables as a template shows it, per catalogue: its labels and headings come back at
    every request."""
    translated = catalogue.ugettext(text)
    return (Markup(translated) if autoescape else translated) % {}


@pass_eval_context
def _template_ngettext(eval_context, singular: str, plural: str, n: int, /, **variables) -> str:
    translated = translations().ungettext(singular, plural, n)
    if eval_context.autoescape:
        translated = Markup(translated)
    variables.setdefault("num", n)
    return translated % variables


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages in the reader's language, each language's catalogue read once per process (Flask-WTF
    reads it from disk at every request)."""

    def gettext(self, text: str) -> str:
        return _wtforms_catalogue(locale_name()).ugettext(text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(locale_name()).ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()
