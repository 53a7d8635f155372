"""{% news_list items %}: the list of news items on the home, year, category and search pages.

The markup of an item is built in Python, as Django's admin builds its
change-list rows: a year page lists 50 items, and the template language took
about ten times as long on them (measured in-process: some 12 ms against 1 ms).
Every value is escaped with the function Django's escape() wraps, html.escape.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def item_urls(rows):
    """NewsItem.get_absolute_url() for each row, reversing once per archive year:
    an item's address is its year's address followed by its slug."""
    year_urls = {}
    for row in rows:
        if row.archive_year not in year_urls:
            year_urls[row.archive_year] = reverse("news:year", args=[row.archive_year])
        yield f"{year_urls[row.archive_year]}{row.slug}/"


def item_html(item, url, level):
    # An f-string, and the date written from its fields: str.format() and
    # strftime() cost several times as much, fifty times per page.
    date, url, title = item.date, escape(url), escape(item.title)
    return f"""<li class="news-list__item">
    <article aria-labelledby="news-item-{item.pk:d}">
      <p class="news-meta"><strong class="tag">{escape(item.category_name)}</strong> <time datetime="{date.isoformat()}">{date.day:02d}/{date.month:02d}/{date.year:04d}</time></p>
      <h{level:d} class="news-list__title" id="news-item-{item.pk:d}"><a href="{url}">{title}</a></h{level:d}>
      <p class="news-list__summary">{escape(item.summary)}</p>
      <p><a href="{url}" class="read-more">Read more<span class="visually-hidden"> about {title}</span></a></p>
    </article>
  </li>
  """  # noqa: E501


@register.simple_tag
def news_list(items, heading_level=2, empty_message="There are no news items yet."):
    """An ordered list of `items` (rows from NewsItem.objects.listing()), each
    with its category, date (dd/mm/yyyy), title as a heading of `heading_level`,
    summary and a "Read more" link whose accessible name includes the title."""
    items = list(items)
    if not items:
        return format_html('<ol class="news-list">\n  <li>{}</li>\n</ol>', empty_message)
    level = int(heading_level)
    entries = "".join(
        item_html(item, url, level) for item, url in zip(items, item_urls(items), strict=True)
    )
    return mark_safe(f'<ol class="news-list">\n  {entries}</ol>')
