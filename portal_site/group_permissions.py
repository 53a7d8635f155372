"""For data migrations that give the Editors and Publishers groups an app's
permissions (news/migrations/0002 made the groups)."""


def grant(apps, app_label, groups):
    """Give each group in `groups` ({name: [codename, …]}) those permissions of
    `app_label`, creating the permissions first (Django normally makes them
    after all migrations have run)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True  # the migration state's stub lacks it
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
