"""The fixed ruler: a project's evaluation set, pinned from a version's test split.

Pinning copies the split's items and labels (revision 1). Each version build afterwards first applies
reviewers' corrections of ruler items (a correction whose label differs from the ruler's makes one new
revision for all such items), then writes the ruler items, with the ruler's labels, as its test split;
no other item enters that split. So two runs on different versions are scored on the same items with
the same labels, and a relabel of the training data no longer changes the exam.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow.compute as pc
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from annotation.votes import latest_corrections
from common.errors import Conflict, Invalid
from common.models import JobStatus
from curation.models import DatasetVersion, EvaluationSet, RulerLabel
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from curation.splits import SPLITS
from projects.models import Project


@dataclass(frozen=True)
class Ruler:
    """The ruler as a version build uses it: item id → label, at ``revision``."""

    evaluation_set_id: int
    revision: int
    labels: dict[int, str]
    split: str = "test"

    def summary(self, items: int) -> dict:
        return {"evaluation_set": self.evaluation_set_id, "revision": self.revision, "items": items}


def evaluation_set_pin(
    *, project: Project, from_version: DatasetVersion, split: str = "test", created_by: User | None = None
) -> EvaluationSet:
    """Freeze ``from_version``'s ``split`` as the project's ruler. One ruler per project (409
    ``evaluation_set_exists``); the version must be a built version of the project (409 ``not_built``,
    400 otherwise) and the split must hold items (400 ``empty_split``)."""
    if split not in SPLITS:
        raise Invalid(
            _("split must be one of %(choices)s.") % {"choices": ", ".join(SPLITS)}, fields={"split": [_("Unknown split.")]}
        )
    if from_version.project_id != project.id:
        raise Invalid(
            _("from_version must be a version of this project."), fields={"from_version": [_("Other project.")]}
        )
    if from_version.status != JobStatus.SUCCEEDED:
        raise Conflict(_("Version %(number)s is not built (status: %(status)s).")
                       % {"number": from_version.number, "status": from_version.status}, code="not_built")
    table = snapshot_table(version_snapshot_dir(from_version), columns=["item_id", "label", "split"])
    part = table.filter(pc.equal(table.column("split"), split))
    if part.num_rows == 0:
        raise Invalid(_("The %(split)s split of version %(number)s holds no item.")
                      % {"split": split, "number": from_version.number}, code="empty_split",
                      fields={"split": [_("Empty.")]})
    try:
        with transaction.atomic():
            evaluation_set = EvaluationSet.objects.create(
                project=project, from_version=from_version, split=split, created_by=created_by
            )
            RulerLabel.objects.bulk_create(
                (
                    RulerLabel(evaluation_set=evaluation_set, item_id=item_id, label=label, revision=1)
                    for item_id, label in zip(
                        part.column("item_id").to_pylist(), part.column("label").to_pylist(), strict=True
                    )
                ),
                batch_size=5000,
            )
    except IntegrityError:
        raise Conflict(
            _("This project has pinned its evaluation set already."), code="evaluation_set_exists"
        ) from None
    return evaluation_set


def ruler_current(evaluation_set: EvaluationSet) -> tuple[dict[int, str], int]:
    """item id → its label at the latest revision, and that revision."""
    labels: dict[int, str] = {}
    revision = 0
    for item_id, label, rev in (
        RulerLabel.objects.filter(evaluation_set=evaluation_set).order_by("item_id", "revision")
        .values_list("item_id", "label", "revision").iterator(chunk_size=20_000)
    ):
        labels[item_id] = label
        revision = max(revision, rev)
    return labels, revision


def ruler_for_build(*, project_id: int, allowed_labels: list[str]) -> Ruler | None:
    """The project's ruler with reviewers' corrections applied (a new revision when any changes a
    label), or None when the project pinned none. Call at the start of a version build."""
    evaluation_set = EvaluationSet.objects.filter(project_id=project_id).first()
    if evaluation_set is None:
        return None
    with transaction.atomic():
        EvaluationSet.objects.select_for_update().filter(id=evaluation_set.id).first()  # one revision at a time
        labels, revision = ruler_current(evaluation_set)
        corrections = latest_corrections(project_id=project_id, item_ids=labels.keys(), labels=allowed_labels)
        changed = {item_id: (label, review_id) for item_id, (label, review_id) in corrections.items()
                   if labels.get(item_id) != label}
        if changed:
            revision += 1
            RulerLabel.objects.bulk_create(
                RulerLabel(evaluation_set=evaluation_set, item_id=item_id, label=label, revision=revision,
                           review_id=review_id)
                for item_id, (label, review_id) in changed.items()
            )
            labels.update({item_id: label for item_id, (label, _) in changed.items()})
    return Ruler(evaluation_set.id, revision, labels, evaluation_set.split)
