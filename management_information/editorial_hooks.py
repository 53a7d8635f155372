"""Management-information releases under review, and the MI permissions of
the staff roles (settings.EDITORIAL_REGISTRATIONS)."""

from editorial.registry import Registration, Review

from . import surrogate_keys


def release_page_keys(release):
    return surrogate_keys.changed_by_save()


EDITORS = [
    "management_information.add_release", "management_information.change_release",
    "management_information.view_release", "management_information.view_measure",
    "management_information.view_measuregroup",
]

registration = Registration(
    reviews=[
        Review(
            "management_information.Release",
            schedule_fields=("published_at",),
            preview_template="management_information/release.html",
            preview_name="release",
            page_keys=release_page_keys,
        )
    ],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + [
            "management_information.publish_release", "management_information.delete_release",
            "management_information.add_measure", "management_information.change_measure",
            "management_information.delete_measure",
            "management_information.add_measuregroup",
            "management_information.change_measuregroup",
            "management_information.delete_measuregroup",
        ],
    },
)
