"""The fixed ruler: pinned test items keep their split and labels through relabels and imports; a
reviewer's correction makes a new revision."""
from __future__ import annotations

import pytest

from annotation import review_services
from common.errors import Conflict
from curation.models import RulerLabel
from curation.ruler import evaluation_set_pin
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from projects.models import Item
from tests import factories
from tests.review_tests.conftest import build
from tests.versions_tests.conftest import votes

pytestmark = pytest.mark.django_db


def _rows(version) -> dict[int, tuple[str, str]]:
    table = snapshot_table(version_snapshot_dir(version), columns=["item_id", "label", "split"])
    return {i: (label, split) for i, label, split in zip(*(table.column(c).to_pylist() for c in ("item_id", "label", "split")), strict=True)}


def test_the_ruler_survives_relabels_and_new_imports(noisy_project, reviewer):
    project, items, truth = noisy_project
    v1 = build(project)
    pinned = {i: label for i, (label, split) in _rows(v1).items() if split == "test"}
    evaluation_set_pin(project=project, from_version=v1, split="test")
    assert v1.ruler is None

    # Relabel everything in the training data's favour and import new items.
    changed = [item for item in items if item.id not in pinned][:20]
    for item in changed:
        review_services.review_create(item=item, reviewer=reviewer, verdict="correct", value={"label": "negative"})
    newcomers = factories.make_items(project, [f"a brand new snippet {i}" for i in range(60)])
    votes(newcomers, ["positive"] * 60)

    v2 = build(project)
    rows = _rows(v2)
    test = {i: label for i, (label, split) in rows.items() if split == "test"}
    assert test == pinned  # same items, same labels
    assert not {n.id for n in newcomers} & set(test)  # new items never enter the test split
    assert v2.ruler == {"evaluation_set": project.evaluation_set.id, "revision": 1, "items": len(pinned)}


def test_a_reviewed_correction_of_a_ruler_item_makes_a_new_revision(noisy_project, reviewer):
    project, items, truth = noisy_project
    v1 = build(project)
    evaluation_set_pin(project=project, from_version=v1)
    ruler_item_id, label = next((i, lab) for i, (lab, split) in _rows(v1).items() if split == "test")
    other = "negative" if label == "positive" else "positive"
    item = Item.objects.get(id=ruler_item_id)
    review_services.review_create(item=item, reviewer=reviewer, verdict="correct", value={"label": other})
    v2 = build(project)
    assert _rows(v2)[ruler_item_id] == (other, "test")
    assert v2.ruler["revision"] == 2
    assert RulerLabel.objects.filter(item_id=ruler_item_id).count() == 2
    v3 = build(project)  # nothing new: same revision
    assert v3.ruler["revision"] == 2


def test_a_project_pins_one_ruler_from_a_built_version(noisy_project):
    project, _, _ = noisy_project
    v1 = build(project)
    evaluation_set_pin(project=project, from_version=v1)
    with pytest.raises(Conflict):
        evaluation_set_pin(project=project, from_version=v1)


def test_a_project_with_a_ruler_can_be_deleted(noisy_project):
    from projects.models import Project

    project, _, _ = noisy_project
    evaluation_set_pin(project=project, from_version=build(project))
    Project.objects.filter(id=project.id).delete()
    assert not Project.objects.filter(id=project.id).exists()
