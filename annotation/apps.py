from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"

    def ready(self) -> None:
        # projects may import no app of ours: it asks the apps that store labels whether one is in use.
        from annotation.labels import labels_in_use
        from projects.services import label_users

        if labels_in_use not in label_users:
            label_users.append(labels_in_use)

        from django.db.models.signals import post_delete

        from annotation.signals import member_removed_leases_drop
        from projects.models import Membership

        post_delete.connect(member_removed_leases_drop, sender=Membership, dispatch_uid="member_removed_leases_drop")
