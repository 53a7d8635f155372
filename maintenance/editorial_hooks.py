"""Maintenance notices under review and the maintenance permissions of the
staff roles (settings.EDITORIAL_REGISTRATIONS)."""

from editorial.registry import Registration, Review

EDITORS = [
    "maintenance.add_maintenancenotice", "maintenance.change_maintenancenotice",
    "maintenance.view_maintenancenotice",
]

registration = Registration(
    reviews=[
        Review("maintenance.MaintenanceNotice", preview_template="maintenance/notice.html",
               preview_name="notice")
    ],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + [
            "maintenance.publish_maintenancenotice", "maintenance.delete_maintenancenotice",
        ],
    },
)
