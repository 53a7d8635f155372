"""Publishing a release drafts the news item that announces it, as the Claims
Portal has always done: "Executive Dashboard Management Information Now
Available — November 2026", in the Management info category, linking to the
release. It stays a draft: an Editor changes it as they like and a Publisher
publishes it like any item (news' own review)."""

from django.conf import settings
from django.template.loader import render_to_string

from news.models import Category, NewsItem

TITLE = "Executive Dashboard Management Information Now Available — {month}"
# The seed page's own wording of these items.
SUMMARY = (
    "Claims Portal Ltd has today released its monthly update to the Executive Dashboard. "
    "The Management Information (MI) deals with the Portal as a user community service "
    "and provides high level information on the claims process."
)


def announcement_category():
    category, _ = Category.objects.get_or_create(
        slug=settings.MANAGEMENT_INFORMATION_CATEGORY,
        defaults={"name": "Management info", "description": "Monthly management information."},
    )
    return category


def draft_announcement(release):
    """A new draft NewsItem announcing `release`, dated and timed like it and
    listed in the archive of its period's year (as the seed's December 2020
    item, dated 15/01/2021, is on the 2020 page)."""
    return NewsItem.objects.create(
        title=TITLE.format(month=release.month),
        category=announcement_category(),
        date=release.release_date,
        archive_year=release.period.year,
        summary=SUMMARY,
        body=render_to_string("management_information/announcement_body.html",
                              {"release": release}),
        status=NewsItem.Status.DRAFT,
        published_at=release.published_at,
    )
