"""Labels given after a confident suggestion that differ from it become ``model_mistake`` review reasons
(the beat's sweep, incremental); agreeing, unsure or settled ones do not."""
from __future__ import annotations

import pytest

from annotation import services, suggestion_services, tasks
from annotation.models import Review, ReviewCandidate, Suggestion
from tests import factories
from tests.labeling_tests.conftest import texts

from .conftest import publish_set

pytestmark = pytest.mark.django_db


def label(project, user, item, value: str) -> None:
    lease = services.item_claim_next(project=project, user=user, exclude_ids=[i for i in Suggestion.objects.filter(
        project=project).values_list("item_id", flat=True) if i != item.id])
    assert lease.item_id == item.id
    services.annotation_create(item=lease.item, user=user, value={"label": value})


def test_a_label_against_a_confident_suggestion_goes_to_review(project, annotator, reviewer):
    wrong, agreeing, unsure, settled = factories.make_items(project, texts(4))
    job = publish_set(project, 12, {wrong: 0.9, agreeing: 0.9, unsure: 0.2, settled: 0.9})  # "positive" each
    for item, value in [(wrong, "negative"), (agreeing, "positive"), (unsure, "negative"), (settled, "negative")]:
        label(project, annotator, item, value)
    Review.objects.create(project=project, item=settled, reviewer=reviewer, verdict="accept")

    assert tasks.suggestion_mistakes() == 1

    (candidate,) = ReviewCandidate.objects.filter(project=project, kind="model_mistake")
    assert candidate.item_id == wrong.id and candidate.resolved_at is None
    assert candidate.detail == {"run": 12, "predicted": "positive", "given": "negative", "confidence": pytest.approx(0.95)}
    assert candidate.score == pytest.approx(0.95)
    job.refresh_from_db()
    assert job.mistakes_checked_through > 0
    assert suggestion_services.suggestion_mistakes_feed(project_id=project.id) == 0  # incremental: nothing new


def test_labels_given_before_the_suggestion_are_not_model_mistakes(project, annotator):
    (item,) = factories.make_items(project, texts(1))
    label(project, annotator, item, "negative")
    publish_set(project, 3, {item: 0.9})  # suggested after it was labeled (the pool would not hold it)
    assert suggestion_services.suggestion_mistakes_feed(project_id=project.id) == 0
    assert not ReviewCandidate.objects.filter(kind="model_mistake").exists()


def test_the_majority_of_the_items_labels_decides(make_annotators):
    project = factories.make_project(k=3)
    (item,) = factories.make_items(project, texts(1))
    publish_set(project, 3, {item: 0.9})
    people = make_annotators(project, 3)
    for person, value in zip(people, ["negative", "positive", "positive"], strict=True):
        label(project, person, item, value)
    suggestion_services.suggestion_mistakes_feed(project_id=project.id)
    assert not ReviewCandidate.objects.filter(kind="model_mistake").exists()
