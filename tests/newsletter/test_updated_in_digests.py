"""Digests list the major changes to items their subscribers follow under
"Updated" (news.digests.updated_items, in NEWSLETTER_DIGEST_EXTRA_SECTIONS)."""

import datetime

import pytest
from django.utils import timezone

from news.selectors import updated_since
from newsletter import schedules, tasks

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def long_published(make_item):
    def make(**fields):
        return make_item(published_at=timezone.now() - 90 * DAY, **fields)

    return make


def test_the_selector_gives_major_changes_of_the_period_to_items_still_published(
    long_published, make_item
):
    now = timezone.now()
    since = now - 7 * DAY
    updated = long_published(title="Updated this week")
    updated.add_change_note("Corrected the figures.", now - DAY)
    long_published(title="Updated last month").add_change_note("Old news.", now - 30 * DAY)
    withdrawn = long_published(title="Withdrawn since")
    withdrawn.add_change_note("A change.", now - DAY)
    withdrawn.withdraw("Superseded.")
    withdrawn.save()
    new = make_item(title="New this week", published_at=now - 2 * DAY)
    new.add_change_note("Fixed on its second day.", now - DAY)  # a new item, not an update
    assert [note.item.title for note in updated_since(since, now)] == ["Updated this week"]


def test_only_the_items_subscribers_get_the_update_and_the_web_version_shows_it(
    client, long_published, categories, make_subscriber, mailoutbox,
    django_capture_on_commit_callbacks
):
    update, management_info = categories
    item = long_published(title="Insurer Index v232", category=management_info)
    item.add_change_note("Version 232 replaces 231.", timezone.now() - DAY)
    make_subscriber(email="updates-only@example.com", topics=[update])
    make_subscriber(email="mi@example.com", topics=[management_info])
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.build_and_send(digest.pk)
    assert [message.to for message in mailoutbox] == [["mi@example.com"]]
    assert "Version 232 replaces 231." in mailoutbox[0].body
    web = client.get(f"/newsletter/archive/{digest.pk}/").text
    assert "Updated" in web and "Version 232 replaces 231." in web
