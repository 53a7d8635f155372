"""How the calendar says when: dates dd/mm/yyyy, times as GOV.UK writes them."""

from django.utils import timezone

from maintenance.wording import clock


def publication_time(release):
    """“9:30am on 15/12/2026”."""
    return f"{clock(release.published_at)} on {release.release_date:%d/%m/%Y}"


def date_note(release):
    """“Moved from 15/12/2026 to 17/12/2026: <reason>”, “Delayed: …”, or ""."""
    if release.is_overdue:
        return (f"Delayed: due on {release.release_date:%d/%m/%Y} and not published yet."
                + (f" {release.date_change_reason}" if release.date_change_reason else ""))
    if not release.moved:
        return ""
    note = f"Moved from {release.announced_date:%d/%m/%Y} to {release.release_date:%d/%m/%Y}"
    return f"{note}: {release.date_change_reason}" if release.date_change_reason else f"{note}."


def published_on(release):
    """“17/12/2026 at 9:30am”."""
    local = timezone.localtime(release.published_at)
    return f"{local:%d/%m/%Y} at {clock(local)}"
