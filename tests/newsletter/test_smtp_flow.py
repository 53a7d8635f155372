"""Sign-up to confirmation to digest to one-click unsubscribe, through a real SMTP
server on loopback, with every message parsed and its links followed."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from newsletter.models import CONSENT_VERSION, Subscriber

from .conftest import links, path_of

pytestmark = pytest.mark.django_db


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_sign_up_confirm_digest_one_click_unsubscribe(
    client, categories, make_item, smtp_server, settings, django_capture_on_commit_callbacks
):
    update, mi = categories
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/newsletter/",
            {
                "email": "Reader@Example.com",
                "topics": [update.pk],
                "frequency": "immediate",
                "consent_version": CONSENT_VERSION,
                "source": "banner",
            },
        )
    assert response.status_code == 302

    # 1. The confirmation email.
    ((rcpt, confirmation),) = smtp_server.parsed()
    assert rcpt == ["reader@example.com"]
    assert confirmation["To"] == "reader@example.com"
    assert confirmation.is_multipart()
    text, html = parts(confirmation)
    confirm_url = next(u for u in links(text) if "/newsletter/confirm/" in u)
    assert confirm_url in html
    page = client.get(path_of(confirm_url, settings))
    assert page.status_code == 200 and b"Confirm your subscription" in page.content
    assert client.post(path_of(confirm_url, settings)).status_code == 200
    assert Subscriber.objects.get().status == "confirmed"

    # 2. News is published; the next run sends a digest.
    Subscriber.objects.update(digested_until=timezone.now() - datetime.timedelta(hours=1))
    make_item(title="Insurer Index v232", category=update, date=datetime.date(2026, 11, 20))
    make_item(title="Executive dashboard", category=mi)  # not a chosen topic
    with django_capture_on_commit_callbacks(execute=True), open("/dev/null", "w") as out:
        call_command("send_digests", frequency=["immediate"], stdout=out)
    rcpt, digest = smtp_server.parsed()[1]
    assert rcpt == ["reader@example.com"]
    subscriber = Subscriber.objects.get()
    delivery = subscriber.deliveries.get()
    assert delivery.status == "sent"
    assert digest["Message-ID"] == (
        f"<digest-{delivery.digest_id}.{subscriber.public_id.hex}@127.0.0.1>"
    )
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (unsubscribe_url,) = re.findall(r"<(https?://[^>]+)>", digest["List-Unsubscribe"])
    assert digest["Subject"].startswith("Claims Portal news: 1 new item, sent ")
    text, html = parts(digest)
    for part in (text, html):
        assert "Insurer Index v232" in part
        assert "20/11/2026" in part
        assert "Update" in part
        assert "Executive dashboard" not in part
        assert unsubscribe_url in part  # a visible unsubscribe link in both parts
    assert "Claims Portal" in html and "display:none" in html  # site name, preheader
    for url in set(links(text)) - {settings.SITE_URL + "/privacy/"}:  # issue 12's page
        response = client.get(path_of(url, settings))
        assert response.status_code == 200, url

    # 3. The mail client's one-click unsubscribe: no cookies, no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path_of(unsubscribe_url, settings),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    assert [c.action for c in subscriber.consents.all()] == [
        "subscribe",
        "confirm",
        "unsubscribe",
    ]

    # 4. Nothing more is sent to them.
    make_item(title="After leaving", category=update, published_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True), open("/dev/null", "w") as out:
        call_command("send_digests", frequency=["immediate"], stdout=out)
    assert len(smtp_server.messages) == 2


def test_header_injection_is_impossible(categories, smtp_server, make_subscriber, make_item):
    """A subscriber record holding a newline (for example from an old import) cannot
    add headers: the message is refused, and nothing is sent."""
    from newsletter import digests, schedules, sending

    make_item(title="Title\r\nBcc: victim@example.com")
    evil = make_subscriber(email="x@example.com\nBcc: victim@example.com")
    digest = schedules.forced_digest("weekly")
    digests.build(digest.pk)
    assert sending.send_chunk(digest.pk).sent == 0
    assert smtp_server.messages == []
    delivery = evil.deliveries.get()
    assert delivery.status == "failed" and delivery.error.startswith("Refused")
