"""One use case, one transaction: services commit here and nowhere else."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

P = ParamSpec("P")
T = TypeVar("T")

#: True while a use case runs: on SQLite its transaction takes the write lock from the start.
_writing: ContextVar[bool] = ContextVar("writing", default=False)


def use_case(func: Callable[P, T]) -> Callable[P, T]:
    """Run a service function in one transaction: all of it is written, or nothing."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if _writing.get():
            return func(*args, **kwargs)  # called from another use case: part of its transaction
        if db.session().in_transaction():
            # The view's reads end here; the use case reads again inside its own transaction.
            db.session.rollback()
        token = _writing.set(True)
        try:
            if db.session.get_bind().dialect.name == "postgresql":
                # The engine reads in autocommit; a use case is one transaction.
                db.session.connection(execution_options={"isolation_level": "READ COMMITTED"})
            result = func(*args, **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _writing.reset(token)
        from .mail.outbox import send_queued_by_this_use_case

        send_queued_by_this_use_case()
        return result

    return wrapper


@contextmanager
def streaming_read() -> Iterator[Connection]:
    """A connection of its own for a long read streamed in chunks (yield_per): PostgreSQL keeps the server-side cursor
    only inside a transaction, and the app's engine reads in autocommit there. The whole read sees one snapshot."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


@event.listens_for(Engine, "connect")
def _sqlite_connection(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Use cases emit BEGIN themselves (below); the driver's implicit BEGIN would be DEFERRED.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite" and _writing.get():
        # A writer takes the lock at BEGIN: two writers queue up instead of deadlocking on upgrade.
        # Reads stay in autocommit, as the driver leaves them, and always see the last commit.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
