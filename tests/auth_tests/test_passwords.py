"""Django's password validators (similarity, minimum length, common, numeric) wherever a password is
set: a readable 400 naming the field through the API, Invalid from the service (seeds, scripts)."""
from __future__ import annotations

import pytest

from accounts import services
from accounts.models import User
from common.errors import Invalid
from ingestion.management.commands.demo_seed import USERS
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("newbie", "12345678", "entirely numeric"),
        ("newbie", "password", "too common"),
        ("newbie", "short-pw", "too short"),
        ("correcthorse", "correcthorse", "too similar to the username"),
        ("jane.doe", "Jane.Doe1", "too similar to the username"),
    ],
)
def test_a_weak_password_is_a_readable_400_naming_the_field(client_for, admin, username, password, reason):
    response = client_for(admin).post("/api/v1/users", {"username": username, "password": password}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "weak_password" and error["message"].startswith("password: ")
    assert any(reason in message for message in error["fields"]["password"]), error
    assert not User.objects.filter(username=username).exists()


def test_a_password_like_the_email_is_refused(client_for, admin):
    body = {"username": "newbie", "password": "ada.lovelace", "email": "ada.lovelace@example.org"}
    response = client_for(admin).post("/api/v1/users", body, format="json")
    assert response.status_code == 400 and "email" in response.json()["error"]["message"]


def test_a_good_password_creates_the_user(client_for, admin):
    body = {"username": "newbie", "password": "plum-orbit-canvas"}
    assert client_for(admin).post("/api/v1/users", body, format="json").status_code == 201


def test_the_service_refuses_a_weak_password_too(db):
    with pytest.raises(Invalid) as raised:
        services.user_create(username="scripted", password="scripted")
    assert raised.value.code == "weak_password" and "password" in raised.value.fields
    assert not User.objects.filter(username="scripted").exists()


@pytest.mark.parametrize(("username", "password"), [(name, password) for name, password, _, _ in USERS])
def test_the_demo_logins_pass_the_validators(username, password):
    services.password_check(password=password, user=User(username=username))


def test_the_test_factories_password_passes_the_validators(db):
    services.password_check(password=factories.PASSWORD, user=User(username="annotator"))
