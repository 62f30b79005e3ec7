"""Why each item of a version diff changed: ``review``, ``annotations``, ``cleaning``, ``import`` or
``consolidation``, found from what happened to the item between the two builds.

The window is from the older version's build to the newer one's (each build reads the data when it
starts). Each kind of change has an order of precedence, the most direct cause first:

- relabeled: a review of the item in the window > new annotations of it > a change of consolidation
  method > otherwise consolidation (Dawid–Skene's estimates move with other items' votes);
- added: imported in the window > a review (a correction, or an exclusion lifted) > a cleaning change
  (a revert) > its first annotations;
- removed: a review (excluded) > a cleaning step (excluded) > annotations (its votes no longer count:
  a label left the project) .
"""
from __future__ import annotations

from annotation.votes import changes_between
from cleaning.selectors import cleaning_steps_between
from curation.diff import SnapshotDiff
from curation.models import DatasetVersion
from projects.models import Item

CAUSES = ("review", "annotations", "cleaning", "import", "consolidation")


def diff_causes(diff: SnapshotDiff, *, new: DatasetVersion, old: DatasetVersion) -> dict[int, dict]:
    """item_id → ``{"cause": one of CAUSES, ...detail}`` for every added, removed and relabeled item."""
    since, until = sorted([_read_at(old), _read_at(new)])
    changed = [*diff.ids["added"], *diff.ids["removed"], *diff.ids["relabeled"]]
    reviews, annotated = changes_between(project_id=new.project_id, item_ids=changed, since=since, until=until)
    cleaned = cleaning_steps_between(item_ids=changed, since=since, until=until)
    imported = _imported_between(diff.ids["added"], since, until)
    method_changed = new.consolidation != old.consolidation
    causes: dict[int, dict] = {}
    for item_id in diff.ids["relabeled"]:
        if item_id in reviews:
            causes[item_id] = {"cause": "review", **reviews[item_id]}
        elif item_id in annotated:
            causes[item_id] = {"cause": "annotations"}
        else:
            causes[item_id] = {"cause": "consolidation", "method": new.consolidation, "method_changed": method_changed}
    for item_id in diff.ids["added"]:
        if item_id in imported:
            causes[item_id] = {"cause": "import", "import": imported[item_id]}
        elif item_id in reviews:
            causes[item_id] = {"cause": "review", **reviews[item_id]}
        elif item_id in cleaned:
            causes[item_id] = {"cause": "cleaning", "step": cleaned[item_id]}
        else:
            causes[item_id] = {"cause": "annotations"}
    for item_id in diff.ids["removed"]:
        if item_id in reviews:
            causes[item_id] = {"cause": "review", **reviews[item_id]}
        elif item_id in cleaned:
            causes[item_id] = {"cause": "cleaning", "step": cleaned[item_id]}
        else:
            causes[item_id] = {"cause": "annotations"}
    return causes


def cause_counts(causes: dict[int, dict]) -> dict[str, int]:
    counts = dict.fromkeys(CAUSES, 0)
    for cause in causes.values():
        counts[cause["cause"]] += 1
    return counts


def _read_at(version: DatasetVersion):
    return version.started_at or version.created_at


def _imported_between(item_ids: list[int], since, until) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for start in range(0, len(item_ids), 5000):
        found.update(
            Item.objects.filter(id__in=item_ids[start : start + 5000], created_at__gt=since, created_at__lte=until)
            .values_list("id", "import_job_id")
        )
    return found
