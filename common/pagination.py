"""Pagination that never counts.

Django's Paginator counts every row to number the pages. That COUNT grows with
the archive (about 3 ms a request for a year of 10,000 items, measured
in-process), so archive and category pages fetch one row more than they show
instead: enough to know whether a next page exists. The page numbers stay;
"of N" goes.

Page numbers are bounded (max_pages): a huge ?page= would otherwise become an
OFFSET past PostgreSQL's bigint ("bigint out of range", a 500), and a deep one
makes the database walk that many rows for nothing.
"""

from django.core.paginator import EmptyPage, Page, Paginator


class CountlessPaginator(Paginator):
    num_pages = None  # unknown: never counted
    # 10,000 pages of 50 is half a million items in one archive: far past any real one.
    max_pages = 10_000

    def validate_number(self, number):
        # Django's own check of a page number, against the bound instead of a
        # count: a paginator of max_pages one-row pages over a range (no query).
        bounds = Paginator(range(self.max_pages), 1, error_messages=self.error_messages)
        return bounds.validate_number(number)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        followed = len(rows) > self.per_page
        return CountlessPage(rows[: self.per_page], number, self, followed=followed)


class CountlessPage(Page):
    def __init__(self, object_list, number, paginator, *, followed):
        super().__init__(object_list, number, paginator)
        self.followed = followed

    def has_next(self):
        return self.followed
