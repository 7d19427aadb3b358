"""Reads the site runs on nearly every request, compiled once per process and run on the database driver itself.

SQLAlchemy's work around one execution (cache key, execution context, ORM loading, the session's transaction) costs
about ten times the statement on SQLite; for the one read every signed-in request makes, that was most of the
request (performance budget). A `DriverRead` is still built with SQLAlchemy, compiled for the engine's dialect, and
its values go through the columns' own result types, so it reads exactly what the ORM would.

It runs on a pooled connection of its own, returned before the view runs: a read-only statement outside the
request's transaction, like the ORM's reads on PostgreSQL (autocommit).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

#: Called with each statement a DriverRead runs and its parameters: the seam tests count statements with.
listeners: list[Callable[[str, Any], None]] = []


class DriverRead:
    """One SELECT without expanding parameters (no `in_`), compiled per dialect on first use. `first(engine,
    session, **values)` is its first row as a dict keyed by the selected columns' names, or None; it runs on a
    connection of its own from the engine's pool, not in the session's transaction."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        #: Per dialect: the SQL, how to bind its values, and the columns' result processors once known.
        self._compiled: dict[tuple[str, str], list] = {}

    def _for(self, engine: Engine):
        dialect = engine.dialect
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            names = list(compiled.positiontup or ()) if compiled.positional else None
            # Values as the driver takes them: an enum as the name the column stores.
            processors = [(name, process) for name, bind in compiled.binds.items()
                          if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None]

            def parameters(values: Mapping) -> Any:
                bound = compiled.construct_params(dict(values))
                for name, process in processors:
                    if bound.get(name) is not None:
                        bound[name] = process(bound[name])
                return [bound[name] for name in names] if names is not None else bound

            found = self._compiled[key] = [str(compiled), parameters, None]
        return found

    def _columns(self, engine: Engine, description) -> list[tuple[str, Callable | None]]:
        """Each column's name and result processor, for the types the driver says it returns (psycopg's numerics)."""
        dialect = engine.dialect
        return [(column.name, column.type.dialect_impl(dialect).result_processor(dialect, described[1]))
                for column, described in zip(self.statement.selected_columns, description, strict=True)]

    def first(self, engine: Engine, session: Session, **values: Any) -> dict[str, Any] | None:
        if isinstance(engine.pool, StaticPool):
            # One connection shared by everything (in-memory SQLite): returning a second checkout of it would roll
            # back the session's transaction.
            return self._through_sqlalchemy(session, values)
        compiled = self._for(engine)
        sql, parameters, columns = compiled
        bound = parameters(values)
        for listener in listeners:
            listener(sql, bound)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, bound)
                row = cursor.fetchone()
                if columns is None:
                    columns = compiled[2] = self._columns(engine, cursor.description)
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error:
            # A connection the server dropped (a restart, a failover), or any other failure: this one is thrown away
            # and the read runs again through SQLAlchemy, which tells a lost server from a bad statement, renews the
            # whole pool on the first and raises its own errors, as any other query of the request would.
            connection.invalidate()
            return self._through_sqlalchemy(session, values)
        finally:
            connection.close()
        if row is None:
            return None
        return {name: process(value) if process is not None and value is not None else value
                for (name, process), value in zip(columns, row, strict=True)}

    def _through_sqlalchemy(self, session: Session, values: Mapping) -> dict[str, Any] | None:
        row = session.execute(self.statement, dict(values)).mappings().first()
        return dict(row) if row is not None else None
