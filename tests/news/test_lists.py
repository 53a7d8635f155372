"""The item lists (templates/news/_news_list.html) and the pagination of archives."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from news.models import NewsItem

pytestmark = pytest.mark.django_db


def render_list(items, **options):
    arguments = " ".join(f"{name}={value!r}" for name, value in options.items())
    template = Template('{% include "news/_news_list.html" with items=items ' + arguments + " %}")
    return template.render(Context({"items": items}))


class TestNewsList:
    def test_each_item_links_to_its_page_with_date_and_category(self, make_item):
        first = make_item(title="First", date=datetime.date(2020, 3, 4))
        second = make_item(title="Second", date=datetime.date(2019, 12, 31), archive_year=2019)
        html = render_list(NewsItem.objects.listing())
        for item in (first, second):
            assert html.count(f'href="{item.get_absolute_url()}"') == 2  # title and Read more
        assert '<time datetime="2020-03-04">04/03/2020</time>' in html
        assert '<time datetime="2019-12-31">31/12/2019</time>' in html
        assert html.index("First") < html.index("Second")
        assert html.count('<a class="tag" href="/news/category/update/">Update</a>') == 2

    def test_text_is_escaped(self, make_item, category):
        category.name = "Updates & <b>news</b>"
        category.save()
        make_item(title='<script>alert("t")</script>', summary="<img src=x onerror=alert(1)>")
        html = render_list(NewsItem.objects.listing())
        assert "<script>" not in html and "<img" not in html and "<b>" not in html
        assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "Updates &amp; &lt;b&gt;news&lt;/b&gt;" in html

    def test_heading_level_and_accessible_read_more(self, make_item):
        item = make_item(title="Scheduled Maintenance")
        html = render_list(NewsItem.objects.listing(), heading_level=3)
        assert f'<h3 class="news-list__title" id="news-item-{item.pk}">' in html
        assert f'<article aria-labelledby="news-item-{item.pk}">' in html
        assert '<span class="visually-hidden"> about Scheduled Maintenance</span>' in html

    def test_empty_list_says_so(self):
        template = Template(
            '{% include "news/_news_list.html" with items=items empty_message=message %}'
        )
        context = Context({"items": NewsItem.objects.none(), "message": "Nothing <here>"})
        assert "<li>Nothing &lt;here&gt;</li>" in template.render(context)


class TestCountlessPagination:
    """Archive and category pages fetch one row more than a page instead of counting."""

    @pytest.fixture
    def items(self, make_item):
        return [make_item(date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n))
                for n in range(51)]

    def test_first_page_shows_fifty_and_links_to_the_next(self, client, items, settings):
        settings.PAGE_CACHE_TIMEOUT = 0
        cache.clear()  # the list is read, not served from its fragment
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/news/2020/")
        items_read = [q["sql"] for q in queries if '"news_newsitem"."summary"' in q["sql"]]
        # The rows once (51 of them: one more tells a next page exists), and no COUNT.
        assert len(items_read) == 1 and "COUNT(" not in items_read[0], items_read
        assert response.text.count('class="news-list__item"') == 50
        assert 'href="?page=2" rel="next"' in response.text
        assert "<li>Page 1</li>" in response.text
        assert 'rel="prev"' not in response.text

    def test_last_page_has_no_next_link(self, client, items):
        response = client.get("/news/2020/?page=2")
        assert response.status_code == 200
        assert response.text.count('class="news-list__item"') == 1
        assert items[0].title in response.text  # the oldest comes last
        assert 'href="?page=1" rel="prev"' in response.text
        assert 'rel="next"' not in response.text

    def test_a_page_past_the_end_is_404(self, client, items):
        assert client.get("/news/2020/?page=3").status_code == 404

    def test_exactly_one_page_is_not_paginated(self, client, items):
        items[0].delete()
        response = client.get("/news/2020/")
        assert response.text.count('class="news-list__item"') == 50
        assert 'class="pagination"' not in response.text

    def test_category_pages_paginate_the_same_way(self, client, items):
        response = client.get("/news/category/update/?page=3")
        assert response.status_code == 200
        assert response.text.count('class="news-list__item"') == 11
        assert 'href="?page=2" rel="prev"' in response.text
        assert client.get("/news/category/update/?page=4").status_code == 404
