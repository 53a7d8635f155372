"""The public pages: the latest release, one release, the measures, the calendar."""

import datetime
import html
import re
from decimal import Decimal

import pytest

from common.months import add_months
from management_information.models import Figure, Release, ReleaseCorrection
from tests.helpers import at, london

pytestmark = pytest.mark.django_db
NOW = london(2027, 1, 5, 12, 0)  # the November 2026 figures came out on 15/12/2026


def text(response):
    """The page's text without tags, spaces collapsed."""
    return html.unescape(
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    )


def test_the_latest_release_shows_each_value_its_changes_and_a_chart(client, monthly_releases):
    monthly_releases()  # January 2025 to November 2026
    with at(NOW):
        response = client.get("/management-information/")
    assert response.status_code == 200
    page = text(response)
    assert "Management information: November 2026" in page
    assert "Published 15/12/2026 at 9:30am" in page
    # RTA: 1,220 in November 2026; 1,210 in October; 1,100 in November 2025.
    assert "RTA claims notified 1,220 up 10 (0.8%) up 120 (10.9%)" in page
    # A percentage changes in percentage points.
    assert "62.2% up 0.1 percentage points up 1.2 percentage points" in page
    markup = response.content.decode()
    # A chart of the last 24 months for each measure, with its table.
    assert markup.count('<figure class="chart chart--line"') == 3
    assert "RTA claims notified, December 2024 to November 2026" not in page  # no such data
    assert "RTA claims notified, January 2025 to November 2026" in page
    assert '<th scope="row">January 2025</th><td class="table__numeric">1,000</td>' in markup
    assert ("From January 2025 to November 2026, RTA claims notified rose from 1,000 to "
            "1,220") in page


def test_the_chart_covers_24_months_only(client, monthly_releases):
    monthly_releases(count=36, first=datetime.date(2024, 1, 1))  # to December 2026
    with at(london(2027, 2, 1)):
        markup = client.get("/management-information/").content.decode()
    assert "RTA claims notified, January 2025 to December 2026" in markup
    assert '<th scope="row">December 2024</th>' not in markup


def test_a_release_page_and_its_neighbours(client, monthly_releases):
    monthly_releases()
    with at(NOW):
        response = client.get("/management-information/2026/06/")
        assert response.status_code == 200
        page = text(response)
        assert "Management information: June 2026" in page
        assert "May 2026 · July 2026" in page
        # The chart ends at the release's month, not at later ones.
        assert "RTA claims notified, January 2025 to June 2026" in page
        assert client.get("/management-information/2026/6/").status_code == 404
        assert client.get("/management-information/2026/13/").status_code == 404
        assert client.get("/management-information/2031/01/").status_code == 404


def test_a_release_becomes_public_at_its_time_without_a_worker(client, make_release, measures):
    release = make_release(datetime.date(2026, 11, 1), {measures[0]: 5})
    url = "/management-information/2026/11/"
    with at(release.published_at - datetime.timedelta(seconds=1)):
        assert client.get(url).status_code == 404
        assert "No management information has been published yet" in text(
            client.get("/management-information/")
        )
        assert client.get(url + "figures.csv").status_code == 404
    with at(release.published_at):
        assert client.get(url).status_code == 200
        assert client.get("/management-information/").status_code == 200
        assert client.get(url + "figures.csv").status_code == 200


def test_drafts_are_not_public(client, make_release, measures):
    make_release(datetime.date(2026, 11, 1), {measures[0]: 5}, status=Release.Status.DRAFT)
    with at(NOW):
        assert client.get("/management-information/2026/11/").status_code == 404
        assert client.get("/management-information/measures/rta-claims/").status_code == 404


def test_a_revised_release_says_so_and_keeps_the_old_figure(client, make_release, measures):
    release = make_release(datetime.date(2026, 11, 1), {measures[0]: 1234})
    Figure.objects.filter(release=release).update(value=1243)
    ReleaseCorrection.objects.create(
        release=release, reason="A supplier's late data", corrected_at=london(2027, 1, 3, 10),
        changes=[{"code": "rta-claims", "measure": "RTA claims notified", "previous": "1234",
                  "value": "1243"}],
    )
    with at(NOW):
        page = text(client.get("/management-information/2026/11/"))
        assert ("Revised on 03/01/2027: A supplier's late data RTA claims notified was 1,234, "
                "now 1,243.") in page
        assert "1,243 (revised)" in page
        measure_page = text(client.get("/management-information/measures/rta-claims/"))
        assert "Revised on 03/01/2027 ( November 2026 figures ): A supplier's late data" in (
            measure_page)


def test_illustrative_figures_are_labelled(client, make_release, measures):
    make_release(datetime.date(2026, 11, 1), {measures[0]: 5}, illustrative=True)
    with at(NOW):
        assert "Illustrative figures." in text(client.get("/management-information/"))


def test_a_measure_page_has_its_whole_series(client, monthly_releases):
    monthly_releases()
    with at(NOW):
        response = client.get("/management-information/measures/rta-claims/")
        assert response.status_code == 200
        page = text(response)
        assert "Latest figure 1,220 in November 2026" in page
        assert "RTA claims notified, January 2025 to November 2026" in page
        assert page.count("January 2025") >= 2  # the title and the table
        index = text(client.get("/management-information/measures/"))
        assert "Claims notified RTA claims notified EL claims notified Portal use" in index
        assert client.get("/management-information/measures/nothing/").status_code == 404


def test_the_calendar_lists_upcoming_and_published_releases_and_moves(client, make_release,
                                                                      measures):
    make_release(datetime.date(2026, 10, 1), {measures[0]: 1})
    make_release(datetime.date(2026, 11, 1), {measures[0]: 2},
                 announced_date=datetime.date(2026, 12, 15),
                 published_at=london(2026, 12, 17, 9, 30),
                 date_change_reason="Waiting for a supplier's figures.")
    make_release(datetime.date(2026, 12, 1), status=Release.Status.DRAFT, announced=True)
    make_release(datetime.date(2027, 1, 1), status=Release.Status.DRAFT)  # not announced
    with at(london(2026, 12, 16, 12)):
        page = text(client.get("/management-information/calendar/"))
    upcoming, published = page.split("Upcoming releases, soonest first")[1].split(
        "Published releases, newest first")
    assert ("November 2026 17/12/2026 Moved from 15/12/2026 to 17/12/2026: Waiting for a "
            "supplier's figures.") in upcoming
    assert "December 2026 15/01/2027 As announced" in upcoming
    assert "January 2027" not in page
    assert "October 2026 15/11/2026 As announced" in published


def test_an_announced_release_past_its_time_is_delayed(client, make_release):
    make_release(datetime.date(2026, 11, 1), status=Release.Status.DRAFT, announced=True)
    with at(london(2026, 12, 16, 12)):
        page = text(client.get("/management-information/calendar/"))
    assert "November 2026 15/12/2026 Delayed: due on 15/12/2026 and not published yet." in page


# ---- queries


def query_counts(client, settings, django_assert_max_num_queries, urls):
    settings.PAGE_CACHE_TIMEOUT = 0  # the pages themselves, not the cache
    # The layout's site-wide caches (timers, cookie policy, maintenance notices), once.
    client.get("/robots.txt")
    client.get("/cookies/")
    counts = {}
    for url in urls:
        for _ in range(2):
            with django_assert_max_num_queries(9) as captured:
                assert client.get(url).status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_queries_do_not_grow_with_releases_months_or_measures(
    client, settings, django_assert_max_num_queries, make_release, measures
):
    from management_information.models import Measure

    def load(first, count, measure_list):
        for n in range(count):
            make_release(add_months(first, n), {m: n + 1 for m in measure_list})

    urls = ["/management-information/", "/management-information/2020/12/",
            "/management-information/measures/", "/management-information/measures/rta-claims/",
            "/management-information/calendar/", "/management-information/calendar.ics",
            "/management-information/2020/12/figures.csv",
            "/management-information/2020/12/figures.json",
            "/management-information/2020/12/figures.xlsx",
            "/management-information/measures/rta-claims/series.json", "/sitemap.xml"]
    with at(london(2021, 2, 1)):
        load(datetime.date(2020, 11, 1), 2, measures[:1])
        small = query_counts(client, settings, django_assert_max_num_queries, urls)
    # Ten years of months, and seven times the measures.
    group = measures[0].group
    more = measures + [Measure.objects.create(group=group, code=f"m{n}", name=f"Measure {n}")
                       for n in range(18)]
    Release.objects.all().delete()
    with at(london(2021, 2, 1)):
        load(datetime.date(2011, 1, 1), 120, more)
        large = query_counts(client, settings, django_assert_max_num_queries, urls)
    assert Figure.objects.count() == 120 * 21
    assert small == large, (small, large)


def test_a_release_page_of_ten_years_and_twenty_measures_draws_each_chart(client, settings,
                                                                         make_release, measures):
    """The benchmark's page (bench/management_information.py): every chart, 24 months each."""
    from management_information.models import Measure

    group = measures[0].group
    more = [Measure.objects.create(group=group, code=f"m{n}", name=f"Measure {n}")
            for n in range(17)]
    for n in range(120):
        make_release(add_months(datetime.date(2011, 1, 1), n),
                     {m: Decimal(n * 10 + i) for i, m in enumerate(measures + more)})
    with at(london(2021, 2, 1)):
        markup = client.get("/management-information/2020/12/").content.decode()
    assert markup.count('<figure class="chart') == 20
    assert markup.count('<th scope="row">January 2019</th>') == 20
    assert '<th scope="row">December 2018</th>' not in markup
