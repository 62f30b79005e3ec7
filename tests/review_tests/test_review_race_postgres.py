"""Reviewers racing on PostgreSQL: no item is handed to two reviewers at once, none is dropped."""
from __future__ import annotations

from collections import Counter

import pytest

from annotation import review_services
from annotation.models import Review
from tests import factories
from tests.labeling_tests.test_queue_race_postgres import _in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_reviewers_racing_for_the_last_item_exactly_one_gets_it(requires_postgres, make_reviewers):
    for _round in range(10):
        project = factories.make_project()
        (item,) = factories.make_items(project, ["the last item to review"])
        review_services.review_candidate_add(project_id=project.id, item_id=item.id, kind="flagged", score=2.0, detail={})
        people = make_reviewers(project, 2)

        def claim(index, barrier, project=project, people=people):
            barrier.wait()
            return review_services.review_claim_next(project=project, user=people[index])

        won = [lease for lease in _in_threads(2, claim) if lease is not None]
        assert len(won) == 1 and won[0].item_id == item.id


def test_four_reviewers_review_120_items_once_each(requires_postgres, make_reviewers):
    project = factories.make_project()
    items = factories.make_items(project, [f"suspect number {i}" for i in range(120)])
    review_services.review_candidates_replace(
        project_id=project.id, kind="suspect", entries=[(item.id, 1 - i / 200, {}) for i, item in enumerate(items)]
    )
    people = make_reviewers(project, 4)

    def review_until_done(index, barrier):
        user = people[index]
        barrier.wait()
        done = []
        while (lease := review_services.review_claim_next(project=project, user=user)) is not None:
            review_services.review_create(item=lease.item, reviewer=user, verdict="accept")
            done.append(lease.item_id)
        return done

    handed = Counter(item_id for done in _in_threads(4, review_until_done) for item_id in done)
    assert sum(handed.values()) == 120 and max(handed.values()) == 1
    assert Review.objects.filter(project=project).count() == 120
