"""The hot path's shortcuts (one-statement access checks, the resume guard, the one-statement annotation,
plain-dict answers) keep every guarantee of the longer paths they replaced."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from accounts.services import token_for
from annotation import selectors, services
from annotation.apis import AnnotationOutput, ItemNextApi
from annotation.models import Annotation, Lease
from common.errors import Conflict
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_next_answer_is_what_its_serializer_renders(client_for, project, items, annotator):
    body = client_for(annotator).post(f"/api/v1/projects/{project.id}/next").json()
    lease = Lease.objects.select_related("item").get(user=annotator)
    expected = ItemNextApi.OutputSerializer({"item": lease.item, "lease_expires_at": lease.expires_at}).data
    assert body == expected


def test_the_annotation_answer_is_what_its_serializer_renders(client_for, project, items, annotator):
    client = client_for(annotator)
    item_id = client.post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"]
    body = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "negative"}}, format="json").json()
    stored = Annotation.objects.select_related("annotator").get(item_id=item_id)
    assert body == AnnotationOutput(selectors.annotation_row(stored)).data
    assert body["lead_time_ms"] is not None and body["lead_time_ms"] >= 0


def test_a_member_without_the_role_gets_403_not_404(client_for, project, items, annotator):
    # A member without the role: 403, not 404 (the joined role decides, not the mere membership).
    response = client_for(annotator).post(f"/api/v1/items/{items[0].id}/reviews", {"verdict": "accept"}, format="json")
    assert response.status_code == 403


def test_a_member_of_another_project_is_an_outsider_here(client_for, project, items):
    other = factories.make_project()
    stranger = factories.make_member(other, factories.make_user(), Role.MANAGER)
    client = client_for(stranger)
    assert client.post(f"/api/v1/projects/{project.id}/next").status_code == 404
    assert client.post(f"/api/v1/items/{items[0].id}/annotations", {"value": {}}, format="json").status_code == 404


@pytest.mark.parametrize("absurd", ["0", "99999999999999999999999999"])
def test_an_id_that_cannot_exist_is_a_404_not_a_500(client_for, project, items, annotator, absurd):
    client = client_for(annotator)
    assert client.post(f"/api/v1/projects/{absurd}/next").status_code == 404
    assert client.post(f"/api/v1/items/{absurd}/annotations", {"value": {}}, format="json").status_code == 404


def test_a_site_admin_who_is_not_a_member_passes_every_check(client_for, project, items, admin):
    client = client_for(admin)
    item_id = client.post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"]
    response = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "positive"}}, format="json")
    assert response.status_code == 201


def test_a_lease_on_an_item_cleaning_excluded_is_not_resumed_and_does_not_block_the_queue(project, items, annotator):
    held = services.item_claim_next(project=project, user=annotator)
    held.item.excluded_reason = "too short"
    held.item.save()
    following = services.item_claim_next(project=project, user=annotator)
    assert following is not None and following.item_id != held.item_id


def test_a_held_lease_is_resumed_even_when_nothing_else_is_left(project, annotator):
    (only,) = factories.make_items(project, ["the one item"])
    first = services.item_claim_next(project=project, user=annotator)
    assert services.item_claim_next(project=project, user=annotator).id == first.id
    assert services.item_claim_next(project=project, user=annotator, exclude_ids=[only.id]) is None


def test_an_expired_lease_is_not_resumed_and_the_item_is_offered_anew(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    lease = services.item_claim_next(project=project, user=a)
    Lease.objects.filter(id=lease.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.item_claim_next(project=project, user=b).item_id == lease.item_id


def test_a_refused_annotation_leaves_the_count_and_the_lease_untouched(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    lease = services.item_claim_next(project=project, user=a)
    with pytest.raises(Conflict) as raised:
        services.annotation_create(item=lease.item, user=b, value={"label": "positive"})
    assert raised.value.code == "no_live_lease"
    lease.item.refresh_from_db()
    assert lease.item.annotation_count == 0 and Lease.objects.filter(id=lease.id).exists()


# --- token authentication (accounts.authentication.TokenAuthentication, DRF's contract) -----------------


def _with_token(client, key: str):
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_authenticates_its_user_on_the_hot_path(client_for, project, items, annotator):
    client = _with_token(client_for(), token_for(user=annotator))
    item_id = client.post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"]
    response = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "positive"}}, format="json")
    assert response.status_code == 201 and response.json()["annotator"] == annotator.username


@pytest.mark.parametrize("key", ["not-a-token", "nul\x00byte"])
def test_an_unknown_token_is_a_401(client_for, project, items, key):
    response = _with_token(client_for(), key).post(f"/api/v1/projects/{project.id}/next")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_token_of_an_inactive_user_is_a_401(client_for, project, items, annotator):
    key = token_for(user=annotator)
    annotator.is_active = False
    annotator.save()
    response = _with_token(client_for(), key).post(f"/api/v1/projects/{project.id}/next")
    assert response.status_code == 401 and "inactive" in response.json()["error"]["message"]
