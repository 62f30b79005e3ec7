"""A user's tokens: listed (never their keys) and revoked by site admins for anyone, by each user for
themselves; everyone else is refused before any lookup (403), anonymous callers are 401."""
from __future__ import annotations

import pytest

from accounts import services
from accounts.models import Token
from tests import factories
from tests.auth_tests.conftest import with_token

pytestmark = pytest.mark.django_db

FIELDS = {"id", "prefix", "created_at", "expires_at", "last_used_at"}


@pytest.fixture
def owner(db):
    """A user with two tokens, the one whose tokens are asked for."""
    user = factories.make_user("owner")
    user.keys = [services.token_for(user=user), services.token_for(user=user)]
    return user


def _list(client, user_id):
    return client.get(f"/api/v1/users/{user_id}/tokens")


# --- GET /users/{id}/tokens ---------------------------------------------------------------------


def test_an_admin_lists_a_users_tokens_newest_first_without_their_keys(client_for, admin, owner):
    response = _list(client_for(admin), owner.id)
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and [set(row) for row in body["results"]] == [FIELDS, FIELDS]
    assert [row["prefix"] for row in body["results"]] == [key[:8] for key in reversed(owner.keys)]
    text = response.content.decode()
    assert not any(key in text for key in owner.keys)
    assert not any(digest in text for digest in Token.objects.values_list("digest", flat=True))


def test_the_list_shows_when_a_token_was_last_used(client_for, admin, owner):
    with_token(client_for(), owner.keys[0]).get("/api/v1/me")
    rows = {row["prefix"]: row for row in _list(client_for(admin), owner.id).json()["results"]}
    assert rows[owner.keys[0][:8]]["last_used_at"] is not None
    assert rows[owner.keys[1][:8]]["last_used_at"] is None


def test_the_list_is_keyset_paged_and_its_query_count_does_not_grow(client_for, admin, owner, django_assert_num_queries):
    for _ in range(4):  # six in all, two pages of three
        services.token_for(user=owner)
    client = client_for(admin)
    with django_assert_num_queries(2):  # the user, then the page
        first = client.get(f"/api/v1/users/{owner.id}/tokens?page_size=3").json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 3 and second["next"] is None
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


@pytest.mark.parametrize("persona", ["admin", "manager", "annotator", "outsider"])
def test_every_role_lists_its_own_tokens(client_for, request, persona):
    user = request.getfixturevalue(persona)
    services.token_for(user=user)
    response = _list(client_for(user), user.id)
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.parametrize("persona", ["manager", "annotator", "outsider"])
def test_a_non_admin_cannot_list_another_users_tokens(client_for, request, persona, owner):
    response = _list(client_for(request.getfixturevalue(persona)), owner.id)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_a_non_admin_learns_nothing_of_who_exists(client_for, annotator, owner):
    assert _list(client_for(annotator), owner.id).status_code == 403
    assert _list(client_for(annotator), owner.id + 1000).status_code == 403


def test_anonymous_cannot_list_tokens(client_for, owner):
    assert _list(client_for(), owner.id).status_code == 401


def test_an_admin_asking_for_a_missing_user_gets_404(client_for, admin):
    assert _list(client_for(admin), 999_999).status_code == 404


# --- DELETE /users/{id}/tokens ------------------------------------------------------------------


def test_an_admin_revokes_all_of_a_users_tokens_and_they_stop_at_once(client_for, admin, owner):
    client = with_token(client_for(), owner.keys[0])
    assert client.get("/api/v1/me").status_code == 200
    response = client_for(admin).delete(f"/api/v1/users/{owner.id}/tokens")
    assert response.status_code == 200 and response.json() == {"revoked": 2}
    assert client.get("/api/v1/me").status_code == 401
    assert with_token(client_for(), owner.keys[1]).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("persona", ["admin", "manager", "annotator", "outsider"])
def test_every_role_revokes_its_own_tokens(client_for, request, persona):
    user = request.getfixturevalue(persona)
    key = services.token_for(user=user)
    response = client_for(user).delete(f"/api/v1/users/{user.id}/tokens")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert with_token(client_for(), key).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("persona", ["manager", "annotator", "outsider"])
def test_a_non_admin_cannot_revoke_another_users_tokens(client_for, request, persona, owner):
    response = client_for(request.getfixturevalue(persona)).delete(f"/api/v1/users/{owner.id}/tokens")
    assert response.status_code == 403
    assert Token.objects.filter(user=owner).count() == 2


def test_anonymous_cannot_revoke_a_users_tokens(client_for, owner):
    assert client_for().delete(f"/api/v1/users/{owner.id}/tokens").status_code == 401
    assert Token.objects.filter(user=owner).count() == 2


# --- DELETE /users/{id}/tokens/{token_id} -------------------------------------------------------


def _token_id(owner, n: int) -> int:
    return Token.objects.get(digest=services.token_digest(owner.keys[n])).id


def test_an_admin_revokes_one_token_and_the_other_keeps_working(client_for, admin, owner):
    response = client_for(admin).delete(f"/api/v1/users/{owner.id}/tokens/{_token_id(owner, 0)}")
    assert response.status_code == 204
    assert with_token(client_for(), owner.keys[0]).get("/api/v1/me").status_code == 401
    assert with_token(client_for(), owner.keys[1]).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("persona", ["admin", "manager", "annotator", "outsider"])
def test_every_role_revokes_one_of_its_own_tokens(client_for, request, persona):
    user = request.getfixturevalue(persona)
    services.token_for(user=user)
    token = Token.objects.get(user=user)
    assert client_for(user).delete(f"/api/v1/users/{user.id}/tokens/{token.id}").status_code == 204
    assert not Token.objects.filter(user=user).exists()


@pytest.mark.parametrize("persona", ["manager", "annotator", "outsider"])
def test_a_non_admin_cannot_revoke_another_users_token(client_for, request, persona, owner):
    user = request.getfixturevalue(persona)
    assert client_for(user).delete(f"/api/v1/users/{owner.id}/tokens/{_token_id(owner, 0)}").status_code == 403
    assert Token.objects.filter(user=owner).count() == 2


def test_anonymous_cannot_revoke_a_token_by_id(client_for, owner):
    assert client_for().delete(f"/api/v1/users/{owner.id}/tokens/{_token_id(owner, 0)}").status_code == 401


def test_a_token_of_someone_else_is_not_found_under_another_user(client_for, annotator, owner):
    # The annotator names their own user id with the owner's token id: not theirs, 404.
    response = client_for(annotator).delete(f"/api/v1/users/{annotator.id}/tokens/{_token_id(owner, 0)}")
    assert response.status_code == 404
    assert Token.objects.filter(user=owner).count() == 2
