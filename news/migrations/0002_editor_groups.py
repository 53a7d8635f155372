from django.db import migrations

EDITOR_PERMISSIONS = [
    "add_newsitem", "change_newsitem", "view_newsitem",
    "add_document", "change_document", "delete_document", "view_document",
    "view_category", "view_oldaddress",
]
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + [
    "publish_newsitem", "delete_newsitem",
    "add_category", "change_category", "delete_category",
    "add_oldaddress", "change_oldaddress", "delete_oldaddress",
]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Publishers": PUBLISHER_PERMISSIONS}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make news's now.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("news")
    app_config.models_module = True  # the migration state's stub lacks it
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="news", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
