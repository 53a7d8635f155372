from django.db import migrations

GROUPS = ["Editors", "Publishers", "Newsletter managers"]


def create_groups(apps, schema_editor):
    # The groups exist from here on; their permissions come from
    # editorial.roles.ROLES, set after every migrate (post_migrate).
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove_newsletter_managers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Newsletter managers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_newsletter_managers)]
