"""Rules A1 and A4 as plain functions."""
import pytest

from openflyers_account.domain.accounts import login_subdomain, password_problem, same_email


@pytest.mark.parametrize("typed", [
    "mermoz", "MERMOZ", " mermoz ", "mermoz.openflyers.fr", "Mermoz.OpenFlyers.fr", "https://mermoz.openflyers.fr/",
    "http://mermoz.openflyers.fr/login?next=/", "https://openflyers.com/mermoz/", "openflyers.com/mermoz",
    "https://www.openflyers.fr/mermoz/index.php", "ＭＥＲＭＯＺ", "mermoz.openflyers.fr.", "\u00a0mermoz\u00a0",
])
def test_a1_what_treasurers_paste_means_the_subdomain(typed):
    assert login_subdomain(typed) == "mermoz"


@pytest.mark.parametrize("typed", [
    "", " ", "-mermoz", "mermoz-", "mer moz", "mer_moz", "a" * 64, "évry", "https://evil.example/mermoz",
    "mermoz.openflyers.fr.evil.example", "https://openflyers.com/", "https://openflyers.com/-x/", "\x00mermoz",
    "mermoz\x00", "🛩", "x" * 10_000, "http://[::1", "mermoz\u202e", "javascript:alert(1)",
])
def test_a1_anything_else_is_no_identifier(typed):
    assert login_subdomain(typed) is None


def test_a1_a_63_character_label_is_accepted():
    assert login_subdomain("a" * 63) == "a" * 63


@pytest.mark.parametrize("password, problem", [
    ("short", "too_short"), ("123456789", "too_short"), ("1234567890", None), ("x" * 200, None),
    ("x" * 201, "too_long"), ("abcdefghij\x00", "control_characters"), ("ééééééééééé", None),
])
def test_a4_passwords_have_at_least_ten_characters(password, problem):
    assert password_problem(password) == problem


def test_a2_addresses_compare_without_case():
    assert same_email("Tresorier@Mermoz.example", "tresorier@mermoz.EXAMPLE")
    assert not same_email("", "")
