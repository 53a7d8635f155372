"""The staff roles: group → permissions, as the editorial registrations list
them (settings.EDITORIAL_REGISTRATIONS), kept in step on every migrate.

Permissions are "app_label.codename", or "app_label.*" for all of an app's.
A new app's models join a role through its registration's `roles`; the next
`migrate` gives them to the group (made if it is new). Groups hold exactly
what is listed: a permission added by hand in admin is taken away again on
the next migrate.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from .registry import role_permissions


def permissions_for(names):
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        if codename == "*":
            condition |= Q(content_type__app_label=app_label)
        else:
            condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def sync_roles(**kwargs):
    """post_migrate: make each group and give it exactly its role's permissions."""
    for name, permissions in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for(permissions))
