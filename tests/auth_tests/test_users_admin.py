"""Site admins run users from the API: list and search (GET /users), deactivate, reactivate, make or
unmake admins and set passwords (PATCH /users/{id}); nobody deactivates or unmakes themself; and
``manage.py createsuperuser`` makes a site admin."""
from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Token, User
from tests import factories
from tests.auth_tests.conftest import sign_in, with_token

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-orbit-canvas"


def user_url(user) -> str:
    return f"/api/v1/users/{user.id}"


@pytest.mark.parametrize("persona,status", [("admin", 200), ("manager", 403), ("annotator", 403), ("outsider", 403)])
def test_only_site_admins_list_users(request, client_for, persona, status, manager, annotator, outsider):
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/api/v1/users")
    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert [row["username"] for row in rows] == ["manager", "annotator", "outsider", "admin"]
        assert set(rows[0]) == {"id", "username", "email", "is_admin", "is_active", "last_login"}


def test_the_user_list_is_keyset_paged_and_searched_in_constant_queries(client_for, admin, django_assert_max_num_queries):
    for i in range(7):
        user = factories.make_user(f"ana{i}")
        user.email = f"ana{i}@lab.example" if i % 2 else ""
        user.save()
    factories.make_user("bob")
    client = client_for(admin)
    with django_assert_max_num_queries(1):
        first = client.get("/api/v1/users?page_size=3&search=ANA").json()
    assert [u["username"] for u in first["results"]] == ["ana0", "ana1", "ana2"] and first["next"]
    rest = client.get(first["next"]).json()
    assert [u["username"] for u in rest["results"]] == ["ana3", "ana4", "ana5"]
    by_email = client.get("/api/v1/users?search=lab.example").json()["results"]
    assert [u["username"] for u in by_email] == ["ana1", "ana3", "ana5"]
    assert client.get("/api/v1/users?search=nobody").json()["results"] == []


@pytest.mark.parametrize("persona", ["manager", "annotator", "outsider"])
def test_only_site_admins_change_users(request, client_for, persona, manager, annotator, outsider):
    target = factories.make_user("target")
    user = request.getfixturevalue(persona)
    for body in ({"is_active": False}, {"is_admin": True}, {"password": GOOD_PASSWORD}):
        assert client_for(user).patch(user_url(target), body, format="json").status_code == 403
    target.refresh_from_db()
    assert target.is_active and not target.is_admin and target.check_password(factories.PASSWORD)


def test_deactivating_revokes_tokens_and_refuses_sign_in_then_reactivating_allows_it(client_for, admin, fresh_user, fresh_address):
    target = fresh_user()
    key = services.token_for(user=target)
    response = client_for(admin).patch(user_url(target), {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not Token.objects.filter(user=target).exists()
    assert with_token(APIClient(), key).get("/api/v1/me").status_code == 401
    refused = sign_in(APIClient(), target.username, address=fresh_address())
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_credentials"
    assert client_for(admin).patch(user_url(target), {"is_active": True}, format="json").json()["is_active"] is True
    assert sign_in(APIClient(), target.username, address=fresh_address()).status_code == 200


def test_a_deactivated_users_browser_session_ends(client_for, admin, fresh_user, fresh_address):
    target = fresh_user()
    browser = APIClient()
    assert sign_in(browser, target.username, address=fresh_address(), path="/api/v1/auth/session").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
    client_for(admin).patch(user_url(target), {"is_active": False}, format="json")
    assert browser.get("/api/v1/me").status_code in (401, 403)


def test_making_and_unmaking_a_site_admin(client_for, admin):
    target = factories.make_user("target")
    body = client_for(admin).patch(user_url(target), {"is_admin": True}, format="json").json()
    assert body["is_admin"] is True
    target.refresh_from_db()
    assert target.is_admin and target.is_staff
    # Effective at once: the new admin creates a project, and stops being able to once unmade.
    project = {"name": "New", "task_type": "classification", "labels": ["a", "b"]}
    assert client_for(target).post("/api/v1/projects", project, format="json").status_code == 201
    assert client_for(admin).patch(user_url(target), {"is_admin": False}, format="json").json()["is_admin"] is False
    target.refresh_from_db()
    assert client_for(target).post("/api/v1/projects", project, format="json").status_code == 403


def test_a_new_password_is_checked_and_then_works(client_for, admin, fresh_user, fresh_address):
    target = fresh_user()
    weak = client_for(admin).patch(user_url(target), {"password": "password"}, format="json")
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "weak_password"
    assert "password" in weak.json()["error"]["fields"]
    target.refresh_from_db()
    assert target.check_password(factories.PASSWORD)
    assert client_for(admin).patch(user_url(target), {"password": GOOD_PASSWORD}, format="json").status_code == 200
    assert sign_in(APIClient(), target.username, GOOD_PASSWORD, address=fresh_address()).status_code == 200
    assert sign_in(APIClient(), target.username, address=fresh_address()).status_code == 400


def test_a_new_password_ends_the_users_browser_sessions(client_for, admin, fresh_user, fresh_address):
    target = fresh_user()
    browser = APIClient()
    sign_in(browser, target.username, address=fresh_address(), path="/api/v1/auth/session")
    assert browser.get("/api/v1/me").status_code == 200
    client_for(admin).patch(user_url(target), {"password": GOOD_PASSWORD}, format="json")
    assert browser.get("/api/v1/me").status_code in (401, 403)


def test_an_admin_resetting_their_own_password_stays_signed_in(fresh_user, fresh_address):
    me = fresh_user(is_admin=True)
    browser = APIClient(enforce_csrf_checks=False)
    sign_in(browser, me.username, address=fresh_address(), path="/api/v1/auth/session")
    assert browser.patch(user_url(me), {"password": GOOD_PASSWORD}, format="json").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("body,field", [({"is_active": False}, "is_active"), ({"is_admin": False}, "is_admin")])
def test_an_admin_cannot_deactivate_or_unmake_themself(client_for, admin, body, field):
    response = client_for(admin).patch(user_url(admin), body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "self_change" and field in error["fields"]
    admin.refresh_from_db()
    assert admin.is_active and admin.is_admin
    # What changes nothing of the kind is fine on oneself.
    assert client_for(admin).patch(user_url(admin), {"is_active": True, "is_admin": True}, format="json").status_code == 200


def test_an_unknown_user_or_bad_body_is_refused(client_for, admin):
    assert client_for(admin).patch("/api/v1/users/999999", {"is_active": False}, format="json").status_code == 404
    bad = client_for(admin).patch(user_url(admin), {"is_active": "sometimes"}, format="json")
    assert bad.status_code == 400 and "is_active" in bad.json()["error"]["fields"]


def test_user_answers_say_active_and_last_sign_in(client_for, admin, fresh_user, fresh_address):
    target = fresh_user()
    row = client_for(admin).patch(user_url(target), {}, format="json").json()
    assert row["is_active"] is True and row["last_login"] is None
    sign_in(APIClient(), target.username, address=fresh_address(), path="/api/v1/auth/session")
    row = next(u for u in client_for(admin).get(f"/api/v1/users?search={target.username}").json()["results"])
    assert row["last_login"] is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_unmaking_each_other_at_once_leave_one(requires_postgres):
    """Each request passed its admin check before either change: the rows locked in id order make the
    second change see the first, and be refused, instead of leaving the site without an admin."""
    import threading

    from django.db import connection

    from common.errors import Forbidden

    first, second = factories.make_user("first", is_admin=True), factories.make_user("second", is_admin=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def unmake(actor: User, target: User) -> None:
        try:
            barrier.wait(timeout=10)
            services.user_update(actor=actor, user=target, is_admin=False)
            outcomes.append("ok")
        except Forbidden:
            outcomes.append("forbidden")
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=unmake, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["forbidden", "ok"]
    assert User.objects.filter(is_admin=True).count() == 1


def test_createsuperuser_makes_a_site_admin(client_for, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", GOOD_PASSWORD)
    call_command("createsuperuser", "--no-input", "--username", "root", "--email", "root@example.org", verbosity=0)
    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_admin
    project = {"name": "First", "task_type": "classification", "labels": ["a", "b"]}
    assert client_for(root).post("/api/v1/projects", project, format="json").status_code == 201


def test_the_migration_makes_earlier_superusers_site_admins(db):
    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0003_superusers_are_site_admins")
    old = User.objects.create(username="old-root", is_superuser=True, is_staff=True, is_admin=False)
    plain = factories.make_user("plain")
    migration.superusers_are_site_admins(apps, None)
    old.refresh_from_db()
    plain.refresh_from_db()
    assert old.is_admin and not plain.is_admin
