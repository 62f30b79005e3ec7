"""Concurrent annotators on PostgreSQL: row locks with SKIP LOCKED plus the re-count under the lock.

Each thread has its own database connection (Django opens one per thread) and closes it at the end.
The barrier releases the threads together so their claims really collide.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from annotation import services
from annotation.models import Annotation
from projects.models import Item
from tests import factories
from tests.labeling_tests.conftest import texts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(n: int, work) -> list:
    """Run ``work(index, barrier)`` in n threads; their results in order; re-raise the first error."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_two_annotators_racing_for_the_last_item_exactly_one_gets_it(requires_postgres, make_annotators):
    for _round in range(10):
        project = factories.make_project(k=1)
        (item,) = factories.make_items(project, ["the last item"])
        people = make_annotators(project, 2)

        def claim(index, barrier, project=project, people=people):
            barrier.wait()
            return services.item_claim_next(project=project, user=people[index])

        leases = _in_threads(2, claim)
        won = [lease for lease in leases if lease is not None]
        assert len(won) == 1, leases
        assert won[0].item_id == item.id


def test_four_annotators_label_200_items_once_each(requires_postgres, make_annotators):
    project = factories.make_project(k=1)
    factories.make_items(project, texts(200))
    people = make_annotators(project, 4)

    def label_until_done(index, barrier):
        user = people[index]
        barrier.wait()
        done = []
        while (lease := services.item_claim_next(project=project, user=user)) is not None:
            services.annotation_create(item=lease.item, user=user, value={"label": "positive"})
            done.append(lease.item_id)
        return done

    per_person = _in_threads(4, label_until_done)
    handed = Counter(item_id for done in per_person for item_id in done)
    assert sum(handed.values()) == 200 and max(handed.values()) == 1  # none twice, none dropped
    assert Annotation.objects.filter(project=project).count() == 200
    assert set(Item.objects.filter(project=project).values_list("annotation_count", flat=True)) == {1}
    assert sum(1 for done in per_person if done) >= 2, "the annotators worked concurrently"
