"""Import columns named in hidden_fields are kept apart from meta: managers (and admins) see them in the
item detail and the item list, annotators (next) and reviewers (review-next, item detail, item list)
never get them in any answer."""
from __future__ import annotations

import io
import json

import pytest

from annotation import review_services
from ingestion.services import import_create, import_execute, items_hide_fields
from projects.models import Item

SECRET_ID = "vader-secret-4711"
SECRET_GOLD = "gold-answer-positive"
CSV = (
    "vader_id,text,gold,genre\n"
    f"{SECRET_ID},a film I loved,{SECRET_GOLD},drama\n"
)


def upload(client, project_id, **fields):
    file = io.BytesIO(CSV.encode())
    file.name = "movies.csv"
    return client.post(f"/api/v1/projects/{project_id}/imports", {"file": file, **fields}, format="multipart")


def imported_item(client, project, **fields) -> Item:
    response = upload(client, project.id, **fields)
    assert response.status_code == 202, response.json()
    import_execute(job_id=response.json()["id"])
    return Item.objects.get(project=project)


def leaks(body) -> bool:
    text = json.dumps(body)
    return SECRET_ID in text or SECRET_GOLD in text or "vader_id" in text


@pytest.mark.django_db
@pytest.mark.parametrize("fields", [{"hidden_fields": "vader_id, gold"}, {"hidden_fields": ["vader_id", "gold"]}],
                         ids=["comma-separated", "repeated"])
def test_hidden_columns_are_stored_apart_from_meta(project, manager, client_for, fields):
    item = imported_item(client_for(manager), project, **fields)
    assert item.meta == {"genre": "drama"}
    assert item.hidden == {"vader_id": SECRET_ID, "gold": SECRET_GOLD}


@pytest.mark.django_db
def test_a_hidden_field_never_reaches_an_annotator_or_a_reviewer(
    project, manager, reviewer, annotator, admin, client_for
):
    item = imported_item(client_for(manager), project, hidden_fields="vader_id,gold")

    served = client_for(annotator).post(f"/api/v1/projects/{project.id}/next", {}, format="json")
    assert served.status_code == 200 and served.json()["item"]["id"] == item.id
    assert served.json()["item"]["meta"] == {"genre": "drama"}
    assert not leaks(served.json())

    review_services.flag_create(item=item, user=annotator, reason="is this positive?")
    queued = client_for(reviewer).post(f"/api/v1/projects/{project.id}/review-next", {}, format="json")
    assert queued.status_code == 200 and queued.json()["item"]["id"] == item.id
    assert not leaks(queued.json())
    for url in (f"/api/v1/items/{item.id}", f"/api/v1/projects/{project.id}/items"):
        body = client_for(reviewer).get(url).json()
        assert not leaks(body) and "hidden" not in json.dumps(body)

    for persona in (manager, admin):
        detail = client_for(persona).get(f"/api/v1/items/{item.id}").json()
        assert detail["hidden"] == {"vader_id": SECRET_ID, "gold": SECRET_GOLD}
        assert detail["meta"] == {"genre": "drama"}
        listed = client_for(persona).get(f"/api/v1/projects/{project.id}/items").json()["results"]
        assert listed[0]["hidden"] == {"vader_id": SECRET_ID, "gold": SECRET_GOLD}


@pytest.mark.django_db
def test_without_hidden_fields_every_other_column_is_meta(project, manager, client_for):
    item = imported_item(client_for(manager), project)
    assert item.meta == {"vader_id": SECRET_ID, "gold": SECRET_GOLD, "genre": "drama"} and item.hidden == {}


@pytest.mark.django_db
@pytest.mark.parametrize("hidden", ["text", "gold", " , "])
def test_hidden_fields_cannot_name_the_text_or_label_field(project, manager, client_for, hidden):
    response = upload(client_for(manager), project.id, label_field="gold", hidden_fields=hidden)
    if hidden.strip(" ,"):
        assert response.status_code == 400
        assert "hidden_fields" in response.json()["error"]["fields"]
    else:  # blank names are no names
        assert response.status_code == 202 and response.json()["options"]["hidden_fields"] == []


@pytest.mark.django_db
def test_hiding_a_column_of_items_imported_before_moves_it_out_of_meta(project, write):
    job = import_create(project=project, file=write("a.csv", CSV), dispatch=False)
    import_execute(job_id=job.id)
    assert items_hide_fields(project=project, names=["vader_id"]) == 1
    assert items_hide_fields(project=project, names=["vader_id"]) == 0
    item = Item.objects.get()
    assert item.meta == {"gold": SECRET_GOLD, "genre": "drama"} and item.hidden == {"vader_id": SECRET_ID}


@pytest.mark.django_db
def test_the_demo_hides_its_ids(settings, tmp_path):
    from django.core.management import call_command

    settings.UPLOAD_DIR = tmp_path / "uploads"
    call_command("demo_seed", limit=20, unlabelled=5, crowd=5, zh_limit=20, zh_unlabelled=5, stdout=io.StringIO())
    items = Item.objects.filter(project__name__startswith="Movie reviews")  # the VADER projects carry ids
    assert items and all("vader_id" not in item.meta and "vader_id" in item.hidden for item in items)
