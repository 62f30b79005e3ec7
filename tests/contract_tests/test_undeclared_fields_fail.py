"""The response checker of tests/contract.py: a field, type or status the schema does not declare fails
the test that made the request, naming the operation and the path to the field."""
from __future__ import annotations

import pytest
from rest_framework.response import Response

from accounts import apis as accounts_apis
from annotation import apis as annotation_apis
from tests import factories
from tests.contract import ContractViolation, openapi, walk
from training import item_apis

pytestmark = pytest.mark.django_db


def _planted(monkeypatch, serializer_class, plant):
    """Make ``serializer_class`` send what ``plant(body)`` does to its usual output."""
    openapi()  # the session's schema comes from the real code, generated before anything is patched
    original = serializer_class.to_representation

    def to_representation(self, instance):
        body = original(self, instance)
        plant(body)
        return body

    monkeypatch.setattr(serializer_class, "to_representation", to_representation)


def test_an_undeclared_top_level_field_fails(client_for, monkeypatch, annotator):
    _planted(monkeypatch, accounts_apis.UserOutput, lambda body: body.update(nickname="ann"))
    with pytest.raises(ContractViolation, match=r"GET /api/v1/me: response 200 has undeclared field nickname"):
        client_for(annotator).get("/api/v1/me")


def test_an_undeclared_field_deep_in_a_stored_json_value_fails(client_for, monkeypatch, project, manager):
    factories.make_items(project, ["a text to label"])
    client = client_for(manager)
    item_id = client.post(f"/api/v1/projects/{project.id}/next", {}, format="json").json()["item"]["id"]
    client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "positive"}}, format="json")

    _planted(
        monkeypatch,
        item_apis.ItemDetailApi.OutputSerializer,
        lambda body: body["annotations"][0]["value"].update(confidence=0.9),
    )
    expected = r"GET /api/v1/items/\{item_id\}: response 200 has undeclared field annotations\[0\]\.value\.confidence"
    with pytest.raises(ContractViolation, match=expected):
        client.get(f"/api/v1/items/{item_id}")


def test_a_value_of_the_wrong_type_fails(client_for, monkeypatch, project, manager):
    _planted(
        monkeypatch,
        annotation_apis.ProjectStatsApi.OutputSerializer,
        lambda body: body["label_counts"].update(positive="many"),
    )
    expected = r"response 200 has label_counts\.positive = 'many' where the schema declares integer"
    with pytest.raises(ContractViolation, match=expected):
        client_for(manager).get(f"/api/v1/projects/{project.id}/stats")


def test_a_status_the_operation_does_not_declare_fails(client_for, monkeypatch, annotator):
    openapi()  # generated from the real MeApi.get, not from the stand-in below
    monkeypatch.setattr(accounts_apis.MeApi, "get", lambda self, request: Response({}, status=202))
    with pytest.raises(ContractViolation, match=r"GET /api/v1/me: response 202 is not declared"):
        client_for(annotator).get("/api/v1/me")


def test_a_declared_free_form_value_takes_any_keys(client_for, project, manager):
    item = factories.make_items(project, ["a text"])[0]
    item.meta = {"source": "crawl", "scores": {"spam": 0.1}, "tags": ["x"]}
    item.save(update_fields=["meta"])
    assert client_for(manager).get(f"/api/v1/items/{item.id}").json()["meta"]["scores"] == {"spam": 0.1}


def test_answers_outside_the_schema_must_be_the_error_envelope(client_for, outsider):
    assert client_for(outsider).get("/api/v1/no-such-thing").status_code == 404


# --- the walk itself, on small schemas -------------------------------------------------------------

OBJECT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "when": {"type": "string", "format": "date-time", "nullable": True},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "meta": {"type": "object", "additionalProperties": True},
        "anything": {},
        "kind": {"oneOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "array", "items": {"type": "string"}}]},
    },
    "required": ["id"],
}


def test_the_walk_accepts_what_is_declared():
    body = {"id": 1, "when": None, "counts": {"x": 2}, "meta": {"deep": {"er": [1]}}, "kind": ["z"]}
    assert walk(body, OBJECT) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "id missing (declared required)"),
        ({"id": True}, "id = True where the schema declares integer"),
        ({"id": 1, "when": "yesterday"}, "when = 'yesterday' where the schema declares a date-time"),
        ({"id": 1, "counts": {"x": 1.5}}, "counts.x = 1.5 where the schema declares integer"),
        ({"id": 1, "anything": 3}, "an untyped field anything (declared free-form: declare its shape)"),
        ({"id": 1, "kind": "c"}, "kind = 'c' outside the declared enum ['a', 'b']"),
        ({"id": 1, "extra": [1]}, "undeclared field extra"),
    ],
)
def test_the_walk_names_each_departure(body, problem):
    assert walk(body, OBJECT) == [problem]
