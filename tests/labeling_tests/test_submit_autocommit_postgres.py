"""On PostgreSQL a submit outside any transaction is one statement in autocommit (annotation_create):
without a live lease it fails whole, so the item's counter does not move; a second submit of the same
item is already_annotated; the counter moves once for the one annotation. Real transactions
(transactional_db): the statement commits or rolls back on its own, as in a request."""
from __future__ import annotations

import pytest
from django.db import connection

from annotation import services
from annotation.models import Annotation
from common.errors import Conflict
from projects.models import Item
from tests import factories
from tests.labeling_tests.conftest import texts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_submit_in_autocommit_without_a_lease_changes_nothing_and_with_one_counts_once(requires_postgres):
    project = factories.make_project(k=1)
    item = Item.objects.select_related("project").get(id=factories.make_items(project, texts(3))[0].id)
    annotator = factories.make_member(project)
    assert not connection.in_atomic_block

    with pytest.raises(Conflict) as raised:  # never claimed: no lease
        services.annotation_create(item=item, user=annotator, value={"label": project.labels[0]})
    assert raised.value.code == "no_live_lease"
    item.refresh_from_db()
    assert item.annotation_count == 0 and not Annotation.objects.filter(item=item).exists()

    lease = services.item_claim_next(project=project, user=annotator)
    claimed = Item.objects.select_related("project").get(id=lease.item.id)
    annotation = services.annotation_create(item=claimed, user=annotator, value={"label": project.labels[0]})
    assert annotation.id and annotation.lead_time_ms is not None
    claimed.refresh_from_db()
    assert claimed.annotation_count == 1

    with pytest.raises(Conflict) as raised:  # the lease went with the first submit
        services.annotation_create(item=claimed, user=annotator, value={"label": project.labels[1]})
    assert raised.value.code == "already_annotated"
    claimed.refresh_from_db()
    assert claimed.annotation_count == 1 and Annotation.objects.filter(item=claimed).count() == 1
