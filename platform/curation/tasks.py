from celery import shared_task

from curation import services


@shared_task(name="curation.build_version")
def build_version(version_id: int) -> None:
    """Build one version; the job row says how it went. Safe to deliver twice: only a queued row is
    claimed."""
    services.version_build(version_id=version_id)
