"""Standing pages under review and the pages permissions of the staff roles
(settings.EDITORIAL_REGISTRATIONS)."""

from editorial.registry import Registration, Review

EDITORS = ["pages.add_standingpage", "pages.change_standingpage", "pages.view_standingpage"]

registration = Registration(
    reviews=[Review("pages.StandingPage", preview_template="pages/page.html", preview_name="page")],
    roles={
        "Editors": EDITORS,
        "Publishers": EDITORS + ["pages.publish_standingpage", "pages.delete_standingpage"],
    },
)
