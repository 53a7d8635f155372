"""Saving a live item asks whether readers need to know. A major change shows
“Updated” with its note on the page, moves the feeds' and JSON-LD's modified
date and goes to the item's subscribers under "Updated"; a minor one does none
of that."""

import datetime
import json
import re

import feedparser
import pytest
from django.utils import timezone

from news.models import ChangeNote
from newsletter import schedules, tasks

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_item(live_item):
    """Online for two months: readers have seen it."""
    live_item.published_at = timezone.now() - datetime.timedelta(days=60)
    live_item.save()
    return live_item


def json_ld_article(html):
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        if data.get("@type") == "NewsArticle":
            return data
    raise AssertionError("no NewsArticle on the page")


def atom_updated(client):
    entry = feedparser.parse(client.get("/news/feed/atom/").content).entries[0]
    return datetime.datetime(*entry.updated_parsed[:6], tzinfo=datetime.UTC)


def send_weekly_digest(django_capture_on_commit_callbacks):
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.build_and_send(digest.pk)
    return digest


def test_a_major_change_is_announced_on_the_page_in_feeds_and_to_its_subscribers(
    client, publisher, old_item, categories, make_subscriber, mailoutbox,
    django_capture_on_commit_callbacks,
):
    update, management_info = categories
    make_subscriber(email="ann@example.com", topics=[update])
    make_subscriber(email="bob@example.com", topics=[management_info])
    make_subscriber(email="cat@example.com")  # every topic

    client.force_login(publisher)
    form = change_data(old_item, summary="The corrected summary.", change_kind="major",
                       change_note="Corrected the release date of version 232.")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(old_item), form).status_code == 302
    note = ChangeNote.objects.get()
    old_item.refresh_from_db()
    assert old_item.public_updated_at == note.published_at

    reader = client.__class__()
    page = reader.get(old_item.get_absolute_url()).text
    day = timezone.localtime(note.published_at)
    assert f'Updated <time datetime="{day:%Y-%m-%d}">{day:%d/%m/%Y}</time>' in page
    assert "Updates to this item" in page
    assert "Corrected the release date of version 232." in page
    assert "First published." in page
    assert json_ld_article(page)["dateModified"] == note.published_at.isoformat()
    assert abs(atom_updated(reader) - note.published_at) < datetime.timedelta(seconds=1)

    send_weekly_digest(django_capture_on_commit_callbacks)
    told = {message.to[0]: message for message in mailoutbox}
    assert set(told) == {"ann@example.com", "cat@example.com"}  # not bob: not his topic
    message = told["ann@example.com"]
    for part in (message.body, message.alternatives[0].content):
        assert "Updated" in part and "Insurer Index v232" in part
        assert "Corrected the release date of version 232." in part
    assert message.subject.startswith("Claims Portal news: updated items, ")


def test_a_minor_change_announces_nothing(client, publisher, old_item, make_subscriber,
                                          mailoutbox, django_capture_on_commit_callbacks):
    make_subscriber()
    client.force_login(publisher)
    form = change_data(old_item, summary="Typo fixed.", change_kind="minor")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(old_item), form).status_code == 302
    old_item.refresh_from_db()
    assert old_item.summary == "Typo fixed." and old_item.public_updated_at is None
    assert not ChangeNote.objects.exists()
    page = client.__class__().get(old_item.get_absolute_url()).text
    assert "Updated" not in page and "Updates to this item" not in page
    assert json_ld_article(page)["dateModified"] == old_item.published_at.isoformat()
    send_weekly_digest(django_capture_on_commit_callbacks)
    assert mailoutbox == []  # nothing new, nothing updated


def test_the_question_must_be_answered_and_a_major_change_needs_a_note(client, publisher,
                                                                       old_item):
    client.force_login(publisher)
    form = change_data(old_item, summary="Changed.")
    del form["change_kind"]
    response = client.post(change_url(old_item), form)
    assert response.status_code == 200
    assert "Say whether this is a major or a minor change." in response.text
    response = client.post(change_url(old_item), {**form, "change_kind": "major",
                                                   "change_note": "  "})
    assert "A major change needs a note for readers." in response.text
    old_item.refresh_from_db()
    assert old_item.summary == "The live summary."


def test_only_items_readers_can_see_ask(client, publisher, category):
    from news.models import NewsItem

    draft = NewsItem.objects.create(title="Draft", category=category, summary="S")
    client.force_login(publisher)
    assert "Do readers need to know" not in client.get(change_url(draft)).text
    scheduled = NewsItem.objects.create(
        title="Later", category=category, summary="S", status="published",
        published_at=timezone.now() + datetime.timedelta(days=1))
    assert "Do readers need to know" not in client.get(change_url(scheduled)).text


def test_an_editors_major_change_is_announced_when_a_publisher_publishes_it(
    client, editor, publisher, old_item, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    page = client.get(change_url(old_item)).text
    assert "Do readers need to know about this change?" in page
    client.post(change_url(old_item), {**change_data(
        old_item, title="Insurer Index v232 (corrected)", change_kind="major",
        change_note="The title named the wrong version."), "_submit": "1"})
    assert not ChangeNote.objects.exists()  # not live yet
    assert "Updated" not in client.__class__().get(old_item.get_absolute_url()).text

    client.force_login(publisher)
    review = f"/admin/news/newsitem/{old_item.pk}/review/"
    assert "Readers will be told: “The title named the wrong version.”" in client.get(review).text
    # The Publisher's own form shows the Editor's answer too.
    assert re.search(r'value="major"[^>]*checked', client.get(change_url(old_item)).text)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(review, {"decision": "publish"})
    note = ChangeNote.objects.get()
    assert note.note == "The title named the wrong version."
    assert "The title named the wrong version." in client.__class__().get(
        old_item.get_absolute_url()).text
