"""Imports cancelled before imports became all or nothing kept what they had committed, on purpose.
The reaper now undoes a cancelled import whose heartbeat is set (cancelled while running, its worker
dead before undoing it) and clears the heartbeat; clearing it here for the jobs cancelled before
leaves their items as their users chose to keep them."""
from django.db import migrations


def keep_items_of_earlier_cancels(apps, schema_editor):
    ImportJob = apps.get_model("ingestion", "ImportJob")
    ImportJob.objects.filter(status="cancelled", heartbeat_at__isnull=False).update(heartbeat_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("ingestion", "0003_imported_annotation"),
    ]

    operations = [
        migrations.RunPython(keep_items_of_earlier_cancels, migrations.RunPython.noop),
    ]
