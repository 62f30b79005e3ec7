"""The bulk paths stage rows in a temp table emptied ON COMMIT: a caller in autocommit (a script, a
management command, a transactional test) must still get every row."""
import pytest

from annotation.imported import annotations_import
from annotation.models import Annotation
from projects.models import Item
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_imported_annotations_are_kept_when_the_caller_holds_no_transaction():
    project = factories.make_project(labels=("pos", "neg"), k=3)
    items = factories.make_items(project, ["one", "two"])
    rows = [(item.id, source, {"label": "pos"}) for item in items for source in ("gold", "rater_b")]

    assert annotations_import(project=project, rows=rows) == 4

    assert Annotation.objects.filter(project=project).count() == 4
    assert sorted(Item.objects.filter(project=project).values_list("annotation_count", flat=True)) == [2, 2]
