import datetime

import pytest
import time_machine

from maintenance import surrogate_keys as keys
from maintenance.models import MaintenanceNotice
from maintenance.selectors import scheduled_changes
from maintenance.wording import banner_sentence, window
from tests.helpers import at, london

pytestmark = pytest.mark.django_db

OCTOBER = (
    "Planned maintenance: all Claims Portal services will be unavailable "
    "from 9pm on Saturday 24 October to 7:30am on Sunday 25 October"
)


class TestWording:
    def test_the_seed_sentence(self, make_notice):
        notice = make_notice()
        assert banner_sentence(notice, now=london(2020, 10, 23, 12, 0)) == OCTOBER

    def test_the_end_of_summer_time_makes_the_window_eleven_and_a_half_hours(self, make_notice):
        assert make_notice().duration == datetime.timedelta(hours=11, minutes=30)

    def test_same_day_window_and_some_services(self, make_notice):
        notice = make_notice(
            starts_at=london(2020, 7, 19, 8, 0),
            ends_at=london(2020, 7, 19, 14, 0),
            a2a=False,
        )
        assert notice.services_label == "the web portal and the training site"
        assert window(notice.starts_at, notice.ends_at, with_year=True) == (
            "from 8am to 2pm on Sunday 19 July 2020"
        )

    def test_while_in_progress(self, make_notice):
        notice = make_notice()
        assert banner_sentence(notice, now=london(2020, 10, 24, 22, 0)) == (
            "Maintenance in progress: all Claims Portal services will be unavailable "
            "until 7:30am on Sunday 25 October"
        )

    def test_midnight_and_midday(self, make_notice):
        notice = make_notice(starts_at=london(2020, 5, 25, 0, 0), ends_at=london(2020, 5, 25, 12))
        assert window(notice.starts_at, notice.ends_at) == (
            "from midnight to midday on Monday 25 May"
        )


class TestModel:
    def test_banner_defaults_to_the_configured_hours_before_the_start(self, make_notice, settings):
        settings.MAINTENANCE_BANNER_HOURS = 48
        notice = make_notice()
        assert notice.banner_from == london(2020, 10, 22, 21, 0)

    def test_sequence_rises_on_every_change(self, make_notice):
        notice = make_notice()
        assert notice.sequence == 0
        notice.title = "Changed"
        notice.save()
        notice.cancelled = True
        notice.save()
        notice.refresh_from_db()
        assert notice.sequence == 2

    @pytest.mark.parametrize(
        "fields, error_field",
        [
            ({"ends_at": london(2020, 10, 24, 20, 0)}, "ends_at"),
            ({"banner_from": london(2020, 10, 24, 22, 0)}, "banner_from"),
            ({"web_portal": False, "a2a": False, "training_site": False}, "__all__"),
        ],
    )
    def test_validation(self, fields, error_field):
        from django.core.exceptions import ValidationError

        values = {
            "title": "x",
            "starts_at": london(2020, 10, 24, 21, 0),
            "ends_at": london(2020, 10, 25, 7, 30),
            **fields,
        }
        with pytest.raises(ValidationError) as caught:
            MaintenanceNotice(**values).full_clean()
        assert error_field in caught.value.message_dict


BANNER_FROM = london(2020, 10, 21, 21, 0)  # 72 hours before the start
START, END = london(2020, 10, 24, 21, 0), london(2020, 10, 25, 7, 30)
SECOND = datetime.timedelta(seconds=1)


class TestBanner:
    @pytest.fixture
    def notice(self, make_notice):
        return make_notice()

    @pytest.mark.parametrize(
        "moment, expected",
        [
            (BANNER_FROM - SECOND, None),
            (BANNER_FROM, "Planned maintenance: all Claims Portal services"),
            (START - SECOND, "Planned maintenance: all Claims Portal services"),
            (START, "Maintenance in progress"),
            (END - SECOND, "Maintenance in progress"),
            (END, None),
        ],
    )
    def test_appears_and_disappears_at_the_exact_times(self, client, notice, moment, expected):
        with at(moment):
            page = client.get("/news/").text
        if expected is None:
            assert "maintenance-banner" not in page
        else:
            assert expected in page
            assert f'href="/maintenance/{notice.pk}/"' in page

    def test_no_banner_for_drafts_or_cancelled_windows(self, client, make_notice):
        make_notice(status=MaintenanceNotice.Status.DRAFT)
        make_notice(cancelled=True)
        with at(START):
            assert "maintenance-banner" not in client.get("/").text

    def test_every_public_page_carries_it(self, client, notice):
        with at(START):
            for url in ["/", "/news/", "/maintenance/", "/cookies/", "/newsletter/"]:
                assert "Maintenance in progress" in client.get(url).text, url

    def test_timers_name_each_moment_and_what_it_changes(self, notice):
        listed = {keys.NOTICES, keys.notice(notice.pk)}
        changes = scheduled_changes(BANNER_FROM - SECOND, END)
        assert [(moment, set(changed)) for moment, changed in changes] == [
            (BANNER_FROM, {keys.BANNER}),
            (START, {keys.BANNER, *listed}),
            (END, {keys.BANNER, *listed}),
        ]
        # 11½ hours: the clocks go back in between.
        assert (changes[2][0] - changes[1][0]).total_seconds() == 11.5 * 3600
        assert scheduled_changes(END, END + datetime.timedelta(days=7)) == []

    def test_cached_pages_end_when_the_banner_appears_and_others_stay(
        self, client, notice, clock_cache
    ):
        before = BANNER_FROM - datetime.timedelta(minutes=5)
        with time_machine.travel(before, tick=False):
            page = client.get("/news/")
            feed = client.get("/news/feed/")  # no banner in a feed
            assert client.get("/news/")["X-Page-Cache"] == "hit"
        assert "maintenance-banner" not in page.text
        # No cache keeps a page with the banner past the moment it appears …
        assert "s-maxage=300" in page["Cache-Control"]
        assert "s-maxage=600" in feed["Cache-Control"]
        # … and the page made afresh then carries it; the feed was not touched.
        with time_machine.travel(BANNER_FROM, tick=False):
            response = client.get("/news/")
            assert client.get("/news/feed/")["X-Page-Cache"] == "hit"
        assert response["X-Page-Cache"] == "miss"
        assert "Planned maintenance" in response.text
        assert keys.BANNER in response["Surrogate-Key"].split()

    def test_saving_a_notice_ends_cached_pages(
        self, client, notice, django_capture_on_commit_callbacks
    ):
        with at(START):
            assert client.get("/news/")["X-Page-Cache"] == "miss"
            assert client.get("/news/")["X-Page-Cache"] == "hit"
            with django_capture_on_commit_callbacks(execute=True):
                notice.cancelled = True
                notice.save()
            response = client.get("/news/")
        assert response["X-Page-Cache"] == "miss"
        assert "maintenance-banner" not in response.text

    def test_saving_a_notice_far_ahead_leaves_other_pages_cached(
        self, client, make_notice, django_capture_on_commit_callbacks
    ):
        with at(BANNER_FROM - datetime.timedelta(days=30)):
            client.get("/news/")
            with django_capture_on_commit_callbacks(execute=True):
                make_notice()  # its banner is a month away
            assert client.get("/news/")["X-Page-Cache"] == "hit"

    def test_the_banner_costs_no_query_once_cached(
        self, client, notice, settings, django_assert_num_queries
    ):
        from maintenance.templatetags.maintenance import maintenance_banner

        with at(START):
            maintenance_banner({})
            with django_assert_num_queries(0):
                assert maintenance_banner({})["notices"]


def test_announced_since_gives_digests_the_windows_subscribers_have_not_been_told_about(
    make_notice,
):
    from maintenance.selectors import announced_since

    with at(london(2020, 10, 1, 9)):
        told = make_notice(title="Told")
    with at(london(2020, 10, 5, 9)):
        new = make_notice(title="New")
        make_notice(title="Cancelled", cancelled=True)
        make_notice(title="Draft", status=MaintenanceNotice.Status.DRAFT)
        make_notice(title="Over", starts_at=london(2020, 9, 1), ends_at=london(2020, 9, 2))
    last_digest = london(2020, 10, 2, 9)
    assert list(announced_since(last_digest, now=london(2020, 10, 6))) == [new]
    # A window changed after the last digest is news again.
    with at(london(2020, 10, 6, 9)):
        told.ends_at = london(2020, 10, 25, 9)
        told.save()
    assert set(announced_since(last_digest, now=london(2020, 10, 7))) == {told, new}
