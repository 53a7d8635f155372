"""Releases reach the next digest of Management info subscribers
(settings.NEWSLETTER_DIGEST_EXTRA_SECTIONS)."""

import datetime

import pytest
from django.utils import timezone

from common.months import add_months
from management_information.digests import new_releases
from management_information.models import Release
from newsletter import schedules, tasks

pytestmark = pytest.mark.django_db


def release_at(make_release, measures, moment, months_before=1, **fields):
    """A release published at `moment` for a month before it."""
    period = add_months(timezone.localdate(moment).replace(day=1), -months_before)
    return make_release(period, {measures[0]: 1220}, published_at=moment, **fields)


def test_a_release_published_since_the_last_digest_is_in_the_next_one(
    client, make_subscriber, categories, make_release, measures, mailoutbox,
    django_capture_on_commit_callbacks,
):
    make_subscriber(email="mi@example.com", topics=[categories[1]])  # Management info
    release = release_at(make_release, measures, timezone.now() - datetime.timedelta(days=2))
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(digest.pk) == 1
    (message,) = mailoutbox
    web = client.get(f"/newsletter/archive/{digest.pk}/").content.decode()
    for part in (message.body, message.alternatives[0].content, web):
        assert "Management information" in part
        assert release.title in part
        assert f"http://127.0.0.1:8000{release.get_absolute_url()}" in part
        assert "RTA claims notified 1,220" in part


def test_only_releases_public_within_the_digests_period(make_release, measures):
    now = timezone.now()
    old = release_at(make_release, measures, now - datetime.timedelta(days=40), months_before=4)
    new = release_at(make_release, measures, now - datetime.timedelta(days=3))
    scheduled = release_at(make_release, measures, now + datetime.timedelta(days=3),
                           months_before=0)
    draft = release_at(make_release, measures, now - datetime.timedelta(days=3), months_before=2,
                       status=Release.Status.DRAFT)
    digest = schedules.forced_digest("weekly")
    digest.since = now - datetime.timedelta(days=7)
    (section,) = new_releases(digest)
    titles = [item["title"] for item in section["items"]]
    assert titles == [new.title]
    assert old.title not in titles and scheduled.title not in titles and draft.title not in titles
    # The news category whose subscribers the section is for.
    assert section["category"] == "management-info"
