"""Annotation's answers to other apps' events (projects may import no app of ours)."""
from __future__ import annotations

from annotation.models import Lease, ReviewLease


def member_removed_leases_drop(sender, instance, **kwargs) -> None:
    """A member taken out of a project gives back the items they held (queue leases, assignments,
    review claims) at once, in the transaction that removes them, so other annotators and reviewers get
    those items now instead of when the leases run out. Their annotations and reviews stay."""
    Lease.objects.filter(project_id=instance.project_id, user_id=instance.user_id).delete()
    ReviewLease.objects.filter(project_id=instance.project_id, user_id=instance.user_id).delete()
