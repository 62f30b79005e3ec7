"""``createsuperuser`` makes site admins from now on (accounts.models.UserManager); the superusers made
before it get ``is_admin`` here, so the first admin of an existing deployment can create projects."""

import accounts.models
from django.db import migrations


def superusers_are_site_admins(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_superuser=True, is_admin=False).update(is_admin=True)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_token"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", accounts.models.UserManager()),
            ],
        ),
        # Not undone: a superuser stays a site admin (no record says who was one before).
        migrations.RunPython(superusers_are_site_admins, migrations.RunPython.noop),
    ]
