"""'Lost your link?' (/newsletter/manage/): a subscriber enters their address
and gets an email with their links; the page answers the same whatever the
address. A public form: CSRF, limits per client and per address, clear
messages. And every newsletter email's Message-ID is in the site's domain."""

import datetime
import re

import pytest
from django.test import Client

from newsletter.models import Suppression, email_hash
from tests.helpers import at, london

from .conftest import links, path_of

pytestmark = pytest.mark.django_db

URL = "/newsletter/manage/"


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    def ask(email, client=client, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {"email": email, **extra})

    return ask


def test_the_page_is_a_labelled_form_linked_from_sign_up(client, categories):
    page = client.get(URL).content.decode()
    assert '<label class="label" for="id_email">Email address</label>' in page
    assert "Email me my links" in page and "csrfmiddlewaretoken" in page
    assert URL in client.get("/newsletter/check-your-email/").content.decode()


def test_a_subscriber_gets_their_links(ask, make_subscriber, mailoutbox, settings, client):
    subscriber = make_subscriber(email="ann@example.com", frequency="monthly")
    response = ask(" Ann@Example.COM ")
    assert response.status_code == 302 and response["Location"] == "/newsletter/manage/sent/"
    (message,) = mailoutbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "Your Claims Portal newsletter links"
    urls = links(message.body)
    preferences = next(u for u in urls if "/newsletter/preferences/" in u)
    unsubscribe = next(u for u in urls if "/newsletter/unsubscribe/" in u)
    html = message.alternatives[0].content
    assert preferences in html and unsubscribe in html
    page = client.get(path_of(preferences, settings))
    assert page.status_code == 200 and b"Monthly" in page.content
    client.post(path_of(unsubscribe, settings))
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_the_answer_is_the_same_whatever_the_address(ask, make_subscriber, mailoutbox, client):
    make_subscriber(email="confirmed@example.com")
    make_subscriber(email="pending@example.com", status="pending")
    make_subscriber(email="gone@example.com", status="unsubscribed")
    make_subscriber(email="bounced@example.com", status="suppressed")
    Suppression.objects.create(email_hash=email_hash("bounced@example.com"), reason="bounced")
    answers = {
        ask(f"{name}@example.com")["Location"]
        for name in ["confirmed", "pending", "gone", "bounced", "stranger"]
    }
    assert answers == {"/newsletter/manage/sent/"}
    assert [m.to for m in mailoutbox] == [["confirmed@example.com"]]
    page = client.get("/newsletter/manage/sent/").content.decode()
    assert "If that address is subscribed to our newsletter, we have sent it an email" in page


def test_bad_input_gets_a_clear_message(ask, mailoutbox):
    for value, message in [
        ("", "Enter your email address."),
        ("not an address", "Enter an email address in the correct format"),
        ("a@b.com\r\nBcc: x@y.z", "without line breaks"),
        ("x" * 300 + "@example.com", "254 characters or fewer"),
    ]:
        response = ask(value)
        assert response.status_code == 400, value
        assert message in response.content.decode()
        assert "There is a problem" in response.content.decode()
    assert mailoutbox == []


def test_it_needs_csrf(make_subscriber, mailoutbox):
    make_subscriber(email="ann@example.com")
    response = Client(enforce_csrf_checks=True).post(URL, {"email": "ann@example.com"})
    assert response.status_code == 403 and mailoutbox == []


def test_limits_per_client_and_per_address(ask, make_subscriber, mailoutbox, settings):
    settings.NEWSLETTER_IP_PER_HOUR = 3
    make_subscriber(email="ann@example.com")
    start = london(2026, 11, 18, 9, 0)
    with at(start):
        assert ask("ann@example.com").status_code == 302
        assert ask("ann@example.com").status_code == 302  # the same page; nothing sent
    assert len(mailoutbox) == 1
    with at(start + datetime.timedelta(minutes=11)):
        assert ask("ann@example.com").status_code == 302
        response = ask("ann@example.com")  # the client's fourth this hour
    assert response.status_code == 429
    assert b"too many requests from your connection" in response.content
    assert len(mailoutbox) == 2
    other = Client(REMOTE_ADDR="192.0.2.7")
    with at(start + datetime.timedelta(minutes=22)):
        assert ask("ann@example.com", client=other).status_code == 302
    assert len(mailoutbox) == 3


def test_the_honeypot(ask, make_subscriber, mailoutbox):
    make_subscriber(email="ann@example.com")
    assert ask("ann@example.com", website="http://spam.example")["Location"] == (
        "/newsletter/manage/sent/"
    )
    assert mailoutbox == []


def test_every_newsletter_email_has_a_message_id_in_the_sites_domain(
    ask, client, categories, make_subscriber, mailoutbox, settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://news.example.org"
    from .test_signup import sign_up

    make_subscriber(email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "new@example.com")  # a confirmation
        sign_up(client, "known@example.com")  # "you are already subscribed"
    ask("known@example.com")  # the links (the address's limit is per 10 minutes…)
    assert len(mailoutbox) == 2
    with at(london(2030, 1, 1, 9, 0)):
        ask("known@example.com")
    ids = [m.extra_headers["Message-ID"] for m in mailoutbox]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(re.fullmatch(r"<[^@<>]+@news\.example\.org>", i) for i in ids), ids


def test_the_form_makes_no_query_about_the_address(
    client, make_subscriber, django_assert_max_num_queries
):
    """The web process only checks the form and queues the work: the same few
    queries (none about subscribers) whatever the address."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_subscriber(email="ann@example.com")
    # The base layout's banners only (the cookie banner's two, maintenance's
    # one) and the next scheduled change (editorial.scheduling, then remembered).
    with django_assert_max_num_queries(4):
        client.get(URL)
    from unittest import mock

    from newsletter import tasks

    queued = []
    with mock.patch.object(tasks.process_link_request, "delay", queued.append):
        with CaptureQueriesContext(connection) as queries:
            client.post(URL, {"email": "ann@example.com"})
    assert queued == ["ann@example.com"]  # the worker's job
    assert not any("newsletter_subscriber" in q["sql"] for q in queries.captured_queries)
