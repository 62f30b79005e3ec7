"""Sign-in attempts are throttled per client address and per username (DRF throttles in Django's cache):
401/400 answers first, then 429 ``throttled`` with Retry-After, for the token and the session alike."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from accounts.throttling import address_key
from tests.auth_tests.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOW_ADDRESS = override_settings(DATAMOAT_LOGIN_THROTTLE_RATE="3/min", DATAMOAT_LOGIN_USER_THROTTLE_RATE="1000/min")
LOW_USERNAME = override_settings(DATAMOAT_LOGIN_THROTTLE_RATE="1000/min", DATAMOAT_LOGIN_USER_THROTTLE_RATE="3/min")


def _assert_throttled(response):
    assert response.status_code == 429
    body = response.json()["error"]
    assert body["code"] == "throttled" and body["message"].startswith("Too many sign-in attempts.")
    assert 1 <= int(response["Retry-After"]) <= 60


@LOW_ADDRESS
def test_wrong_passwords_from_one_address_are_throttled_after_the_limit(client_for, fresh_user, fresh_address):
    client, address = client_for(), fresh_address()
    for _ in range(3):
        wrong = sign_in(client, fresh_user().username, "not-the-password", address=address)
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_credentials"
    _assert_throttled(sign_in(client, fresh_user().username, "not-the-password", address=address))


@LOW_ADDRESS
def test_the_right_password_is_refused_too_once_throttled(client_for, fresh_user, fresh_address):
    # Otherwise a throttled guesser would still learn which guess was right.
    client, address, user = client_for(), fresh_address(), fresh_user()
    for _ in range(3):
        assert sign_in(client, user.username, "guess", address=address).status_code == 400
    _assert_throttled(sign_in(client, user.username, PASSWORD, address=address))


@LOW_ADDRESS
def test_another_address_is_not_held_back_by_a_throttled_one(client_for, fresh_user, fresh_address):
    client, noisy = client_for(), fresh_address()
    for _ in range(4):
        sign_in(client, fresh_user().username, "guess", address=noisy)
    _assert_throttled(sign_in(client, fresh_user().username, "guess", address=noisy))
    assert sign_in(client, fresh_user().username, address=fresh_address()).status_code == 200


@LOW_USERNAME
def test_one_username_is_throttled_from_any_address(client_for, fresh_user, fresh_address):
    client, user = client_for(), fresh_user()
    for _ in range(3):
        assert sign_in(client, user.username, "guess", address=fresh_address()).status_code == 400
    _assert_throttled(sign_in(client, user.username, PASSWORD, address=fresh_address()))
    # Spelled with other case and spaces it is the same username to the throttle.
    _assert_throttled(sign_in(client, f"  {user.username.upper()} ", "guess", address=fresh_address()))
    # Another username from the same addresses is not held back.
    assert sign_in(client, fresh_user().username, address=fresh_address()).status_code == 200


@LOW_ADDRESS
def test_the_browser_sign_in_is_throttled_as_well(client_for, fresh_user, fresh_address):
    browser, address, user = client_for(), fresh_address(), fresh_user()
    for _ in range(3):
        wrong = sign_in(browser, user.username, "guess", address=address, path="/api/v1/auth/session")
        assert wrong.status_code == 400
    _assert_throttled(sign_in(browser, user.username, PASSWORD, address=address, path="/api/v1/auth/session"))
    # Only signing in is throttled: asking who is signed in, or signing out, is not.
    assert browser.get("/api/v1/auth/session", REMOTE_ADDR=address).status_code == 200
    assert browser.delete("/api/v1/auth/session", REMOTE_ADDR=address).status_code == 204


@LOW_ADDRESS
def test_token_and_session_sign_ins_share_one_budget(client_for, fresh_user, fresh_address):
    client, address = client_for(), fresh_address()
    sign_in(client, fresh_user().username, "guess", address=address)
    sign_in(client, fresh_user().username, "guess", address=address, path="/api/v1/auth/session")
    sign_in(client, fresh_user().username, "guess", address=address)
    _assert_throttled(sign_in(client, fresh_user().username, "guess", address=address, path="/api/v1/auth/session"))


@LOW_ADDRESS
def test_a_forged_forwarded_for_header_does_not_buy_more_attempts(client_for, fresh_user, fresh_address):
    # Without trusted proxies (DATAMOAT_TRUSTED_PROXIES=0) the header is ignored.
    client, address = client_for(), fresh_address()
    for n in range(3):
        sign_in(client, fresh_user().username, "guess", address=address, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    throttled = sign_in(client, fresh_user().username, "guess", address=address, HTTP_X_FORWARDED_FOR="192.0.2.99")
    _assert_throttled(throttled)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client_for, fresh_user, fresh_address):
    proxy = fresh_address()
    with LOW_ADDRESS, override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        client, first, second = client_for(), fresh_address(), fresh_address()
        for _ in range(3):
            sign_in(client, fresh_user().username, "guess", address=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {first}")
        _assert_throttled(sign_in(client, fresh_user().username, "guess", address=proxy, HTTP_X_FORWARDED_FOR=first))
        assert sign_in(client, fresh_user().username, address=proxy, HTTP_X_FORWARDED_FOR=second).status_code == 200


@LOW_USERNAME
def test_a_body_without_a_username_is_a_400_not_a_throttle_key(client_for, fresh_address):
    client, address = client_for(), fresh_address()
    for _ in range(5):
        response = client.post("/api/v1/auth/token", {"password": "x"}, format="json", REMOTE_ADDR=address)
        assert response.status_code == 400 and "username" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64: one budget
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "not an address"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_is_throttled_by_its_64(address, key):
    assert address_key(address) == key
