import datetime
import smtplib
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsletter import digests, sending, tasks
from newsletter import schedules as periods
from newsletter.models import Delivery, Digest, DigestSchedule, Subscriber, Suppression
from tests.helpers import at, london

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a function and run the tasks it queues on commit (eagerly)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def quiet_command(*args, **kwargs):
    with open("/dev/null", "w") as devnull:
        call_command(*args, stdout=devnull, **kwargs)


class TestSchedules:
    @pytest.fixture
    def schedules(self, db):
        periods.ensure_schedules()
        DigestSchedule.objects.filter(frequency="weekly").update(weekday=2, hour=9)
        DigestSchedule.objects.filter(frequency="monthly").update(day=31, hour=7)
        return {s.frequency: s for s in DigestSchedule.objects.all()}

    def test_weekly_is_due_from_its_weekday_and_hour(self, schedules):
        weekly = schedules["weekly"]
        assert periods.current_period(weekly, london(2026, 11, 25, 8, 59)) is None  # Wednesday
        assert periods.current_period(weekly, london(2026, 11, 25, 9, 0)) == (
            "2026-W48",
            london(2026, 11, 25, 9),
        )
        assert periods.current_period(weekly, london(2026, 11, 29, 23))[0] == "2026-W48"

    def test_monthly_falls_back_to_the_last_day(self, schedules):
        monthly = schedules["monthly"]
        assert periods.current_period(monthly, london(2026, 11, 29, 12)) is None
        assert periods.current_period(monthly, london(2026, 11, 30, 7)) == (
            "2026-11",
            london(2026, 11, 30, 7),
        )

    def test_immediate_batches_a_few_minutes(self, schedules):
        period, until = periods.current_period(
            schedules["immediate"], london(2026, 11, 25, 9, 7, 30)
        )
        assert until == london(2026, 11, 25, 9, 5)
        assert period == "2026-11-25T09:05"

    def test_beat_firing_twice_makes_one_digest(self, schedules, make_item, make_subscriber):
        # Wednesday 08:00: the immediate digest is due, the weekly one (09:00)
        # and the monthly one (the last day) are not.
        with at(london(2026, 12, 2, 8, 0)):
            make_subscriber(frequency="immediate")
            make_item()
            first = periods.due_digests()
            second = periods.due_digests()
            assert [digest.frequency for digest in first] == ["immediate"]
            assert second == first
            assert digests.build(first[0].pk) == 1
            assert digests.build(first[0].pk) is None  # already built
            assert periods.due_digests() == []
        assert Digest.objects.count() == 1
        assert Delivery.objects.count() == 1

    def test_disabled_schedule(self, schedules):
        DigestSchedule.objects.update(enabled=False)
        assert periods.due_digests() == []


class TestBuilding:
    def test_each_subscriber_gets_their_topics_since_their_last_digest(
        self, categories, make_item, make_subscriber
    ):
        update, mi = categories
        everything = make_subscriber()
        only_mi = make_subscriber(topics=[mi])
        late = make_subscriber(digested_until=timezone.now() - datetime.timedelta(minutes=5))
        make_subscriber(frequency="monthly")
        make_subscriber(status="unsubscribed")
        make_subscriber(status="pending")
        make_item(category=update)
        digest = periods.forced_digest("weekly")
        assert digests.build(digest.pk) == 1  # only_mi has nothing; late confirmed after it
        assert list(Delivery.objects.values_list("subscriber", flat=True)) == [everything.pk]
        for subscriber in (everything, only_mi, late):
            subscriber.refresh_from_db()
            assert subscriber.digested_until == digest.until

    def test_no_item_twice_and_none_skipped(self, run, make_item, make_subscriber, mailoutbox):
        reader = make_subscriber()
        first_item = make_item(title="First")
        run(quiet_command, "send_digests", frequency=["weekly"])
        make_item(title="Second", published_at=timezone.now())
        run(quiet_command, "send_digests", frequency=["weekly"])
        run(quiet_command, "send_digests", frequency=["weekly"])
        assert len(mailoutbox) == 2
        assert "First" in mailoutbox[0].body and "Second" not in mailoutbox[0].body
        assert "Second" in mailoutbox[1].body and "First" not in mailoutbox[1].body
        assert first_item.title not in mailoutbox[1].alternatives[0].content
        assert reader.deliveries.filter(status="sent", sent_at__isnull=False).count() == 2

    def test_empty_digest_is_not_sent(self, make_subscriber, mailoutbox):
        make_subscriber()
        digest = periods.forced_digest("weekly")
        assert digests.build(digest.pk) == 0
        digest.refresh_from_db()
        assert digest.status == "done" and mailoutbox == []


class TestSending:
    def test_message_contents(
        self, run, categories, make_item, make_subscriber, mailoutbox, settings
    ):
        make_subscriber(email="ann@example.com")
        make_item(title="Scheduled <Maintenance>", date=datetime.date(2026, 9, 14))
        make_item(title="Monthly MI", category=categories[1])
        digest = periods.forced_digest("weekly")
        run(tasks.build_and_send, digest.pk)
        (message,) = mailoutbox
        subscriber = Subscriber.objects.get()
        html = message.alternatives[0].content
        # The domain is SITE_URL's; the random public id, never the row's id.
        assert message.extra_headers["Message-ID"] == (
            f"<digest-{digest.pk}.{subscriber.public_id.hex}@127.0.0.1>"
        )
        assert message.subject.startswith("Claims Portal news: 2 new items, sent ")
        # Link text that says where it goes, visible to everyone (WCAG 2.4.4).
        assert ">Read more about Monthly MI</a>" in html and "display:none;\"> about" not in html
        assert f'href="{settings.SITE_URL}/newsletter/archive/{digest.pk}/"' in html
        assert "View this email in your browser" in html
        privacy = f"{settings.SITE_URL}/privacy/"
        assert privacy in html and privacy in message.body
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["List-Unsubscribe"].startswith(
            f"<{settings.SITE_URL}/newsletter/unsubscribe/"
        )
        html = message.alternatives[0].content
        assert "Scheduled &lt;Maintenance&gt;" in html and "Scheduled <Maintenance>" in message.body
        assert "14/09/2026" in html and "14/09/2026" in message.body
        assert "Management info" in html
        assert f'href="{settings.SITE_URL}/news/2026/scheduled-maintenance/"' in html
        assert "<style" not in html and "style=" in html
        assert 'href="/' not in html  # every link absolute
        assert "/newsletter/unsubscribe/" in message.body and "/preferences/" in html
        # Newest first.
        assert html.index("Monthly MI") < html.index("Scheduled")

    def test_unsubscribed_after_rows_were_made_is_skipped(
        self, run, make_item, make_subscriber, mailoutbox
    ):
        make_item()
        reader = make_subscriber()
        leaver = make_subscriber()
        digest = periods.forced_digest("weekly")
        with mock.patch.object(tasks, "start_sending"):
            digests.build(digest.pk)
        Subscriber.objects.filter(pk=leaver.pk).update(status="unsubscribed")
        run(tasks.start_sending, digest.pk)
        assert [m.to for m in mailoutbox] == [[reader.email]]
        assert Delivery.objects.get(subscriber=leaver).status == "skipped"
        digest.refresh_from_db()
        assert digest.status == "done"

    def test_one_connection_per_chunk(self, run, make_item, make_subscriber, settings, smtp_server):
        settings.NEWSLETTER_CHUNK_SIZE = 4
        settings.NEWSLETTER_PARALLEL_CHUNKS = 1
        make_item()
        for _ in range(10):
            make_subscriber()
        opened = []
        real_open = smtplib.SMTP.connect

        def counting_connect(self, *args, **kwargs):
            opened.append(1)
            return real_open(self, *args, **kwargs)

        with mock.patch.object(smtplib.SMTP, "connect", counting_connect):
            run(quiet_command, "send_digests", frequency=["weekly"])
        assert len(smtp_server.messages) == 10
        assert len(opened) == 3  # chunks of 4, 4 and 2

    def test_temporary_errors_retry_with_backoff_and_permanent_ones_suppress(
        self, run, make_item, make_subscriber, smtp_server, settings
    ):
        settings.NEWSLETTER_RETRY_BASE_SECONDS = 0
        make_item()
        fine = make_subscriber(email="fine@example.com")
        flaky = make_subscriber(email="temp@example.com")
        gone = make_subscriber(email="perm@example.com")
        run(quiet_command, "send_digests", frequency=["weekly"])
        deliveries = {d.subscriber_id: d for d in Delivery.objects.all()}
        assert deliveries[fine.pk].status == "sent"
        assert deliveries[flaky.pk].status == "sent"
        assert deliveries[flaky.pk].attempts == 3  # two 451s, then accepted
        assert deliveries[gone.pk].status == "failed"
        assert deliveries[gone.pk].error.startswith("550")
        gone.refresh_from_db()
        assert gone.status == "suppressed"
        assert Suppression.objects.get().reason == "bounced"
        assert sorted(r[0] for r, _ in smtp_server.messages) == [
            "fine@example.com",
            "temp@example.com",
        ]

    def test_backoff_grows(self, settings):
        settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
        assert [sending.backoff(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]

    def test_gives_up_after_max_attempts(self, run, make_item, make_subscriber, settings):
        settings.NEWSLETTER_RETRY_BASE_SECONDS = 0
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},  # nothing listens
            }
        }
        make_item()
        make_subscriber()
        run(quiet_command, "send_digests", frequency=["weekly"])
        delivery = Delivery.objects.get()
        assert delivery.status == "failed"
        assert delivery.attempts == settings.NEWSLETTER_MAX_ATTEMPTS
        assert delivery.error.startswith("Gave up")

    def test_sweeper_returns_stuck_deliveries(self, run, make_item, make_subscriber, mailoutbox):
        make_item()
        make_subscriber()
        digest = periods.forced_digest("weekly")
        with mock.patch.object(tasks, "start_sending"):
            digests.build(digest.pk)
        sending.claim(digest.pk, 10)  # a worker claimed it, then died
        assert Delivery.objects.get().status == "sending"
        assert tasks.sweep() == 0  # its lease is still running
        Delivery.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
        assert run(tasks.sweep) == 1
        assert Delivery.objects.get().status == "sent"
        assert len(mailoutbox) == 1

    def test_a_live_worker_renews_its_lease(self, make_item, make_subscriber, settings):
        """A chunk that takes longer than the lease keeps its rows: the worker
        renews the lease while it sends."""
        settings.NEWSLETTER_LEASE_SECONDS = 3
        make_item()
        subscribers = [make_subscriber() for _ in range(3)]
        digest = periods.forced_digest("weekly")
        with mock.patch.object(tasks, "start_sending"):
            digests.build(digest.pk)
        pks = sending.claim(digest.pk, 10)
        first_lease = Delivery.objects.get(pk=pks[0]).lease_until
        lease = sending.Lease(pks)
        lease.renewed -= 2  # more than a third of the lease ago
        Delivery.objects.filter(pk=pks[0]).update(status="sent")
        lease.renew_if_due()
        rows = dict(Delivery.objects.values_list("pk", "lease_until"))
        assert rows[pks[0]] == first_lease  # finished rows are left alone
        assert all(rows[pk] > first_lease for pk in pks[1:])
        assert tasks.sweep() == 0 and len(subscribers) == 3

    def test_claims_skip_rows_locked_by_another_worker(self, make_item, make_subscriber):
        make_item()
        for _ in range(3):
            make_subscriber()
        digest = periods.forced_digest("weekly")
        with mock.patch.object(tasks, "start_sending"):
            digests.build(digest.pk)
        first = sending.claim(digest.pk, 2)
        second = sending.claim(digest.pk, 2)
        assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
        assert sending.claim(digest.pk, 2) == []

    def test_send_digests_command(self, run, make_item, make_subscriber, mailoutbox, capsys):
        make_item()
        make_subscriber(frequency="monthly")
        run(call_command, "send_digests", frequency=["monthly"])
        out = capsys.readouterr().out
        assert "1 emails queued" in out
        # Its progress (here the tasks run when the test's transaction "commits").
        assert ": 0 of 1 finished (1 pending)." in out
        assert len(mailoutbox) == 1
        call_command("send_digests", frequency=["monthly"])
        assert "nothing new to send" in capsys.readouterr().out

    def test_query_count_does_not_grow_with_recipients(
        self, make_item, make_subscriber, django_assert_max_num_queries, settings
    ):
        settings.NEWSLETTER_CHUNK_SIZE = 100
        make_item()
        for _ in range(30):
            make_subscriber()
        digest = periods.forced_digest("weekly")
        with mock.patch.object(tasks, "start_sending"):
            digests.build(digest.pk)
        # A claim, the digest, the rows, topics, items, one query per extra
        # section (maintenance, MI releases, updated items), the digest's status
        # before each batch, then one UPDATE per message.
        with django_assert_max_num_queries(14 + 30):
            result = sending.send_chunk(digest.pk)
        assert result.sent == 30


class TestMessages:
    def test_prebuilt_bytes_match_the_message_django_would_build(
        self, categories, make_item, make_subscriber
    ):
        """The per-recipient bytes come from a skeleton; they must say the same as
        Django's own serialisation of the same message."""
        import email
        import email.policy

        from news.selectors import published_since
        from newsletter.emails import DigestRenderer

        make_item(title="Café – £5 fee")
        subscriber = make_subscriber(email="ann@example.com")
        digest = periods.forced_digest("weekly")
        renderer = DigestRenderer(digest, published_since(subscriber.digested_until))
        items = renderer.items_for(subscriber.digested_until, None)
        data = renderer.message_bytes(subscriber, items)
        assert isinstance(data, bytes)
        fast = email.message_from_bytes(data, policy=email.policy.default)
        slow = email.message_from_bytes(
            renderer.message(subscriber, items).message(policy=email.policy.SMTP).as_bytes(),
            policy=email.policy.default,
        )
        for header in [
            "Subject",
            "From",
            "To",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "List-Id",
            "MIME-Version",
        ]:
            assert fast[header] == slow[header], header
        for kind in ("plain", "html"):
            fast_body = fast.get_body((kind,)).get_content().replace("\r\n", "\n")
            assert fast_body == slow.get_body((kind,)).get_content().replace("\r\n", "\n")
        assert "Café – £5 fee" in fast.get_body(("plain",)).get_content()

    def test_an_address_the_skeleton_cannot_take_is_built_the_ordinary_way(
        self, run, make_item, make_subscriber, smtp_server
    ):
        make_item()
        make_subscriber(email="ann@exämple.com")
        run(quiet_command, "send_digests", frequency=["weekly"])
        ((rcpt, message),) = smtp_server.parsed()
        assert rcpt == ["ann@xn--exmple-cua.com"]
        assert "/newsletter/unsubscribe/" in message["List-Unsubscribe"]

    def test_the_beat_entry_and_its_task(
        self, settings, run, make_item, make_subscriber, mailoutbox
    ):
        from newsletter.tasks import send_due_digests

        entry = settings.CELERY_BEAT_SCHEDULE["newsletter-send-due-digests"]
        assert entry["task"] == send_due_digests.name
        assert entry["schedule"] <= 5 * 60
        make_subscriber(frequency="immediate")
        make_item(published_at=timezone.now() - datetime.timedelta(minutes=20))
        run(send_due_digests.delay)
        run(send_due_digests.delay)  # beat firing twice
        assert len(mailoutbox) == 1
        assert Digest.objects.filter(frequency="immediate").count() == 1

    def test_admin_confirmed_subscriber_gets_news_from_now_on(self, db):
        subscriber = Subscriber.objects.create(email=" Bob@Example.com", status="confirmed")
        assert subscriber.email == "bob@example.com"
        assert subscriber.digested_until == subscriber.confirmed_at
