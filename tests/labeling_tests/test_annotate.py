"""Annotations: a live lease is required, one per person, values checked against the project."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation import review_services, services
from annotation.models import Annotation, Lease
from common.errors import Conflict, Invalid
from tests import factories

pytestmark = pytest.mark.django_db


def _conflict_code(call) -> str:
    with pytest.raises(Conflict) as raised:
        call()
    return raised.value.code


def test_it_records_the_annotation_bumps_the_count_and_consumes_the_lease(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    annotation = services.annotation_create(item=lease.item, user=annotator, value={"label": "negative"}, lead_time_ms=1234)
    assert (annotation.label, annotation.value, annotation.lead_time_ms) == ("negative", {"label": "negative"}, 1234)
    assert annotation.project_id == project.id and annotation.author_key == f"user:{annotator.id}"
    lease.item.refresh_from_db()
    assert lease.item.annotation_count == 1
    assert not Lease.objects.filter(id=lease.id).exists()


def test_lead_time_defaults_to_the_time_since_the_lease_was_taken(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    Lease.objects.filter(id=lease.id).update(created_at=timezone.now() - timedelta(seconds=3))
    annotation = services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})
    assert 3000 <= annotation.lead_time_ms < 60_000


def test_it_refuses_an_annotation_without_a_lease(project, items, annotator):
    call = lambda: services.annotation_create(item=items[0], user=annotator, value={"label": "positive"})  # noqa: E731
    assert _conflict_code(call) == "no_live_lease"
    items[0].refresh_from_db()
    assert items[0].annotation_count == 0 and not Annotation.objects.exists()


def test_it_refuses_an_annotation_on_an_expired_lease(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    Lease.objects.filter(id=lease.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    call = lambda: services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})  # noqa: E731
    assert _conflict_code(call) == "no_live_lease"


def test_it_refuses_a_second_annotation_by_the_same_person(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})
    call = lambda: services.annotation_create(item=lease.item, user=annotator, value={"label": "negative"})  # noqa: E731
    assert _conflict_code(call) == "already_annotated"
    lease.item.refresh_from_db()
    assert lease.item.annotation_count == 1 and Annotation.objects.count() == 1


def test_a_duplicate_that_slips_past_the_lease_is_a_409_not_a_500(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})
    Lease.objects.create(project=project, item=lease.item, user=annotator, expires_at=lease.expires_at)
    call = lambda: services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})  # noqa: E731
    assert _conflict_code(call) == "already_annotated"
    lease.item.refresh_from_db()
    assert lease.item.annotation_count == 1  # the bump rolled back with the failed insert
    assert Lease.objects.filter(user=annotator).count() == 1


@pytest.mark.parametrize(
    "value",
    [{"label": "neutral"}, {"label": 3}, {"labels": ["positive"]}, {"label": "positive", "x": 1}, "positive", None],
)
def test_it_refuses_a_value_that_does_not_fit_a_classification_project(project, items, annotator, value):
    lease = services.item_claim_next(project=project, user=annotator)
    with pytest.raises(Invalid):
        services.annotation_create(item=lease.item, user=annotator, value=value)
    assert Lease.objects.filter(id=lease.id).exists()  # the lease survives a rejected value


def test_an_unknown_label_is_reported_as_such(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    with pytest.raises(Invalid) as raised:
        services.annotation_create(item=lease.item, user=annotator, value={"label": "neutral"})
    assert raised.value.code == "invalid_label" and "'neutral'" in raised.value.message


def test_multilabel_values_are_checked_and_kept_in_project_label_order():
    project = factories.make_project(task_type="multilabel", labels=("a", "b", "c"))
    clean = services.annotation_value_clean(project=project, value={"labels": ["c", "a"]}, text="")
    assert clean == ({"labels": ["a", "c"]}, "")
    assert services.annotation_value_clean(project=project, value={"labels": []}, text="")[0] == {"labels": []}
    for bad in ({"labels": ["z"]}, {"labels": ["a", "a"]}, {"labels": "a"}, {"label": "a"}):
        with pytest.raises(Invalid):
            services.annotation_value_clean(project=project, value=bad, text="")


def test_span_values_must_lie_within_the_text_and_carry_known_labels():
    project = factories.make_project(task_type="spans", labels=("PER", "ORG"))
    text = "Ada works at IBM"
    good = {"spans": [{"start": 13, "end": 16, "label": "ORG"}, {"start": 0, "end": 3, "label": "PER"}]}
    clean, label = services.annotation_value_clean(project=project, value=good, text=text)
    assert [s["start"] for s in clean["spans"]] == [0, 13] and label == ""
    bad_values = [
        {"spans": [{"start": 13, "end": 17, "label": "ORG"}]},  # past the end
        {"spans": [{"start": 3, "end": 3, "label": "PER"}]},  # empty
        {"spans": [{"start": -1, "end": 2, "label": "PER"}]},
        {"spans": [{"start": 0, "end": 3, "label": "LOC"}]},
        {"spans": [{"start": "0", "end": 3, "label": "PER"}]},
        {"spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 0, "end": 3, "label": "PER"}]},
        {"spans": [{"start": 0, "end": 3}]},
    ]
    for bad in bad_values:
        with pytest.raises(Invalid):
            services.annotation_value_clean(project=project, value=bad, text=text)


def test_a_reviewer_accepts_or_corrects_with_a_checked_value(project, items, reviewer):
    accepted = review_services.review_create(item=items[0], reviewer=reviewer, verdict="accept")
    corrected = review_services.review_create(item=items[0], reviewer=reviewer, verdict="correct", value={"label": "negative"})
    assert (accepted.value, corrected.label) == (None, "negative")
    for verdict, value in (("correct", None), ("correct", {"label": "meh"}), ("accept", {"label": "positive"}), ("x", None)):
        with pytest.raises(Invalid):
            review_services.review_create(item=items[0], reviewer=reviewer, verdict=verdict, value=value)
