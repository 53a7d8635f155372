"""Maintenance notices under review and the maintenance permissions of the
staff roles (settings.EDITORIAL_REGISTRATIONS)."""

from editorial.registry import Registration, Review

from . import surrogate_keys


def notice_page_keys(notice):
    """The pages that show the notice (maintenance/surrogate_keys.py)."""
    state = surrogate_keys.snapshot(notice)
    return surrogate_keys.changed_by_save(state, state)


EDITORS = [
    "maintenance.add_maintenancenotice", "maintenance.change_maintenancenotice",
    "maintenance.view_maintenancenotice",
]

registration = Registration(
    reviews=[
        Review("maintenance.MaintenanceNotice", preview_template="maintenance/notice.html",
               preview_name="notice", page_keys=notice_page_keys)
    ],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + [
            "maintenance.publish_maintenancenotice", "maintenance.delete_maintenancenotice",
        ],
    },
)
