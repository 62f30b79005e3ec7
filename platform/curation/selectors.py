"""Reads for versions: snapshot folders and version lists."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from curation.models import DatasetVersion
from projects.models import Project


def version_snapshot_dir(version: DatasetVersion) -> Path:
    """The folder of the version's snapshot (it exists only once the build succeeded)."""
    path = Path(version.snapshot_path)
    return path if path.is_absolute() else Path(settings.SNAPSHOT_DIR) / path


def snapshot_dir_for(*, project_id: int, number: int) -> Path:
    return Path(settings.SNAPSHOT_DIR) / f"project_{project_id}" / f"v{number}"


def version_list(*, project: Project) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(project=project)
