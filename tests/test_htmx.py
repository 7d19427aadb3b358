"""HTMX requests: a page answers with its named fragment, and every other page answers whole."""
import pytest

from openflyers_account.models import StaffRole

from .conftest import PASSWORD


def _plain_get_paths(app) -> list[str]:
    """Every GET URL that takes no argument (webhooks, health and static files aside)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/static", "/webhooks")):
            paths.append(rule.rule)
    return sorted(paths)


@pytest.mark.parametrize("who", ["anonymous", "club", "staff"])
def test_r3_every_page_asked_for_by_htmx_renders_without_error(app, client, make, sign_in, staff_sign_in, who):
    if who == "club":
        make.club("mermoz")
        sign_in("mermoz")
    elif who == "staff":
        staff = make.staff(StaffRole.ADMIN)
        staff_sign_in(staff.email, PASSWORD)
    failures = {}
    for path in _plain_get_paths(app):
        response = client.get(path, headers={"HX-Request": "true"})
        if response.status_code >= 500:
            failures[path] = response.status_code
    assert failures == {}


def test_r3_a_page_without_a_named_fragment_answers_htmx_whole(client, make, sign_in):
    make.club("mermoz")
    sign_in("mermoz")
    page = client.get("/account", headers={"HX-Request": "true"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'name="structure_email"' in html
    assert "HX-Request" in page.headers["Vary"]


def test_r3_the_price_partial_is_the_estimate_alone(client, make, sign_in):
    make.club("mermoz", resources=3)
    sign_in("mermoz")
    partial = client.get("/renewal/price?offer=business&resources=4&term=1", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200
    assert "<html" not in html and "data-total=" in html
