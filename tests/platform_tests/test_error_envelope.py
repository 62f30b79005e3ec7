"""Every failure answers the envelope of API.md, including unknown paths and unauthenticated calls."""
import pytest


def _assert_envelope(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


@pytest.mark.django_db
def test_anonymous_calls_get_401_in_the_envelope(client_for):
    _assert_envelope(client_for().get("/api/v1/projects"), 401, "not_authenticated")


@pytest.mark.django_db
def test_unknown_api_paths_get_404_in_the_envelope(client_for, outsider):
    _assert_envelope(client_for(outsider).get("/api/v1/nope"), 404, "not_found")


@pytest.mark.django_db
def test_invalid_input_names_the_field(client_for, admin):
    error = _assert_envelope(client_for(admin).post("/api/v1/projects", {"name": "x"}, format="json"), 400, "invalid")
    assert "task_type" in error["fields"] and "labels" in error["fields"]


@pytest.mark.django_db
def test_a_bad_cursor_is_a_400_not_a_500(client_for, admin):
    _assert_envelope(client_for(admin).get("/api/v1/projects?cursor=@@@"), 400, "invalid_cursor")
    _assert_envelope(client_for(admin).get("/api/v1/projects?page_size=5000"), 400, "invalid")
