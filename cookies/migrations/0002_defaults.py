from django.db import migrations


def install_defaults(apps, schema_editor):
    from cookies.defaults import install

    install(
        apps.get_model("cookies", "CookieCategory"),
        apps.get_model("cookies", "CookieDeclaration"),
        apps.get_model("cookies", "ConsentPolicy"),
    )


class Migration(migrations.Migration):
    dependencies = [("cookies", "0001_initial")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
