"""The surrogate key of management-information pages (common.page_cache).

Every MI page shows figures of more than one release (the change on the month
and the year before, the 24-month charts, the series, the calendar), so they
all carry one key, which any MI save purges: other sections' pages stay cached.
MI changes a few times a month.
"""

from common.sitemaps import SITEMAP_KEY

PAGES = "management-information"


def changed_by_save():
    """The keys an MI save (a release, its figures, a measure, a correction) changes."""
    return {PAGES, SITEMAP_KEY}
