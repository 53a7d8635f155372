"""The newsletter's part of the staff roles and of the admin index
(settings.EDITORIAL_REGISTRATIONS): nothing of it is under review."""

from editorial.registry import Panel, Registration

from .figures import BOUNCE_NOTE, deliveries_chart, subscribers_chart
from .selectors import latest_digest_progress


def last_digest_panel(request):
    if not request.user.has_perm("newsletter.view_digest"):
        return None
    return Panel("Last digest", "newsletter/_dashboard_panel.html",
                 {"progress": latest_digest_progress()})


def subscribers_figure_panel(request):
    if not request.user.has_perm("newsletter.view_subscriber"):
        return None
    return Panel("Subscribers", "charts/_panel.html", {"chart": subscribers_chart()})


def deliveries_figure_panel(request):
    if not request.user.has_perm("newsletter.view_digest"):
        return None
    chart = deliveries_chart()
    note = BOUNCE_NOTE if chart else "No digest has been sent yet."
    return Panel("Digest deliveries", "charts/_panel.html", {"chart": chart, "note": note})


registration = Registration(
    # Subscribers, consent history, imports, digests, deliveries, suppressions:
    # everything of the newsletter app, and nothing of news.
    roles={"Newsletter managers": ["newsletter.*"]},
    dashboard_panels=[last_digest_panel, subscribers_figure_panel, deliveries_figure_panel],
)
