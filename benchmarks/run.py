"""`make bench`: every figure of the performance budget (DESIGN.md), on SQLite and on PostgreSQL, as one table with
its target and a pass/fail mark.

The pages are loaded by `wrk` (installed from Debian's packages when missing) against the app and a bare Flask
endpoint served by the same gunicorn command in the same run, rate limits on; see benchmarks/web.py. PostgreSQL is
the server at BENCH_POSTGRES_URL (default: the local one, trust auth); without it, its column says "not measured".

BENCH_ONLY=http measures the pages only; BENCH_DATABASES=sqlite (or postgresql) one database only.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from benchmarks.budget import Figure, failures, table
from benchmarks.wrk import ensure_wrk

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _postgres_database() -> tuple[str, callable] | None:
    """A database of its own on the PostgreSQL server, and how to drop it; None without a server."""
    name = f"ofa_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        return None

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return f"{POSTGRES}/{name}", drop


def bench_database(label: str, url: str, workdir: Path) -> list[Figure]:
    from benchmarks.web import bench_http

    env = {**os.environ, "INSTANCE_PATH": str(workdir), "SECRET_KEY": "benchmark", "DATABASE_URL": url,
           "RATELIMIT_ENABLED": "1", "MAIL_SEND_IMMEDIATELY": "0", "MAIL_OUTBOX_DIR": str(workdir / "outbox")}
    figures = bench_http(env, label)
    print(f"{label}: pages measured", flush=True)
    if os.environ.get("BENCH_ONLY") == "http":
        return figures
    from benchmarks.exports import bench_fec
    from benchmarks.partners import bench_partner_clients
    from benchmarks.payments import bench_payment_confirmation, bench_statement_import
    from benchmarks.renewals import bench_renewals

    for bench in (bench_statement_import, bench_payment_confirmation, bench_partner_clients, bench_renewals, bench_fec):
        figures += bench(env)
        print(f"{label}: {bench.__name__} done", flush=True)
    return figures


def main() -> int:
    ensure_wrk()
    wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    results: dict[str, list[Figure]] = {}
    if "sqlite" in wanted:
        workdir = Path(tempfile.mkdtemp(prefix="ofa-bench-sqlite-"))
        try:
            results["SQLite"] = bench_database("SQLite", f"sqlite:///{workdir / 'bench.sqlite'}", workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if "postgresql" in wanted:
        database = _postgres_database()
        if database is None:
            print(f"PostgreSQL: no server at {POSTGRES}, not measured", flush=True)
        else:
            url, drop = database
            workdir = Path(tempfile.mkdtemp(prefix="ofa-bench-postgresql-"))
            try:
                results["PostgreSQL"] = bench_database("PostgreSQL", url, workdir)
            finally:
                drop()
                shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("gunicorn, 2 sync workers; wrk, 2 threads, "
          f"{os.environ.get('BENCH_CONNECTIONS', '20')} connections, "
          f"{os.environ.get('BENCH_SECONDS', '10')} s per round, median of {os.environ.get('BENCH_ROUNDS', '3')} "
          f"rounds; {os.cpu_count()} CPUs")
    print(table(results))
    missed = failures(results)
    if missed:
        print(f"\n{len(missed)} figures miss their target: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
