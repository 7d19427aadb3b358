"""S1: the platform reports its activated resources with its own token; staff create and rotate it, shown once."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select

from openflyers_account.api.operations import rotate_token
from openflyers_account.extensions import db, limiter
from openflyers_account.models import AuditEntry, Club, PlatformToken, ResourceReport, StaffRole
from tests.billing_helpers import add_paid_period
from tests.conftest import PASSWORD, post_form

URL = "/api/v1/platforms/{}/resources"


@pytest.fixture
def mermoz(make):
    club = make.club("mermoz", resources=3)
    add_paid_period(club, days_to_end=100)
    return club


@pytest.fixture
def token(mermoz, make):
    return rotate_token(mermoz, make.staff(StaffRole.STAFF))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reports() -> list[tuple[int, str]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(ResourceReport.activated_resources, ResourceReport.source).order_by(ResourceReport.id))]


def test_s1_the_platform_reads_and_reports_its_resources(client, mermoz, token):
    got = client.get(URL.format("mermoz"), headers=bearer(token))
    assert got.status_code == 200
    assert got.json == {"subdomain": "mermoz", "activated_resources": 3, "subscribed_resources": 3}
    put = client.put(URL.format("mermoz"), json={"activated_resources": 5}, headers=bearer(token))
    assert put.status_code == 200 and put.json["activated_resources"] == 5
    client.put(URL.format("mermoz"), json={"activated_resources": 5}, headers=bearer(token))
    # Every report is in the history, the same count twice included; the floor of the next renewal follows.
    assert reports()[-2:] == [(5, "platform"), (5, "platform")]
    assert db.session.get(Club, mermoz.id).activated_resources == 5
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "club.resources_reported", AuditEntry.actor == "platform")) == 2


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic bWVybW96"},
                                     {"Authorization": "Bearer ofp_wrong"}])
def test_s1_no_token_or_a_wrong_one_is_401_in_json(client, token, headers):
    for response in (client.get(URL.format("mermoz"), headers=headers),
                     client.put(URL.format("mermoz"), json={"activated_resources": 9}, headers=headers)):
        assert response.status_code == 401 and response.json["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert all(source != "platform" for _, source in reports())


def test_s1_an_unknown_platform_and_another_clubs_token_answer_the_same_401(client, make, token):
    other = rotate_token(make.club("latecoere"), make.staff(StaffRole.STAFF, email="b@openflyers.example"))
    unknown = client.get(URL.format("nowhere"), headers=bearer(token))
    wrong = client.get(URL.format("mermoz"), headers=bearer(other))
    assert unknown.status_code == wrong.status_code == 401 and unknown.json == wrong.json


@pytest.mark.parametrize("body", [None, "5", b"\xff", [5], {}, {"activated_resources": "5"},
                                  {"activated_resources": -1}, {"activated_resources": 100_001},
                                  {"activated_resources": True}, {"activated_resources": 5.0},
                                  {"activated_resources": 5, "extra": 1}, {"activated_resources": 10**40}])
def test_s1_a_body_or_value_that_is_not_one_is_422_and_changes_nothing(client, mermoz, token, body):
    before = reports()
    if isinstance(body, (bytes, str)) or body is None:
        response = client.put(URL.format("mermoz"), data=body or b"", headers={**bearer(token),
                                                                              "Content-Type": "application/json"})
    else:
        response = client.put(URL.format("mermoz"), json=body, headers=bearer(token))
    assert response.status_code == 422 and response.json["error"] in ("invalid_body", "invalid_value")
    assert response.json["message"]
    assert reports() == before


def test_s1_past_the_rate_limit_the_platform_gets_429_in_json(app, client, token):
    app.config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    limiter.enabled = True
    limiter.reset()
    try:
        statuses = [client.get(URL.format("mermoz"), headers=bearer(token)).status_code for _ in range(4)]
        limited = client.get(URL.format("mermoz"), headers=bearer(token))
    finally:
        limiter.reset()
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429 and limited.json["error"] == "rate_limited"


def test_s1_staff_create_then_rotate_the_token_shown_once_stored_hashed(client, mermoz, make, staff_sign_in):
    staff = make.staff(StaffRole.STAFF, email="agent@openflyers.example")
    staff_sign_in(staff.email, PASSWORD)
    page = client.get("/staff/clients/mermoz").get_data(as_text=True)
    assert "pas encore de jeton" in page
    created = post_form(client, "/staff/clients/mermoz/api-token", {}, token_from="/staff/clients/mermoz")
    first = re.search(r'<code class="long-value token">(ofp_[^<]+)</code>', created.get_data(as_text=True)).group(1)
    stored = db.session.get(PlatformToken, mermoz.id)
    assert stored.token_sha256 == hashlib.sha256(first.encode()).hexdigest() and first not in stored.token_sha256
    assert client.get(URL.format("mermoz"), headers=bearer(first)).status_code == 200
    # Shown once: the client page no longer has it.
    assert first not in client.get("/staff/clients/mermoz").get_data(as_text=True)
    rotated = post_form(client, "/staff/clients/mermoz/api-token", {}, token_from="/staff/clients/mermoz")
    second = re.search(r'<code class="long-value token">(ofp_[^<]+)</code>', rotated.get_data(as_text=True)).group(1)
    assert second != first
    assert client.get(URL.format("mermoz"), headers=bearer(first)).status_code == 401
    assert client.get(URL.format("mermoz"), headers=bearer(second)).status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("club.api_token%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["club.api_token_created", "club.api_token_rotated"]


def test_s1_the_openapi_description_names_the_endpoint_and_its_errors(client):
    spec = client.get("/api/v1/openapi.json").json
    path = spec["paths"]["/platforms/{subdomain}/resources"]
    assert spec["openapi"].startswith("3.1") and set(path) >= {"get", "put"}
    assert set(path["put"]["responses"]) == {"200", "401", "422", "429"}


def test_s1_a_wrong_method_is_json_too(client, token):
    response = client.post(URL.format("mermoz"), json={"activated_resources": 1}, headers=bearer(token))
    assert response.status_code == 405


def test_s1_wrong_tokens_from_elsewhere_never_use_up_the_platforms_own_limit(app, client, token):
    app.config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    limiter.enabled = True
    limiter.reset()
    try:
        attacker = {"REMOTE_ADDR": "203.0.113.9"}
        assert [client.get(URL.format("mermoz"), headers=bearer("ofp_guess"), environ_base=attacker).status_code
                for _ in range(4)] == [401, 401, 401, 429]
        platform = {"REMOTE_ADDR": "198.51.100.7"}
        assert client.get(URL.format("mermoz"), headers=bearer(token), environ_base=platform).status_code == 200
    finally:
        limiter.reset()
