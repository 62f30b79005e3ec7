"""The annotator queue: overlap k, never the same item twice, skips, expiry, resume, prefetch."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation import services
from annotation.models import Lease
from annotation.strategies import Candidate, FewestAnnotationsFirst, Random
from tests import factories
from tests.labeling_tests.conftest import texts

pytestmark = pytest.mark.django_db

POSITIVE = {"label": "positive"}


def _label(lease, user):
    return services.annotation_create(item=lease.item, user=user, value=POSITIVE)


def test_it_hands_out_the_oldest_item_with_fewest_annotations_first(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    assert lease.item == items[0]
    assert lease.expires_at > timezone.now()


def test_it_resumes_the_lease_a_person_already_holds(project, items, annotator):
    first = services.item_claim_next(project=project, user=annotator)
    again = services.item_claim_next(project=project, user=annotator)
    assert again.id == first.id
    assert Lease.objects.filter(user=annotator).count() == 1


def test_it_claims_the_following_item_ahead_when_asked_to_exclude_the_current_one(project, items, annotator):
    current = services.item_claim_next(project=project, user=annotator)
    ahead = services.item_claim_next(project=project, user=annotator, exclude_ids=[current.item_id])
    assert ahead.item_id != current.item_id
    assert Lease.objects.filter(user=annotator).count() == 2


def test_with_k1_a_leased_item_goes_to_nobody_else(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    assert services.item_claim_next(project=project, user=a).item == items[0]
    assert services.item_claim_next(project=project, user=b).item == items[1]


def test_with_k2_two_different_people_get_the_item_and_a_third_does_not(make_annotators):
    project = factories.make_project(k=2)
    (item,) = factories.make_items(project, ["the only text"])
    a, b, c = make_annotators(project, 3)
    lease_a = services.item_claim_next(project=project, user=a)
    lease_b = services.item_claim_next(project=project, user=b)
    assert lease_a.item == lease_b.item == item
    assert services.item_claim_next(project=project, user=c) is None
    _label(lease_a, a)
    _label(lease_b, b)
    assert services.item_claim_next(project=project, user=c) is None
    item.refresh_from_db()
    assert item.annotation_count == 2


def test_it_never_hands_a_person_the_same_item_twice(make_annotators):
    project = factories.make_project(k=3)
    factories.make_items(project, texts(4))
    (a,) = make_annotators(project, 1)
    seen = []
    while (lease := services.item_claim_next(project=project, user=a)) is not None:
        seen.append(lease.item_id)
        _label(lease, a)
    assert len(seen) == len(set(seen)) == 4


def test_a_skipped_item_is_not_offered_again_to_that_person(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    lease = services.item_claim_next(project=project, user=a)
    services.item_skip(item=lease.item, user=a)
    assert not Lease.objects.filter(user=a).exists()
    assert services.item_claim_next(project=project, user=a).item != lease.item
    # Someone else may still label it.
    assert services.item_claim_next(project=project, user=b).item == lease.item


def test_skipping_twice_is_harmless(project, items, annotator):
    services.item_skip(item=items[0], user=annotator)
    services.item_skip(item=items[0], user=annotator)
    assert annotator.skips.count() == 1


def test_an_expired_lease_frees_the_item_for_others(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    lease = services.item_claim_next(project=project, user=a)
    Lease.objects.filter(id=lease.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.item_claim_next(project=project, user=b).item == lease.item


def test_the_expiry_sweep_deletes_only_expired_leases(project, items, make_annotators):
    a, b = make_annotators(project, 2)
    stale = services.item_claim_next(project=project, user=a)
    live = services.item_claim_next(project=project, user=b)
    Lease.objects.filter(id=stale.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.leases_expire() == 1
    assert list(Lease.objects.values_list("id", flat=True)) == [live.id]


def test_the_expire_leases_task_runs_the_sweep(project, items, annotator):
    from annotation.tasks import expire_leases

    lease = services.item_claim_next(project=project, user=annotator)
    Lease.objects.filter(id=lease.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_leases.name == "annotation.expire_leases"
    assert expire_leases() == 1


def test_excluded_items_are_never_handed_out(project, items, annotator):
    for item in items[:2]:
        item.excluded_reason = "too short"
        item.save()
    assert services.item_claim_next(project=project, user=annotator).item == items[2]


def test_it_answers_none_when_everything_is_done(project, items, annotator):
    for _ in items:
        _label(services.item_claim_next(project=project, user=annotator), annotator)
    assert services.item_claim_next(project=project, user=annotator) is None


def test_imported_labels_count_toward_k(project, items, annotator):
    items[0].annotation_count = 1  # as annotations_import leaves it
    items[0].save()
    assert services.item_claim_next(project=project, user=annotator).item == items[1]


@pytest.mark.parametrize("strategy", [FewestAnnotationsFirst(), Random(seed=11)])
def test_the_database_order_is_the_strategys_order(strategy, make_annotators):
    project = factories.make_project(k=2)
    made = factories.make_items(project, texts(12))
    for item, count in zip(made, [1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1], strict=True):
        item.annotation_count = count
        item.save()
    expected = [c.id for c in strategy.order(Candidate(i.id, i.annotation_count) for i in made)]
    (a,) = make_annotators(project, 1)
    handed = []
    while (lease := services.item_claim_next(project=project, user=a, strategy=strategy)) is not None:
        handed.append(lease.item_id)
        services.item_skip(item=lease.item, user=a)
    assert handed == expected


def test_the_projects_queue_order_decides_the_order(make_annotators):
    project = factories.make_project(k=1, queue_order="random")
    made = factories.make_items(project, texts(30))
    (a,) = make_annotators(project, 1)
    expected = [c.id for c in Random(seed=a.id).order(Candidate(i.id) for i in made)]
    handed = []
    while (lease := services.item_claim_next(project=project, user=a)) is not None:
        handed.append(lease.item_id)
        services.item_skip(item=lease.item, user=a)
    assert handed == expected and handed != sorted(handed)
