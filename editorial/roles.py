"""The staff roles: one table of group → permissions, kept in step on every migrate.

Permissions are "app_label.codename", or "app_label.*" for all of an app's.
Permissions of apps not installed yet are skipped, so another app's models
(maintenance notices, standing pages) join a role by adding lines here; the
next `migrate` gives them to the group. Groups hold exactly what is listed:
a permission added by hand in admin is taken away again on the next migrate.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from cookies.roles import PRIVACY_OFFICERS

EDITORS = [
    "news.add_newsitem", "news.change_newsitem", "news.view_newsitem",
    "news.add_document", "news.change_document", "news.delete_document", "news.view_document",
    "news.view_category", "news.view_oldaddress", "news.view_documentseries",
    "maintenance.add_maintenancenotice", "maintenance.change_maintenancenotice",
    "maintenance.view_maintenancenotice",
    "pages.add_standingpage", "pages.change_standingpage", "pages.view_standingpage",
    "management_information.add_release", "management_information.change_release",
    "management_information.view_release", "management_information.view_measure",
    "management_information.view_measuregroup",
    "editorial.view_revision",
]
PUBLISHERS = EDITORS + [
    "news.publish_newsitem", "news.delete_newsitem",
    "news.add_category", "news.change_category", "news.delete_category",
    "news.add_oldaddress", "news.change_oldaddress", "news.delete_oldaddress",
    "news.add_documentseries", "news.change_documentseries", "news.delete_documentseries",
    "maintenance.publish_maintenancenotice", "maintenance.delete_maintenancenotice",
    "pages.publish_standingpage", "pages.delete_standingpage",
    "management_information.publish_release", "management_information.delete_release",
    "management_information.add_measure", "management_information.change_measure",
    "management_information.delete_measure", "management_information.add_measuregroup",
    "management_information.change_measuregroup", "management_information.delete_measuregroup",
    "editorial.view_auditentry",
]
# Subscribers, consent history, imports, digests, deliveries, suppressions:
# everything of the newsletter app, and nothing of news.
NEWSLETTER_MANAGERS = ["newsletter.*"]

ROLES = {
    "Editors": EDITORS,
    "Publishers": PUBLISHERS,
    "Newsletter managers": NEWSLETTER_MANAGERS,
    **PRIVACY_OFFICERS,
}


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
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for(permissions))
