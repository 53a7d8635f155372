from django.db import migrations

from portal_site.group_permissions import grant

EDITOR_PERMISSIONS = ["add_standingpage", "change_standingpage", "view_standingpage"]
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_standingpage", "delete_standingpage"]


def add_permissions(apps, schema_editor):
    grant(apps, "pages", {"Editors": EDITOR_PERMISSIONS, "Publishers": PUBLISHER_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_initial"),
        ("news", "0002_editor_groups"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
