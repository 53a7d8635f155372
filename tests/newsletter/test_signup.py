import datetime
import re
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import signing
from django.test import Client

from news.models import Category
from newsletter import tokens
from newsletter.models import CONSENT_VERSION, Subscriber, SubscriptionConsent, Suppression
from tests.helpers import at, london

from .conftest import links, path_of

pytestmark = pytest.mark.django_db


def sign_up(client, email="ann@example.com", topics=None, frequency="weekly", **extra):
    data = {"email": email, "frequency": frequency, "consent_version": CONSENT_VERSION}
    if topics is not None:
        data["topics"] = topics
    data.update(extra)
    return client.post("/newsletter/", data)


@pytest.fixture
def signed_up(client, categories, mailoutbox, django_capture_on_commit_callbacks):
    def signed_up(email="ann@example.com", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = sign_up(client, email, **kwargs)
        assert response.status_code == 302, response.content
        return response

    return signed_up


def confirm_link(message, settings):
    return next(path_of(u, settings) for u in links(message.body) if "/confirm/" in u)


class TestSignupPage:
    def test_form_shows_topics_frequency_and_consent_text(self, client, categories):
        response = client.get("/newsletter/?source=banner")
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="email"' in html
        assert html.count('name="topics"') == 2
        assert "checked" in html  # every topic ticked by default
        assert 'value="immediate"' in html and 'value="monthly"' in html
        assert f'value="{CONSENT_VERSION}"' in html
        assert 'name="source" value="banner"' in html
        assert "<script src=" in html and "newsletter.js" in html
        assert "onclick" not in html and "<script>" not in html

    def test_banner_links_to_the_form(self, client, categories):
        html = client.get("/news/").content.decode()
        assert 'href="/newsletter/?source=banner"' in html


class TestDoubleOptIn:
    def test_sign_up_sends_a_confirmation_and_records_consent(
        self, signed_up, mailoutbox, settings, categories
    ):
        response = signed_up("Ann@Example.com", topics=[categories[1].pk], source="banner")
        assert response["Location"] == "/newsletter/check-your-email/"
        subscriber = Subscriber.objects.get()
        assert subscriber.email == "ann@example.com"
        assert subscriber.status == "pending"
        assert list(subscriber.topics.all()) == [categories[1]]
        consent = subscriber.consents.get()
        assert (consent.action, consent.source, consent.consent_version) == (
            "subscribe",
            "banner",
            CONSENT_VERSION,
        )
        assert not hasattr(consent, "ip") and "127.0.0.1" not in consent.details
        (message,) = mailoutbox
        assert message.to == ["ann@example.com"]
        assert "Confirm" in message.subject
        assert confirm_link(message, settings) in message.alternatives[0].content

    def test_all_topics_ticked_means_all_topics(self, signed_up, categories):
        signed_up(topics=[c.pk for c in categories])
        assert Subscriber.objects.get().topics.count() == 0
        assert Subscriber.objects.get().topics_label() == "All topics"

    def test_get_shows_a_button_and_only_post_confirms(
        self, client, signed_up, mailoutbox, settings
    ):
        signed_up()
        url = confirm_link(mailoutbox[0], settings)
        page = client.get(url)
        assert page.status_code == 200
        assert b'<button type="submit" class="button">Confirm</button>' in page.content
        assert Subscriber.objects.get().status == "pending"
        response = client.post(url)
        assert response.status_code == 200
        subscriber = Subscriber.objects.get()
        assert subscriber.status == "confirmed"
        assert subscriber.digested_until == subscriber.confirmed_at
        assert [c.action for c in subscriber.consents.all()] == ["subscribe", "confirm"]
        # A second POST (double submit) changes nothing.
        assert client.post(url).status_code == 200
        assert subscriber.consents.count() == 2

    def test_confirm_needs_csrf(self, signed_up, mailoutbox, settings):
        signed_up()
        url = confirm_link(mailoutbox[0], settings)
        response = Client(enforce_csrf_checks=True).post(url)
        assert response.status_code == 403
        assert Subscriber.objects.get().status == "pending"

    def test_expired_link_gets_a_clear_page_and_a_way_back(
        self, client, signed_up, mailoutbox, settings
    ):
        signed_up()
        url = confirm_link(mailoutbox[0], settings)
        settings.NEWSLETTER_CONFIRM_MAX_AGE = -1
        response = client.post(url)
        assert response.status_code == 410
        assert b"This link has expired" in response.content
        assert b'href="/newsletter/"' in response.content
        assert Subscriber.objects.get().status == "pending"

    @pytest.mark.parametrize(
        "mangle",
        [lambda t: t[:-3], lambda t: t[:10], lambda t: "x" + t[1:], lambda t: "not-a-token"],
        ids=["truncated", "short", "forged", "garbage"],
    )
    def test_forged_or_truncated_links(self, client, signed_up, mailoutbox, settings, mangle):
        signed_up()
        url = confirm_link(mailoutbox[0], settings)
        token = url.rstrip("/").rsplit("/", 1)[1]
        bad = url.replace(token, mangle(token))
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 400
            assert b"This link is not valid" in response.content
        assert Subscriber.objects.get().status == "pending"

    def test_token_for_one_purpose_does_not_work_for_another(self, make_subscriber, client):
        subscriber = make_subscriber(status="pending")
        manage = tokens.make_token(subscriber, tokens.MANAGE)
        assert client.post(f"/newsletter/confirm/{manage}/").status_code == 400
        forged = signing.dumps([subscriber.pk, subscriber.secret], salt="other")
        assert client.get(f"/newsletter/confirm/{forged}/").status_code == 400


class TestNoEnumeration:
    def test_known_and_unknown_addresses_get_the_same_answer(
        self, client, signed_up, mailoutbox, make_subscriber, categories
    ):
        make_subscriber(email="known@example.com")
        known = signed_up("known@example.com")
        unknown = signed_up("new@example.com")
        assert known["Location"] == unknown["Location"]
        main = re.compile(r"<main.*</main>", re.S)
        page_known = main.search(client.get(known["Location"]).content.decode()).group()
        assert page_known == main.search(client.get(unknown["Location"]).content.decode()).group()
        already, confirm = mailoutbox
        assert "already subscribed" in already.subject
        assert "/preferences/" in already.body
        assert "Confirm" in confirm.subject

    def test_already_subscribed_keeps_preferences(self, signed_up, make_subscriber, categories):
        subscriber = make_subscriber(email="known@example.com", frequency="monthly")
        signed_up("known@example.com", frequency="immediate", topics=[categories[0].pk])
        subscriber.refresh_from_db()
        assert subscriber.frequency == "monthly"
        assert subscriber.topics.count() == 0


class TestLimits:
    """The per-address limits live on the subscriber's row (no Redis needed),
    are applied by the worker, and never change the page the visitor sees."""

    def test_one_email_per_address_per_ten_minutes(
        self, client, signed_up, mailoutbox, django_capture_on_commit_callbacks
    ):
        first = signed_up()
        with django_capture_on_commit_callbacks(execute=True):
            again = sign_up(client)  # a double submit, or a bomber
        assert (again.status_code, again["Location"]) == (302, first["Location"])
        assert len(mailoutbox) == 1
        assert SubscriptionConsent.objects.count() == 1

    def test_a_few_per_day_then_again_the_next_day(self, client, signed_up, mailoutbox, settings):
        start = london(2026, 11, 18, 9, 0)
        moments = [start + datetime.timedelta(minutes=11 * n) for n in range(4)]
        for moment in moments:
            with at(moment):
                assert signed_up().status_code == 302  # the same answer every time
        assert len(mailoutbox) == settings.NEWSLETTER_EMAIL_PER_DAY == 3
        with at(start + datetime.timedelta(days=1, minutes=1)):
            signed_up()
        assert len(mailoutbox) == 4

    def test_a_failed_send_is_not_counted(self, client, signed_up, mailoutbox):
        """The confirmation email could not go (SMTP down): the retry may send it."""
        with mock.patch("newsletter.tasks.send", side_effect=OSError("refused")):
            with pytest.raises(Retry):  # the task will try again
                signed_up()
        signed_up()
        assert len(mailoutbox) == 1
        assert Subscriber.objects.get().form_emails == 1

    def test_per_ip_limit(self, client, signed_up, mailoutbox, settings):
        settings.NEWSLETTER_IP_PER_HOUR = 3
        for n in range(3):
            signed_up(f"person{n}@example.com")
        response = sign_up(client, "person9@example.com")
        assert response.status_code == 429
        assert b"too many requests from your connection" in response.content
        assert not Subscriber.objects.filter(email="person9@example.com").exists()
        assert len(mailoutbox) == 3
        # Another client is not affected.
        other = Client(REMOTE_ADDR="192.0.2.7")
        assert sign_up(other, "person9@example.com").status_code == 302

    def test_honeypot(self, client, categories, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = sign_up(client, website="http://spam.example")
        assert response.status_code == 302  # looks like success to the bot
        assert not Subscriber.objects.exists()
        assert mailoutbox == []


class TestBadInput:
    @pytest.mark.parametrize(
        "address, message",
        [
            ("", "Enter your email address."),
            ("not-an-address", "Enter an email address in the correct format"),
            ("a" * 250 + "@example.com", "254 characters or fewer"),
            ("ann@example.com\nBcc: victim@example.com", "without line breaks"),
            ("ann@example.com\r\n", "without line breaks"),
        ],
    )
    def test_bad_addresses(self, client, categories, mailoutbox, address, message):
        response = sign_up(client, address)
        assert response.status_code == 400
        html = response.content.decode()
        assert "There is a problem" in html and message in html
        assert 'class="form-group form-group--error"' in html
        assert not Subscriber.objects.exists() and mailoutbox == []

    def test_unknown_topic_and_frequency(self, client, categories):
        response = sign_up(client, topics=["999999"], frequency="hourly")
        html = response.content.decode()
        assert response.status_code == 400
        assert "Choose topics from the list." in html
        assert "Choose how often you want the newsletter." in html
        assert sign_up(client, topics=["abc"]).status_code == 400

    def test_unknown_consent_version(self, client, categories):
        response = sign_up(client, consent_version="1999-01")
        assert response.status_code == 400
        assert not Subscriber.objects.exists()

    def test_typed_values_are_kept_after_an_error(self, client, categories):
        html = sign_up(client, "ann@", frequency="monthly").content.decode()
        assert 'value="ann@"' in html
        assert re.search(r'value="monthly"[^>]*checked', html)


class TestPreferencesAndUnsubscribe:
    @pytest.fixture
    def subscriber(self, make_subscriber):
        return make_subscriber(email="ann@example.com")

    @pytest.fixture
    def token(self, subscriber):
        return tokens.make_token(subscriber, tokens.MANAGE)

    def test_change_preferences(self, client, subscriber, token, categories):
        url = f"/newsletter/preferences/{token}/"
        page = client.get(url)
        assert page.status_code == 200
        assert b"ann@example.com" in page.content
        response = client.post(url, {"topics": [categories[1].pk], "frequency": "monthly"})
        assert response.status_code == 302 and response["Location"] == url
        subscriber.refresh_from_db()
        assert subscriber.frequency == "monthly"
        assert list(subscriber.topics.all()) == [categories[1]]
        assert subscriber.consents.get().action == "change"
        assert b"Your choices have been saved." in client.get(url).content

    def test_bad_preferences(self, client, subscriber, token):
        response = client.post(f"/newsletter/preferences/{token}/", {"frequency": "daily"})
        assert response.status_code == 400
        subscriber.refresh_from_db()
        assert subscriber.frequency == "weekly"

    def test_unsubscribe_page_then_post(self, client, subscriber, token):
        url = f"/newsletter/unsubscribe/{token}/"
        page = client.get(url)
        assert page.status_code == 200 and b">Unsubscribe</button>" in page.content
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed"
        response = client.post(url)
        assert response.status_code == 200
        assert b"You are unsubscribed" in response.content
        subscriber.refresh_from_db()
        assert subscriber.status == "unsubscribed"
        assert subscriber.consents.get().source == "email"

    def test_form_post_without_csrf_is_refused(self, subscriber, token):
        client = Client(enforce_csrf_checks=True)
        response = client.post(f"/newsletter/unsubscribe/{token}/", {"confirm": "1"})
        assert response.status_code == 403
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed"

    def test_one_click(self, subscriber, token):
        client = Client(enforce_csrf_checks=True)  # no cookies, no token
        url = f"/newsletter/unsubscribe/{token}/"
        for _ in range(2):  # idempotent
            response = client.post(
                url,
                "List-Unsubscribe=One-Click",
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code == 200
            assert "Location" not in response
        subscriber.refresh_from_db()
        assert subscriber.status == "unsubscribed"
        assert [c.source for c in subscriber.consents.all()] == ["one-click"]

    def test_one_click_as_multipart(self, subscriber, token):
        response = Client(enforce_csrf_checks=True).post(
            f"/newsletter/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == "unsubscribed"

    def test_get_to_the_one_click_address_changes_nothing(self, subscriber, token):
        response = Client().get(f"/newsletter/unsubscribe/{token}/")
        assert response.status_code == 200
        assert b"Unsubscribe from the newsletter" in response.content
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed"

    def test_other_bodies_are_not_exempt_from_csrf(self, subscriber, token):
        client = Client(enforce_csrf_checks=True)
        for body in ["List-Unsubscribe=One-Click&extra=1", "List-Unsubscribe=Yes", ""]:
            response = client.post(
                f"/newsletter/unsubscribe/{token}/",
                body,
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code == 403, body
        multipart = client.post(
            f"/newsletter/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click", "more": "1"}
        )
        assert multipart.status_code == 403
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed"

    def test_one_click_with_a_bad_token(self):
        response = Client().post(
            "/newsletter/unsubscribe/nonsense/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400

    def test_unsubscribe_for_an_erased_subscriber(self, client, subscriber, token):
        from newsletter.services import erase

        erase(subscriber)
        page = client.get(f"/newsletter/unsubscribe/{token}/")
        assert page.status_code == 410
        assert b"not on our mailing list any more" in page.content
        assert client.post(f"/newsletter/preferences/{token}/").status_code == 410
        one_click = Client().post(
            f"/newsletter/unsubscribe/{token}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert one_click.status_code == 200
        assert Suppression.objects.count() == 1
        assert not Subscriber.objects.exists()

    def test_resubscribing_goes_through_confirmation_again(
        self, client, subscriber, token, signed_up, mailoutbox, settings
    ):
        client.post(f"/newsletter/unsubscribe/{token}/")
        signed_up("ann@example.com", frequency="monthly")
        subscriber.refresh_from_db()
        # Nothing changes until the owner follows the link.
        assert subscriber.status == "unsubscribed" and subscriber.frequency == "weekly"
        assert "Confirm" in mailoutbox[0].subject
        client.post(confirm_link(mailoutbox[0], settings))
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed" and subscriber.frequency == "monthly"
        # Links from before the new subscription no longer work.
        assert client.get(f"/newsletter/preferences/{token}/").status_code == 410
        actions = [c.action for c in subscriber.consents.all()]
        assert actions == ["unsubscribe", "subscribe", "confirm"]


def test_signup_page_query_count(client, categories, django_assert_max_num_queries):
    for n in range(20):
        Category.objects.create(name=f"Topic {n}", slug=f"topic-{n}")
    # Topics twice (initial choice, checkboxes), the cookie banner's two, the
    # maintenance banner's one and the next scheduled change (editorial.scheduling):
    # cached for later pages.
    with django_assert_max_num_queries(6):
        assert client.get("/newsletter/").status_code == 200


def test_old_confirm_link_after_unsubscribing(client, make_subscriber):
    subscriber = make_subscriber(status="unsubscribed")
    token = tokens.make_token(subscriber, tokens.CONFIRM)
    assert client.get(f"/newsletter/confirm/{token}/").status_code == 410
    assert client.post(f"/newsletter/confirm/{token}/").status_code == 410
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
