import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_exchanges_credentials_for_a_token_that_authenticates(client_for, annotator):
    response = client_for().post("/api/v1/auth/token", {"username": "annotator", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me").json()
    assert me["username"] == "annotator" and me["is_admin"] is False


def test_wrong_password_is_a_readable_400(client_for, annotator):
    response = client_for().post("/api/v1/auth/token", {"username": "annotator", "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Wrong username or password."


def test_the_browser_signs_in_with_a_session_and_csrf(client_for, annotator):
    browser = client_for(enforce_csrf_checks=True)
    assert browser.get("/api/v1/auth/session").json() == {"user": None}
    token = browser.cookies["csrftoken"].value
    denied = browser.post("/api/v1/auth/session", {"username": "annotator", "password": PASSWORD}, format="json")
    assert denied.status_code == 403
    ok = browser.post(
        "/api/v1/auth/session", {"username": "annotator", "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 200 and ok.json()["user"]["username"] == "annotator"
    assert browser.get("/api/v1/me").status_code == 200


def test_only_admins_create_users(client_for, admin, manager):
    body = {"username": "newbie", "password": "a-long-enough-pass"}
    assert client_for(manager).post("/api/v1/users", body, format="json").status_code == 403
    created = client_for(admin).post("/api/v1/users", body, format="json")
    assert created.status_code == 201 and created.json()["username"] == "newbie"
    again = client_for(admin).post("/api/v1/users", body, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "username_taken"


def test_the_schema_and_docs_are_served_without_a_cdn(client_for, admin):
    client = client_for(admin)
    assert client.get("/api/v1/schema").status_code == 200
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger" in html.lower() and "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_the_browser_signs_out(client_for, annotator):
    browser = client_for()
    browser.post("/api/v1/auth/session", {"username": "annotator", "password": PASSWORD}, format="json")
    assert browser.delete("/api/v1/auth/session").status_code == 204
    assert browser.get("/api/v1/auth/session").json() == {"user": None}
    assert browser.get("/api/v1/me").status_code == 401
