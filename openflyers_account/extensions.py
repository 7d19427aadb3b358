"""Flask extensions, created once here and bound in `create_app` with `init_app`."""
from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class SessionLogins(LoginManager):
    """Flask-Login without its own session protection. Each session carries an id the server can end
    (accounts.sessions), which covers what its "basic" protection did (a cookie used from another browser loses
    its freshness, which no page asks for) and more; that check hashed the address and browser of every request."""

    def _session_protection_failed(self) -> bool:
        return False


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = SessionLogins()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
compress = Compress()
# Per-IP limits by default; views add per-identifier limits of their own (rule A3).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
