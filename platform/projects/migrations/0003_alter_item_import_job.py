"""Kept as a step of the history, and now empty.

It dropped the database constraint of ``Item.import_job``, a foreign key into ingestion, which made
projects and ingestion depend on each other's migrations. ``Item.import_job_id`` is now a plain indexed
id (0001 creates it so; the column, its index and the missing constraint are the same as before, so a
database migrated with the old history needs nothing).
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0002_alter_item_project'),
    ]

    operations = []
