"""The club's dashboard (R1, R2, R4, P4) and customer record."""
import html

import pytest

from openflyers_account.extensions import db
from openflyers_account.models import Club
from tests.billing_helpers import add_paid_period
from tests.conftest import post_form


def add_period(club, days_to_end, resources=3, paid=True):
    add_paid_period(club, days_to_end, resources=resources, paid=paid)


@pytest.mark.parametrize("days_to_end, status", [
    (200, "Actif"), (91, "Actif"), (90, "Renouvellement ouvert"), (0, "Renouvellement ouvert"), (-1, "Expiré"),
])
def test_r2_dashboard_shows_the_period_and_its_status(client, make, sign_in, days_to_end, status):
    club = make.club("mermoz", name="Aéroclub Jean Mermoz", offer="premiere")
    add_period(club, days_to_end)
    sign_in("mermoz")
    page = client.get("/").get_data(as_text=True)
    assert "Aéroclub Jean Mermoz" in page and "Premiere" in page
    assert f'class="badge">{status}</p>' in page


def test_r4_an_unpaid_period_is_not_active(client, make, sign_in):
    club = make.club("mermoz")
    add_period(club, -10)
    add_period(club, 355, paid=False)
    sign_in("mermoz")
    page = client.get("/").get_data(as_text=True)
    assert 'class="badge">En attente de paiement</p>' in page and ">Actif<" not in page


def test_r2_a_club_that_already_renewed_has_nothing_to_do(client, make, sign_in):
    club = make.club("mermoz")
    add_period(club, 30)
    add_period(club, 395)
    sign_in("mermoz")
    assert 'class="badge">Actif</p>' in client.get("/").get_data(as_text=True)


def test_p4_dashboard_compares_activated_and_subscribed_resources(client, make, sign_in):
    club = make.club("mermoz", resources=5)
    add_period(club, 100, resources=3)
    sign_in("mermoz")
    page = client.get("/").get_data(as_text=True)
    assert "<dd>5</dd>" in page and "<dd>3</dd>" in page
    assert "au moins 5 ressources" in page


def test_r1_a_club_without_any_period_is_told_so(client, make, sign_in):
    make.club("mermoz", name="Aéroclub Jean Mermoz", resources=2)
    sign_in("mermoz")
    response = client.get("/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Aéroclub Jean Mermoz" in page
    assert 'class="badge">Pas encore d\'abonnement</p>' in page
    assert "Votre premier abonnement commence le jour de sa facture." in page
    assert '<a class="button" href="/renewal">Souscrire</a>' in page
    assert "Période en cours" not in page
    assert "<dd>2</dd>" in page and "<dd>0</dd>" in page  # activated, and none subscribed


def test_a2_the_customer_record_shows_the_legal_identity(client, make, sign_in):
    make.club("mermoz", siren="123456782", vat_number="FR40123456782", address="Aérodrome", postcode="78117",
              city="Toussus")
    sign_in("mermoz")
    page = client.get("/account").get_data(as_text=True)
    for text in ("123456782", "FR40123456782", "Aérodrome", "78117", "Toussus"):
        assert text in page


def test_a2_the_club_changes_its_two_addresses(client, make, sign_in):
    club = make.club("mermoz")
    sign_in("mermoz")
    response = post_form(client, "/account", {"structure_email": "Bureau@Mermoz.example",
                                              "contact_email": "nouveau@mermoz.example"})
    assert response.status_code == 302
    db.session.expire_all()
    club = db.session.get(Club, club.id)
    assert (club.structure_email, club.contact_email) == ("Bureau@mermoz.example", "nouveau@mermoz.example")


@pytest.mark.parametrize("structure, contact", [
    ("", "x@mermoz.example"), ("not an address", ""), ("a@b", ""), ("ok@mermoz.example", "nope"),
    ("x" * 250 + "@example.org", ""), ("<b>@example.org", ""), ("ok@mermoz.example", "\x00@example.org"),
])
def test_a2_bad_addresses_get_a_field_message_and_change_nothing(client, make, sign_in, structure, contact):
    club = make.club("mermoz")
    sign_in("mermoz")
    response = post_form(client, "/account", {"structure_email": structure, "contact_email": contact})
    # NUL never reaches a form: the request is refused up front with its own message.
    assert response.status_code == (400 if "\x00" in structure + contact else 422)
    assert 'role="alert"' in response.get_data(as_text=True) or "Caractères illisibles" in response.get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(Club, club.id).structure_email == "contact@mermoz.example"
