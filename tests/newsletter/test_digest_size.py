"""A digest is never clipped: past NEWSLETTER_MAX_HTML_BYTES (90 KB; Gmail
clips messages whose HTML passes 102 KB, hiding the unsubscribe link at the
bottom) the newest items are shown in full and the rest as links. And the
admin's preview of the next digest, with its size."""

import datetime
import html as html_lib
import re

import pytest
from django.utils import timezone

from newsletter import digests, emails, schedules, sending
from newsletter.models import Digest, Subscriber
from tests.helpers import member_of

from .conftest import links

pytestmark = pytest.mark.django_db

SUMMARY = (
    "The Claims Portal has been updated. This release covers the Insurer Index, changes to "
    "the process for claims, the management information for the month, which is now "
    "available to download, and the dates of planned maintenance over the coming weeks. "
) * 3


@pytest.fixture
def busy_month(make_item, categories):
    """300 items published over the last month."""
    now = timezone.now()
    return [
        make_item(
            title=f"Item {n:03d}: Insurer Index v{200 + n} and the monthly MI report",
            summary=SUMMARY[:590],
            category=categories[n % 2],
            published_at=now - datetime.timedelta(hours=2 * (300 - n)),
        )
        for n in range(300)
    ]


def test_a_300_item_month_stays_under_90_kb_and_keeps_its_unsubscribe_link(
    busy_month, make_subscriber, smtp_server, settings
):
    subscriber = make_subscriber(frequency="monthly")
    digest = schedules.forced_digest("monthly")
    digests.build(digest.pk)
    while sending.send_chunk(digest.pk).more:
        pass
    ((rcpt, message),) = smtp_server.parsed()
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert len(html.encode()) <= settings.NEWSLETTER_MAX_HTML_BYTES
    assert len(html.encode()) > settings.NEWSLETTER_MAX_HTML_BYTES * 0.8  # as much as fits
    # The unsubscribe link survives, in both bodies and the header, the recipient's own.
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert "/newsletter/unsubscribe/" in unsubscribe
    assert f'href="{unsubscribe}"' in html and unsubscribe in links(text)
    # The newest items in full, the rest as links: every item is there.
    newest, oldest = busy_month[-1], busy_month[0]
    assert f"Read more about {newest.title}" in html
    assert f"Read more about {oldest.title}" not in html
    assert "More news" in html and oldest.title in html
    for item in busy_month:
        assert html_lib.escape(item.title) in html
    in_full = len(re.findall("Read more about", html))
    assert 10 < in_full < 300
    assert rcpt == [subscriber.email]


def test_when_even_links_do_not_fit_the_rest_is_on_the_web_version(
    busy_month, make_subscriber, settings
):
    settings.NEWSLETTER_MAX_HTML_BYTES = 20 * 1024
    subscriber = make_subscriber(frequency="monthly")
    digest = schedules.forced_digest("monthly")
    digests.build(digest.pk)
    renderer = emails.DigestRenderer(digest, busy_month)
    items = renderer.items_for(subscriber.digested_until, None)
    bodies = renderer.bodies(items)
    assert bodies.in_full == 0 and 0 < bodies.as_links < 300
    assert bodies.left_out == 300 - bodies.as_links
    message = renderer.message(subscriber, items)
    html = message.alternatives[0].content
    assert len(html.encode()) <= 20 * 1024
    assert f"{bodies.left_out} more items on the website" in html
    assert digest.get_absolute_url() in html
    assert "/newsletter/unsubscribe/" in html


def test_an_ordinary_digest_is_shown_whole(make_item, make_subscriber):
    make_item(title="Insurer Index v232")
    subscriber = make_subscriber()
    renderer, items = digests.next_digest("weekly")
    bodies = renderer.bodies(items)
    assert (bodies.in_full, bodies.as_links, bodies.left_out) == (1, 0, 0)
    assert "More news" not in bodies.html
    assert subscriber  # the preview needs no subscriber row


class TestPreview:
    URL = "/admin/newsletter/digest/preview/"

    @pytest.fixture
    def manager(self, client):
        client.force_login(member_of("Newsletter managers", "nora", email=True))
        return client

    def test_the_next_digest_as_it_will_be_sent(self, manager, make_item, categories):
        make_item(title="Insurer Index v232", category=categories[0])
        make_item(title="Monthly MI report", category=categories[1])
        Digest.objects.create(
            frequency="weekly", period="old", until=timezone.now() - datetime.timedelta(days=7),
            status="done",
        )
        page = manager.get(self.URL, {"frequency": "weekly", "topics": [categories[0].pk]})
        assert page.status_code == 200
        content = page.content.decode()
        assert "Claims Portal news: 1 new item" in content
        assert "Insurer Index v232" in content and "Monthly MI report" not in content
        # The HTML in a sandboxed frame (escaped into srcdoc), the text as text.
        frame = re.search(r'<iframe title="The digest\'s HTML" sandbox srcdoc="([^"]*)"', content)
        srcdoc = html_lib.unescape(frame.group(1))
        assert srcdoc.startswith("<!DOCTYPE html>") and "Unsubscribe</a>" in srcdoc
        assert "Read more about Insurer Index v232" in srcdoc
        assert re.search(r'<pre id="preview-text"[^>]*>.*Unsubscribe: https?://', content, re.S)
        sizes = re.search(r'<table id="preview-sizes">(.*?)</table>', content, re.S).group(1)
        assert "KB" in sizes and "limit 90.0" in sizes

    def test_every_topic_by_default_and_nothing_to_send(self, manager, make_item):
        page = manager.get(self.URL, {"frequency": "monthly"})
        assert "Nothing has been published for these choices" in page.content.decode()
        make_item(title="Insurer Index v232")
        page = manager.get(self.URL, {"frequency": "monthly"})
        assert "Insurer Index v232" in page.content.decode()

    def test_bad_choices_are_a_clear_400(self, manager):
        page = manager.get(self.URL, {"frequency": "hourly", "topics": ["x"]})
        assert page.status_code == 400
        assert b"Select a valid choice" in page.content
        assert manager.get(self.URL).status_code == 200  # the form alone

    def test_the_digest_list_and_page_link_to_it(self, manager, make_item, make_subscriber):
        assert b"Preview the next digest" in manager.get("/admin/newsletter/digest/").content
        make_item()
        make_subscriber()
        digest = schedules.forced_digest("weekly")
        page = manager.get(f"/admin/newsletter/digest/{digest.pk}/change/").content.decode()
        assert "?frequency=weekly" in page

    def test_staff_without_newsletter_rights_cannot_see_it(self, client):
        client.force_login(member_of("Editors"))
        assert client.get(self.URL, {"frequency": "weekly"}).status_code == 403


def test_the_test_digest_uses_the_same_next_digest(admin_user, make_item, mailoutbox):
    from newsletter.admin import test_digest_message
    from newsletter.models import DigestSchedule

    make_item(title="Insurer Index v232")
    schedule = DigestSchedule.objects.create(frequency="weekly")
    message = test_digest_message(schedule, "nora@example.org")
    assert message.subject.startswith("[Test] Claims Portal news: 1 new item")
    assert message.to == ["nora@example.org"]
    assert Subscriber.objects.count() == 0  # no row is made for it
