"""One use case, one transaction: services commit here and nowhere else."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app

from .extensions import db

P = ParamSpec("P")
T = TypeVar("T")


def use_case(func: Callable[P, T]) -> Callable[P, T]:
    """Run a service function in one transaction: all of it is written, or nothing."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            result = func(*args, **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        if current_app.config.get("MAIL_SEND_IMMEDIATELY"):
            from .mail.outbox import send_pending

            send_pending()
        return result

    return wrapper
