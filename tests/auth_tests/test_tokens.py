"""API tokens: several per user, stored as digests, expiring (DATAMOAT_TOKEN_TTL_HOURS), revoked at once
by DELETE /auth/token or by signing out with them; authenticating stays one query."""
from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token as DrfToken

from accounts import services
from accounts.models import Token
from tests.auth_tests.conftest import with_token
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _issue(client_for, user) -> dict:
    response = client_for().post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def test_each_sign_in_issues_a_token_of_its_own_and_all_of_them_work(client_for, annotator):
    first, second = _issue(client_for, annotator)["token"], _issue(client_for, annotator)["token"]
    assert first != second and len(first) == 40
    for key in (first, second):
        assert with_token(client_for(), key).get("/api/v1/me").json()["username"] == "annotator"


def test_only_a_digest_of_the_key_is_stored(client_for, annotator):
    key = _issue(client_for, annotator)["token"]
    (token,) = Token.objects.filter(user=annotator)
    assert token.digest == services.token_digest(key) != key and token.prefix == key[:8]
    assert not Token.objects.filter(digest=key).exists()


def test_the_answer_says_when_the_token_expires(client_for, annotator):
    before = timezone.now()
    body = _issue(client_for, annotator)
    expires_at = Token.objects.get(user=annotator).expires_at
    assert timedelta(days=30) <= expires_at - before <= timedelta(days=30, minutes=1)
    assert body["expires_at"] is not None


def test_an_expired_token_is_a_401_token_expired(client_for, annotator):
    key = _issue(client_for, annotator)["token"]
    Token.objects.filter(user=annotator).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_token(client_for(), key).get("/api/v1/me")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["error"] == {"code": "not_authenticated", "message": "Token expired.", "fields": {}}


@override_settings(DATAMOAT_TOKEN_TTL_HOURS=1)
def test_the_lifetime_is_a_setting(client_for, annotator):
    _issue(client_for, annotator)
    token = Token.objects.get(user=annotator)
    assert token.expires_at - token.created_at == timedelta(hours=1)


@override_settings(DATAMOAT_TOKEN_TTL_HOURS=0)
def test_a_lifetime_of_zero_means_tokens_never_expire(client_for, annotator):
    body = _issue(client_for, annotator)
    assert body["expires_at"] is None
    assert with_token(client_for(), body["token"]).get("/api/v1/me").status_code == 200


def test_delete_auth_token_revokes_the_token_at_once_and_only_that_one(client_for, annotator):
    doomed, kept = _issue(client_for, annotator)["token"], _issue(client_for, annotator)["token"]
    client = with_token(client_for(), doomed)
    assert client.get("/api/v1/me").status_code == 200
    assert client.delete("/api/v1/auth/token").status_code == 204
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json()["error"]["message"] == "Invalid token."
    assert with_token(client_for(), kept).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("persona", ["admin", "manager", "annotator", "outsider"])
def test_every_role_may_revoke_its_own_token(client_for, request, persona):
    user = request.getfixturevalue(persona)
    client = with_token(client_for(), services.token_for(user=user))
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_anonymous_cannot_revoke_a_token(client_for):
    response = client_for().delete("/api/v1/auth/token")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_delete_auth_token_from_a_browser_session_says_there_is_no_token(client_for, annotator):
    services.token_for(user=annotator)
    response = client_for(annotator).delete("/api/v1/auth/token")
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_token"
    assert Token.objects.filter(user=annotator).count() == 1


def test_signing_out_with_a_token_revokes_it(client_for, annotator):
    client = with_token(client_for(), _issue(client_for, annotator)["token"])
    assert client.delete("/api/v1/auth/session").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_of_the_browser_ends_the_session_on_the_server(client_for, annotator):
    browser = client_for()
    browser.post("/api/v1/auth/session", {"username": "annotator", "password": PASSWORD}, format="json")
    stolen = browser.cookies["sessionid"].value
    assert browser.delete("/api/v1/auth/session").status_code == 204
    replay = client_for()
    replay.cookies["sessionid"] = stolen  # a copy of the cookie taken before signing out
    assert replay.get("/api/v1/me").status_code == 401


def test_a_stale_token_header_does_not_stop_signing_in(client_for, annotator):
    client = with_token(client_for(), "revoked-long-ago")
    response = client.post("/api/v1/auth/token", {"username": "annotator", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_authenticating_is_one_query_and_last_use_is_written_once_per_window(
    client_for, annotator, django_assert_num_queries
):
    client = with_token(client_for(), services.token_for(user=annotator))
    with django_assert_num_queries(2):  # the token joined with its user, then its first use
        assert client.get("/api/v1/me").status_code == 200
    used = Token.objects.get(user=annotator).last_used_at
    assert used is not None
    with django_assert_num_queries(1):
        assert client.get("/api/v1/me").status_code == 200
    assert Token.objects.get(user=annotator).last_used_at == used
    Token.objects.filter(user=annotator).update(last_used_at=used - timedelta(minutes=6))
    with django_assert_num_queries(2):
        client.get("/api/v1/me")
    assert Token.objects.get(user=annotator).last_used_at > used


def test_issuing_a_token_drops_the_users_expired_ones(annotator, outsider):
    services.token_for(user=annotator)
    services.token_for(user=outsider)
    Token.objects.update(expires_at=timezone.now() - timedelta(days=1))
    services.token_for(user=annotator)
    assert Token.objects.filter(user=annotator).count() == 1
    assert Token.objects.filter(user=outsider).count() == 1  # someone else's are theirs to drop


def test_a_user_holds_at_most_the_cap_the_oldest_go_first(annotator):
    keys = [services.token_for(user=annotator) for _ in range(services.MAX_TOKENS_PER_USER + 2)]
    assert Token.objects.filter(user=annotator).count() == services.MAX_TOKENS_PER_USER
    stored = set(Token.objects.filter(user=annotator).values_list("digest", flat=True))
    assert services.token_digest(keys[0]) not in stored and services.token_digest(keys[1]) not in stored
    assert services.token_digest(keys[-1]) in stored


def test_tokens_of_drfs_table_move_to_accounts_tokens_and_keep_working(client_for, annotator):
    old = DrfToken.objects.create(user=annotator)
    migration = importlib.import_module("accounts.migrations.0002_token")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.move_drf_tokens(django_apps, editor)
    assert not DrfToken.objects.exists()
    assert with_token(client_for(), old.key).get("/api/v1/me").json()["username"] == "annotator"
    moved = Token.objects.get(user=annotator)
    assert moved.prefix == old.key[:8] and moved.expires_at > timezone.now()
