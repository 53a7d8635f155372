from django.db import migrations

from portal_site.group_permissions import grant


def add_permissions(apps, schema_editor):
    grant(apps, "news", {
        "Editors": ["view_documentseries"],
        "Publishers": [
            "view_documentseries", "add_documentseries", "change_documentseries",
            "delete_documentseries",
        ],
    })


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0005_search_vector"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
