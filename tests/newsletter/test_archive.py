"""The web archive of digests: a web version of every sent digest without
personal data, human names, and the extension point for extra sections."""

import datetime
import re

import pytest
from django.utils import timezone

from newsletter import schedules, tasks
from newsletter.models import Digest, Frequency

pytestmark = pytest.mark.django_db


def maintenance_sections(digest):
    """An extra section as another app (maintenance windows) would add one."""
    return [
        {
            "title": "Planned maintenance",
            "items": [{"title": "Portal offline", "url": "https://example.org/maintenance/",
                       "text": "Saturday 5 December, 18:00 to 22:00"}],
        },
        {"title": "Nothing here", "items": []},
    ]


@pytest.fixture
def sent_digest(make_item, make_subscriber, categories, django_capture_on_commit_callbacks,
                mailoutbox):
    make_subscriber(email="ann@example.com", topics=[categories[0]])
    make_item(title="Insurer Index v232")
    make_item(title="Monthly MI for October", category=categories[1])
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(digest.pk) == 1
    digest.refresh_from_db()
    return digest


def test_the_archive_lists_sent_digests_and_each_has_a_web_version(
    client, sent_digest, mailoutbox, django_assert_max_num_queries
):
    Digest.objects.create(frequency="monthly", period="2026-10", until=timezone.now())  # unsent
    client.get("/")  # the layout's cached parts (timers, cookie policy, notices)
    # The page's count and rows.
    with django_assert_max_num_queries(2):
        page = client.get("/newsletter/archive/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('href="/newsletter/archive/') == 1
    assert str(sent_digest) in html
    # The digest, its items with their categories, and the base layout's two.
    with django_assert_max_num_queries(5):
        web = client.get(f"/newsletter/archive/{sent_digest.pk}/")
    html = web.content.decode()
    # Every topic's items, whatever one subscriber chose, and nothing personal.
    assert "Insurer Index v232" in html and "Monthly MI for October" in html
    assert "Read more about Insurer Index v232" in html
    assert "ann@example.com" not in html
    assert "/newsletter/unsubscribe/" not in html and "/preferences/" not in html
    main = re.search(r"<main.*</main>", html, re.S).group()
    assert "csrfmiddlewaretoken" not in html and "<form" not in main
    assert "public" in web["Cache-Control"] and not web.cookies
    # The email links to it.
    (message,) = mailoutbox
    assert f"/newsletter/archive/{sent_digest.pk}/" in message.body


def test_an_unsent_digest_has_no_web_version(client, db):
    digest = Digest.objects.create(frequency="weekly", period="2026-W48", until=timezone.now())
    assert client.get(f"/newsletter/archive/{digest.pk}/").status_code == 404


def test_human_digest_names():
    london = datetime.timezone(datetime.timedelta(0))
    monday = datetime.datetime(2026, 11, 30, 9, tzinfo=london)
    weekly = Digest(frequency=Frequency.WEEKLY, period="2026-W49", until=monday)
    assert str(weekly) == "Weekly digest, week of 23 November 2026"
    monthly = Digest(frequency=Frequency.MONTHLY, period="2026-12", until=monday.replace(day=1,
                     month=12))
    assert str(monthly) == "Monthly digest, November 2026"
    forced = Digest(frequency="weekly", period="now-2026-12-01T18:37:57.394547",
                    until=datetime.datetime(2026, 12, 1, 18, 37, tzinfo=london))
    assert str(forced) == "Weekly digest, sent 01/12/2026 18:37"
    from newsletter.digest_content import subject

    assert subject(weekly, 3) == "Claims Portal news: 3 new items, week of 23 November 2026"
    assert subject(weekly, 1) == "Claims Portal news: 1 new item, week of 23 November 2026"


def test_extra_sections_join_the_email_and_the_web_version(client, settings, make_item,
                                                            make_subscriber, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS = [f"{__name__}.maintenance_sections"]
    make_subscriber()
    make_item()
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.build_and_send(digest.pk)
    (message,) = mailoutbox
    for part in (message.body, message.alternatives[0].content,
                 client.get(f"/newsletter/archive/{digest.pk}/").content.decode()):
        assert "Planned maintenance" in part and "Portal offline" in part
        assert "Nothing here" not in part
