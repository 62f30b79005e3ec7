"""Reads for versions: snapshot folders and version lists."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import Conflict, NotFound
from common.storage import StorageError, folder_local
from curation.models import DatasetVersion, EvaluationSet, RulerLabel
from projects.models import Item, Project


def version_snapshot_dir(version: DatasetVersion) -> Path:
    """A local folder with the version's snapshot (it exists only once the build succeeded).

    ``snapshot_path`` holds the snapshot's storage key (``common.storage``): on the filesystem storage
    the folder is the stored one itself; on a remote storage it is this machine's copy, downloaded on
    first use and checked against the manifest at each use (sizes and sha256), fetched again when it
    is missing or damaged. 409 ``snapshot_unavailable`` when the storage does not hold it (whole) or
    cannot be reached. An absolute path there is a version built before the storage API."""
    stored = version.snapshot_path
    if not stored.startswith(SNAPSHOT_AREA + "/"):
        path = Path(stored)
        return path if path.is_absolute() else Path(settings.SNAPSHOT_DIR) / path
    try:
        return folder_local(stored, verify=True)
    except StorageError as exc:
        raise Conflict(_("The snapshot of version %(number)s cannot be read: %(error)s")
                       % {"number": version.number, "error": exc}, code="snapshot_unavailable") from None


SNAPSHOT_AREA = "snapshots"


def snapshot_key(*, project_id: int, number: int) -> str:
    """The storage key of a version's snapshot folder."""
    return f"{SNAPSHOT_AREA}/project_{project_id}/v{number}"


def snapshot_dir_for(*, project_id: int, number: int) -> Path:
    """The local folder a build writes the snapshot to: on the filesystem storage the stored folder
    itself (publishing it is then a no-op), else a working folder that publishing uploads."""
    return Path(settings.SNAPSHOT_DIR) / f"project_{project_id}" / f"v{number}"


def version_list(*, project: Project) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(project=project)


def evaluation_set_view(*, project: Project) -> dict:
    """The project's ruler with its items (label at the latest revision) and revisions; NotFound when
    the project pinned none."""
    evaluation_set = EvaluationSet.objects.filter(project=project).select_related("from_version").first()
    if evaluation_set is None:
        raise NotFound(_("This project has no evaluation set; pin one from a version's test split."),
                       code="no_evaluation_set")
    latest: dict[int, tuple[str, int]] = {}
    revisions: dict[int, dict] = {}
    for item_id, label, revision, created_at in (
        RulerLabel.objects.filter(evaluation_set=evaluation_set).order_by("item_id", "revision")
        .values_list("item_id", "label", "revision", "created_at")
    ):
        latest[item_id] = (label, revision)
        entry = revisions.setdefault(revision, {"revision": revision, "changed": 0, "created_at": created_at})
        entry["changed"] += 1
    texts = dict(Item.objects.filter(id__in=list(latest)).values_list("id", "text"))
    return {
        "id": evaluation_set.id,
        "project": project.id,
        "from_version": evaluation_set.from_version_id,
        "from_version_number": evaluation_set.from_version.number if evaluation_set.from_version else None,
        "split": evaluation_set.split,
        "revision": max(revisions) if revisions else 1,
        "revisions": [revisions[r] for r in sorted(revisions)],
        "items_count": len(latest),
        "items": [{"item_id": i, "text": texts.get(i, ""), "label": lab, "revision": rev}
                  for i, (lab, rev) in sorted(latest.items())],
        "created_at": evaluation_set.created_at,
    }
