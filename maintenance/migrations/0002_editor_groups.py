from django.db import migrations

EDITOR_PERMISSIONS = ["add_maintenancenotice", "change_maintenancenotice", "view_maintenancenotice"]
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + [
    "publish_maintenancenotice", "delete_maintenancenotice",
]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Publishers": PUBLISHER_PERMISSIONS}


def add_permissions(apps, schema_editor):
    # Permissions are normally made after all migrations; make this app's now.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("maintenance")
    app_config.models_module = True  # the migration state's stub lacks it
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="maintenance", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("news", "0002_editor_groups"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
