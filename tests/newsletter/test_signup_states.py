"""Sign-up in production: one canonical form of an address, nothing changed
for an address already on the list until its owner acts, the same answer in
the same work whatever the address's state, limits that survive a proxy and
a Redis outage, links that do not reveal sequential ids."""

import datetime
from unittest import mock

import pytest
from django.core import signing
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common import ratelimit as portal_ratelimit
from newsletter import tasks, tokens
from newsletter.models import CONSENT_VERSION, Subscriber, Suppression, email_hash
from tests.helpers import at, london

from .conftest import links, path_of
from .test_signup import confirm_link, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(client, categories, mailoutbox, django_capture_on_commit_callbacks):
    def submit(email, client=client, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sign_up(client, email, **kwargs)

    return submit


class TestCanonicalAddresses:
    def test_idna_variants_are_one_address(self, submit, mailoutbox):
        assert submit("victim@exämple.org").status_code == 302
        # The same mailbox spelled in ASCII (and in capitals): the per-address
        # limit applies (and the answer is the same page).
        assert submit("Victim@XN--EXMPLE-CUA.org").status_code == 302
        assert len(mailoutbox) == 1
        assert list(Subscriber.objects.values_list("email", flat=True)) == [
            "victim@xn--exmple-cua.org"
        ]

    def test_suppression_covers_every_spelling(self, submit, mailoutbox):
        Suppression.objects.create(email_hash=email_hash("victim@exämple.org"), reason="bounced")
        assert email_hash("victim@xn--exmple-cua.org") == email_hash("VICTIM@EXÄMPLE.ORG")
        assert submit("victim@xn--exmple-cua.org").status_code == 302  # the same answer
        assert mailoutbox == [] and not Subscriber.objects.exists()

    def test_an_undecodable_domain_is_a_form_error(self, submit):
        response = submit("ann@" + "a" * 64 + ".example")  # a label longer than 63
        assert response.status_code == 400
        assert b"Enter an email address in the correct format" in response.content


class TestExistingAddresses:
    def test_a_second_sign_up_leaves_a_pending_subscription_unchanged(
        self, submit, mailoutbox, settings, categories, client
    ):
        start = london(2026, 11, 18, 9, 0)
        with at(start):
            submit("ann@example.com", frequency="weekly", topics=[categories[0].pk])
        subscriber = Subscriber.objects.get()
        # Someone else asks for other topics and another frequency.
        with at(start + datetime.timedelta(minutes=11)):
            submit("ann@example.com", frequency="immediate", topics=[categories[1].pk])
        subscriber.refresh_from_db()
        assert subscriber.frequency == "weekly"
        assert [t.pk for t in subscriber.topics.all()] == [categories[0].pk]
        assert [c.action for c in subscriber.consents.all()] == ["subscribe"]
        first, second = mailoutbox
        # The second email offers the second choices; confirming applies them.
        page = client.get(confirm_link(second, settings)).content.decode()
        assert "As soon as news is published" in page and categories[1].name in page
        client.post(confirm_link(second, settings))
        subscriber.refresh_from_db()
        assert subscriber.status == "confirmed" and subscriber.frequency == "immediate"
        assert [t.pk for t in subscriber.topics.all()] == [categories[1].pk]
        actions = [c.action for c in subscriber.consents.all()]
        assert actions == ["subscribe", "subscribe", "confirm"]

    def test_a_confirmed_subscriber_is_offered_the_new_choices(
        self, submit, mailoutbox, make_subscriber, categories, client, settings
    ):
        subscriber = make_subscriber(email="ann@example.com", frequency="monthly")
        submit("ann@example.com", frequency="immediate", topics=[categories[0].pk])
        subscriber.refresh_from_db()
        assert subscriber.frequency == "monthly"  # unchanged by the sign-up
        (message,) = mailoutbox
        assert "already subscribed" in message.subject
        confirm = next(u for u in links(message.body) if "/confirm/" in u)
        assert b"Confirm your new choices" in client.get(path_of(confirm, settings)).content
        client.post(path_of(confirm, settings))
        subscriber.refresh_from_db()
        assert subscriber.frequency == "immediate"
        assert subscriber.consents.last().action == "change"

    def test_every_state_costs_the_request_the_same_work(
        self, client, categories, make_subscriber
    ):
        """The web process only checks the form and queues a task, so the
        answer takes as long for a confirmed address as for a new one."""
        make_subscriber(email="confirmed@example.com")
        make_subscriber(email="pending@example.com", status="pending")
        make_subscriber(email="gone@example.com", status="unsubscribed")
        Suppression.objects.create(email_hash=email_hash("bounced@example.com"), reason="bounced")
        queued = []
        with mock.patch.object(tasks.process_signup, "delay", lambda *a: queued.append(a)):
            answers, queries = [], []
            for email in ["new", "confirmed", "pending", "gone", "bounced"]:
                with CaptureQueriesContext(connection) as captured:
                    response = sign_up(client, f"{email}@example.com", topics=[categories[0].pk])
                answers.append((response.status_code, response["Location"]))
                queries.append([q["sql"] for q in captured.captured_queries])
        assert len(set(answers)) == 1
        # The same queries (the form's topics), none about the address.
        assert all(q == queries[0] for q in queries) and len(queries[0]) <= 2
        assert not any("newsletter_subscriber" in sql for sql in queries[0])
        assert [a[0] for a in queued] == [f"{e}@example.com" for e in
                                         ["new", "confirmed", "pending", "gone", "bounced"]]


class TestLimitsInProduction:
    def test_behind_the_proxy_each_client_has_its_own_limit(self, submit, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        settings.NEWSLETTER_IP_PER_HOUR = 2
        proxy = "10.0.0.5"  # every request reaches Django from the cache service
        first = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
        second = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
        for n in range(2):
            assert submit(f"a{n}@example.com", client=first).status_code == 302
        assert submit("a9@example.com", client=first).status_code == 429
        assert submit("b0@example.com", client=second).status_code == 302
        # Forging an earlier hop does not give a new limit.
        forged = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.9, 198.51.100.1")
        assert submit("a8@example.com", client=forged).status_code == 429

    def test_a_redis_outage_lets_sign_ups_through(self, submit, mailoutbox, caplog):
        # A real Redis client pointed at a port where nothing listens.
        dead = RedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
        with mock.patch.object(portal_ratelimit, "cache", dead):
            response = submit("ann@example.com")
        assert response.status_code == 302
        assert Subscriber.objects.filter(email="ann@example.com").exists()
        assert len(mailoutbox) == 1
        assert "Rate limit newsletter-signup-ip unavailable, not applied" in caplog.text


class TestLinks:
    def test_links_carry_a_random_id_not_the_sequential_one(self, make_subscriber):
        subscriber = make_subscriber()
        value = signing.loads(tokens.make_token(subscriber, tokens.MANAGE), salt=tokens.MANAGE)
        assert subscriber.pk not in value and str(subscriber.pk) not in value
        assert value[0] == subscriber.public_id.hex
        other = make_subscriber()
        assert other.public_id != subscriber.public_id

    def test_an_old_link_with_the_sequential_id_says_it_no_longer_works(
        self, client, make_subscriber
    ):
        subscriber = make_subscriber()
        old = signing.dumps([subscriber.pk, subscriber.secret], salt=tokens.MANAGE)
        response = client.get(f"/newsletter/preferences/{old}/")
        assert response.status_code == 410
        assert b"This link is no longer valid" in response.content
        old_confirm = signing.dumps([subscriber.pk, subscriber.secret], salt=tokens.CONFIRM)
        assert client.get(f"/newsletter/confirm/{old_confirm}/").status_code == 410

    def test_an_old_unsubscribe_link_still_unsubscribes(self, make_subscriber):
        subscriber = make_subscriber()
        old = signing.dumps([subscriber.pk, subscriber.secret], salt=tokens.MANAGE)
        response = Client().post(
            f"/newsletter/unsubscribe/{old}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        subscriber.refresh_from_db()
        assert subscriber.status == "unsubscribed"


def test_consent_version_is_kept(submit):
    submit("ann@example.com")
    assert Subscriber.objects.get().consents.get().consent_version == CONSENT_VERSION


def test_without_a_broker_the_sign_up_is_handled_in_the_web_process(
    submit, mailoutbox, caplog
):
    """The broker (Redis) is down: the visitor still gets the usual answer and
    the email, handled in the request instead of by a worker. (Publishing is
    made to fail as kombu does when Redis refuses the connection.)"""
    import kombu.exceptions

    refused = kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379.")
    with mock.patch.object(tasks.process_signup, "delay", side_effect=refused):
        response = submit("ann@example.com")
    assert response.status_code == 302
    assert Subscriber.objects.filter(email="ann@example.com", status="pending").exists()
    assert len(mailoutbox) == 1
    assert "Broker unavailable" in caplog.text
