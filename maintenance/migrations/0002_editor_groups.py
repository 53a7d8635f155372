from django.db import migrations

from portal_site.group_permissions import grant

EDITOR_PERMISSIONS = ["add_maintenancenotice", "change_maintenancenotice", "view_maintenancenotice"]
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + [
    "publish_maintenancenotice", "delete_maintenancenotice",
]


def add_permissions(apps, schema_editor):
    grant(apps, "maintenance", {"Editors": EDITOR_PERMISSIONS, "Publishers": PUBLISHER_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("news", "0002_editor_groups"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
