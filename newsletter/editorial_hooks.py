"""The newsletter's part of the staff roles and of the admin index
(settings.EDITORIAL_REGISTRATIONS): nothing of it is under review."""

from editorial.registry import Panel, Registration

from .selectors import latest_digest_progress


def last_digest_panel(request):
    if not request.user.has_perm("newsletter.view_digest"):
        return None
    return Panel("Last digest", "newsletter/_dashboard_panel.html",
                 {"progress": latest_digest_progress()})


registration = Registration(
    # Subscribers, consent history, imports, digests, deliveries, suppressions:
    # everything of the newsletter app, and nothing of news.
    roles={"Newsletter managers": ["newsletter.*"]},
    dashboard_panels=[last_digest_panel],
)
