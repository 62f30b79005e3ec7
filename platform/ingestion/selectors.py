from django.db.models import QuerySet

from ingestion.models import ImportJob
from projects.models import Project


def import_list(*, project: Project) -> QuerySet[ImportJob]:
    """A project's imports (keyset-paged by id by the API, newest first)."""
    return ImportJob.objects.filter(project=project)


