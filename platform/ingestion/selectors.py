from django.db.models import QuerySet, Sum

from common.models import JobStatus
from ingestion.models import ImportJob
from projects.models import Project


def import_list(*, project: Project) -> QuerySet[ImportJob]:
    """A project's imports (keyset-paged by id by the API, newest first)."""
    return ImportJob.objects.filter(project=project)


def import_unfinished(*, project_id: int) -> ImportJob | None:
    """The project's oldest import still queued or running, or None. Its items may be half there (a
    killed worker's stay until the reaper undoes them), so a version must not be built meanwhile."""
    return (
        ImportJob.objects.filter(project_id=project_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .order_by("id")
        .only("id", "file_name", "status")
        .first()
    )


def import_duplicates(*, project_id: int) -> dict:
    """Rows the project's finished imports did not insert because their text was already there
    (``duplicate_count``), and the rows they read in all: a file with every review twice shows here,
    where the items alone cannot tell."""
    totals = ImportJob.objects.filter(project_id=project_id, status=JobStatus.SUCCEEDED).aggregate(
        duplicates=Sum("duplicate_count"), created=Sum("created_count")
    )
    duplicates, created = totals["duplicates"] or 0, totals["created"] or 0
    rows = duplicates + created
    return {"rows": rows, "duplicates": duplicates, "duplicate_rate": duplicates / rows if rows else None}
