"""Per-project roles and what each may do. Site admins may do everything everywhere."""
from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


# Roles that may do an action, by action. Managers do everything in their project.
CAN_MANAGE = frozenset({Role.MANAGER})
CAN_REVIEW = frozenset({Role.MANAGER, Role.REVIEWER})
CAN_ANNOTATE = frozenset({Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR})
