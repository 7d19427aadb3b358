"""`make bench`: the price partial against a bare endpoint under gunicorn, issuing one invoice, importing a
statement of 10,000 credits, confirming a payment, a partner's Clients page over 10,000 clubs, and the renewal
job over 10,000 subscriptions due the same day.

Aims: the partial at 60 % or more of the bare endpoint's throughput, p99 under 25 ms at 20 connections;
issuing an invoice with its PDF under 500 ms; the import under 3 s and 200 MB; a confirmation under 50 ms.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.load import run_load

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                                target], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn {target} did not start")


def sign_in(port: int, subdomain: str) -> str:
    """Sign in through the real form; returns the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = f"identifier={subdomain}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}"
    connection.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    return response.getheader("Set-Cookie").split(";", 1)[0]


def prepare(env: dict) -> None:
    """A migrated database with clubs to price and to invoice."""
    from flask_migrate import upgrade

    from openflyers_account import create_app
    from openflyers_account.accounts import operations
    from openflyers_account.extensions import db
    from openflyers_account.models import Subscription, SubscriptionPeriod, utcnow

    app = create_app(_config(env))
    with app.app_context():
        upgrade()
        for index in range(6):
            club = operations.add_club(f"bench{index}", f"Aéroclub {index}", f"club{index}@bench.example",
                                       "business", 4, password=PASSWORD)
            end = date.today() + timedelta(days=30)
            subscription = Subscription(club_id=club.id, offer_id=club.offer_id, term_years=1)
            db.session.add(subscription)
            db.session.flush()
            db.session.add(SubscriptionPeriod(subscription_id=subscription.id, offer_id=club.offer_id,
                                              start_date=end - timedelta(364), end_date=end, resources=4,
                                              activated_at=utcnow()))
            db.session.commit()


def _config(env: dict) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": env["SECRET_KEY"],
            "MAIL_SEND_IMMEDIATELY": False, "MAIL_OUTBOX_DIR": env["MAIL_OUTBOX_DIR"], "RATELIMIT_ENABLED": False}


def time_issuing(env: dict) -> list[float]:
    """Seconds to issue one renewal invoice with its PDF, in-process, one sample per club."""
    from openflyers_account import create_app
    from openflyers_account.subscriptions.operations import issue_renewal
    from openflyers_account.subscriptions.purchase import SubscriptionOrder
    from openflyers_account.domain.pricing import Term

    app = create_app(_config(env))
    samples = []
    with app.app_context(), app.test_request_context():
        for index in range(1, 6):
            started = time.perf_counter()
            issue_renewal(index + 1, None, SubscriptionOrder("business", 4, Term.THREE_YEARS, "BENCH"), date.today(), "bench")
            samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ofa-bench-"))
    env = {**os.environ, "INSTANCE_PATH": str(workdir), "SECRET_KEY": "benchmark",
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite'}"),
           "RATELIMIT_ENABLED": "0", "MAIL_SEND_IMMEDIATELY": "0", "MAIL_OUTBOX_DIR": str(workdir / "outbox")}
    prepare(env)
    app_server, app_port = serve("benchmarks.floor:app", env)
    hello_server, hello_port = serve("benchmarks.hello:app", env)
    try:
        cookie = sign_in(app_port, "bench0")
        price_path = "/renewal/price?offer=business&resources=5&term=3&po_reference="
        headers = {"Cookie": cookie, "HX-Request": "true"}
        run_load(app_port, price_path, headers, CONNECTIONS, 2)  # warm-up
        run_load(hello_port, "/hello", {}, CONNECTIONS, 2)
        hello = run_load(hello_port, "/hello", {}, CONNECTIONS, SECONDS)
        floor = run_load(app_port, "/_bench/signed-in", {"Cookie": cookie}, CONNECTIONS, SECONDS)
        price = run_load(app_port, price_path, headers, CONNECTIONS, SECONDS)
    finally:
        app_server.terminate()
        hello_server.terminate()
        app_server.wait()
        hello_server.wait()
    issuing = time_issuing(env)
    print(f"database: {env['DATABASE_URL'].split(':', 1)[0]}, gunicorn 2 workers, {CONNECTIONS} connections, "
          f"{SECONDS:.0f} s each")
    print(hello.line("bare /hello"))
    print(floor.line("signed-in empty page") + f"   ({floor.rate / hello.rate:.0%} of bare)")
    print(price.line("/renewal/price"))
    ratio = price.rate / hello.rate
    print(f"price partial throughput = {ratio:.0%} of the bare endpoint (aim >= 60 %), "
          f"p99 {price.percentile(99):.1f} ms (aim < 25 ms)")
    print(f"issue one invoice with its PDF: median {sorted(issuing)[len(issuing) // 2] * 1000:.0f} ms, "
          f"max {max(issuing) * 1000:.0f} ms over {len(issuing)} (aim < 500 ms)")
    from benchmarks.exports import bench_fec
    from benchmarks.partners import bench_partner_clients
    from benchmarks.payments import bench_payment_confirmation, bench_statement_import
    from benchmarks.renewals import bench_renewals

    for line in (*bench_statement_import(env), *bench_payment_confirmation(env), *bench_partner_clients(env),
                 *bench_renewals(env), *bench_fec(env)):
        print(line)


if __name__ == "__main__":
    main()
