"""The "uncertainty" queue order: least suggestion margin first, items without one after, in
sequential order; the claim path (leases, the re-count under the row lock) is the same as the others'."""
from __future__ import annotations

import pytest

from annotation import services
from annotation.strategies import Candidate, LeastMarginFirst, strategy_for
from tests import factories
from tests.labeling_tests.conftest import texts

from .conftest import publish_set

pytestmark = pytest.mark.django_db


def test_the_strategy_orders_by_margin_then_sequentially():
    pool = [Candidate(1, 0, None), Candidate(2, 0, 0.9), Candidate(3, 1, None), Candidate(4, 0, 0.1),
            Candidate(5, 0, None), Candidate(6, 0, 0.5)]
    assert [c.id for c in LeastMarginFirst().order(pool)] == [4, 6, 2, 1, 5, 3]
    assert isinstance(strategy_for("uncertainty", annotator_id=7), LeastMarginFirst)


def test_it_hands_out_the_lowest_margin_first_then_the_next_lowest(make_annotators):
    project = factories.make_project(k=1, queue_order="uncertainty")
    items = factories.make_items(project, texts(6))
    publish_set(project, 1, {items[3]: 0.30, items[1]: 0.02, items[5]: 0.75, items[4]: 0.10})
    (annotator,) = make_annotators(project, 1)
    handed = []
    while (lease := services.item_claim_next(project=project, user=annotator)) is not None:
        handed.append(lease.item_id)
        services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})
    # By margin, then the unsuggested ones in sequential order (fewest annotations, then oldest).
    assert handed == [items[i].id for i in (1, 4, 3, 5, 0, 2)]


def test_only_the_latest_runs_set_orders_the_queue(make_annotators):
    project = factories.make_project(k=1, queue_order="uncertainty")
    items = factories.make_items(project, texts(3))
    publish_set(project, 5, {items[2]: 0.01})
    publish_set(project, 9, {items[1]: 0.40})  # the latest run: items[2] has no suggestion in it
    (annotator,) = make_annotators(project, 1)
    lease = services.item_claim_next(project=project, user=annotator)
    assert lease.item_id == items[1].id and lease.item.suggestion_run == 9


def test_two_annotators_never_get_the_same_item(make_annotators):
    project = factories.make_project(k=1, queue_order="uncertainty")
    items = factories.make_items(project, texts(5))
    publish_set(project, 1, {item: 0.1 * i for i, item in enumerate(items)})
    a, b = make_annotators(project, 2)
    first = services.item_claim_next(project=project, user=a)
    second = services.item_claim_next(project=project, user=b)
    assert (first.item_id, second.item_id) == (items[0].id, items[1].id)
    # With k = 2 the same item may go to both, once each, and never twice to one person.
    project.annotations_per_item = 2
    project.save()
    third = services.item_claim_next(project=project, user=b, exclude_ids=[second.item_id])
    assert third.item_id == items[0].id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_annotators_label_the_uncertainty_queue_once_each(requires_postgres, make_annotators):
    from collections import Counter

    from tests.labeling_tests.test_queue_race_postgres import _in_threads

    project = factories.make_project(k=1, queue_order="uncertainty")
    items = factories.make_items(project, texts(120))
    # Everyone wants the same few least-sure items first: the worst case for contention.
    publish_set(project, 1, {item: (i % 7) / 10 for i, item in enumerate(items[:80])})
    people = make_annotators(project, 4)

    def label_until_done(index, barrier):
        user = people[index]
        barrier.wait()
        done = []
        while (lease := services.item_claim_next(project=project, user=user)) is not None:
            services.annotation_create(item=lease.item, user=user, value={"label": "positive"})
            done.append(lease.item_id)
        return done

    handed = Counter(item_id for done in _in_threads(4, label_until_done) for item_id in done)
    assert sum(handed.values()) == 120 and max(handed.values()) == 1  # none twice, none dropped
