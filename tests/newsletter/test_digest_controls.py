"""Pause, resume and cancel a digest from its admin page, while it sends:
pausing stops new batches, resuming sends the rest, cancelling marks the
rest cancelled; nothing is lost or sent twice across them."""

import collections

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from newsletter import digests, schedules, sending, transports
from newsletter.models import Delivery, Digest
from tests.helpers import member_of

pytestmark = pytest.mark.django_db


class ActingBackend(LocmemBackend):
    """The outbox, and a manager who acts after the `after`-th message."""

    after = None
    action = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if ActingBackend.after is not None and len(mail.outbox) == ActingBackend.after:
            ActingBackend.action()
        return sent


@pytest.fixture
def acting_mailer(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.ActingBackend"}}
    mail.outbox = []
    yield ActingBackend
    ActingBackend.after = ActingBackend.action = None


@pytest.fixture
def digest(make_item, make_subscriber, django_capture_on_commit_callbacks):
    make_item(title="Insurer Index v232")
    for _ in range(70):
        make_subscriber()
    digest = schedules.forced_digest("weekly")
    assert digests.build(digest.pk) == 70
    return digest


def received():
    return collections.Counter(message.to[0] for message in mail.outbox)


def send_all(digest):
    while sending.send_chunk(digest.pk).more:
        pass


def test_pause_stops_before_the_next_batch_and_resume_sends_the_rest(acting_mailer, digest):
    acting_mailer.after = 5
    acting_mailer.action = lambda: sending.pause(digest, "Paused by nora.")
    send_all(digest)
    # The batch in flight finishes; no new one starts.
    assert len(mail.outbox) == transports.ONE_BY_ONE_BATCH
    digest.refresh_from_db()
    assert (digest.status, digest.stop_reason) == ("paused", "Paused by nora.")
    rows = Delivery.objects.filter(digest=digest)
    assert rows.filter(status="pending").count() == 70 - transports.ONE_BY_ONE_BATCH
    assert not rows.filter(status="sending").exists()
    # Putting them back did not use up an attempt.
    assert set(rows.filter(status="pending").values_list("attempts", flat=True)) == {0}
    assert sending.send_chunk(digest.pk).sent == 0  # a paused digest is not claimed

    acting_mailer.after = None
    assert sending.resume(digest)
    send_all(digest)
    assert len(received()) == 70 and set(received().values()) == {1}
    assert sending.finish_if_done(digest.pk)
    digest.refresh_from_db()
    assert digest.status == "done" and digest.stop_reason == ""


def test_cancel_marks_the_rest_cancelled(acting_mailer, digest):
    acting_mailer.after = 25
    acting_mailer.action = lambda: sending.cancel(digest, "Cancelled by nora.")
    send_all(digest)
    assert len(mail.outbox) == 2 * transports.ONE_BY_ONE_BATCH
    counts = digests.Progress.of(digest)
    assert (counts["sent"], counts["cancelled"], counts.waiting) == (40, 30, 0)
    assert sending.finish_if_done(digest.pk)
    digest.refresh_from_db()
    assert digest.status == "cancelled" and digest.finished_at is not None
    assert not sending.resume(digest)  # cancelled is final
    send_all(digest)
    assert len(mail.outbox) == 40


def test_a_cancelled_digests_rows_of_a_dead_worker_are_cancelled_by_the_sweeper(digest):
    sending.claim(digest.pk, 10)  # a worker claimed them, then died
    sending.cancel(digest, "Cancelled.")
    Delivery.objects.filter(status="sending").update(lease_until="2000-01-01T00:00Z")
    returned, idle = sending.sweep()
    assert returned == 0 and idle == {}
    assert Delivery.objects.filter(digest=digest, status="cancelled").count() == 70
    digest.refresh_from_db()
    assert digest.status == "cancelled" and digest.finished_at is not None


class TestAdmin:
    @pytest.fixture
    def manager(self, client):
        client.force_login(member_of("Newsletter managers", "nora"))
        return client

    def test_the_page_shows_the_controls_and_they_work(
        self, manager, digest, mailoutbox, django_capture_on_commit_callbacks
    ):
        url = f"/admin/newsletter/digest/{digest.pk}/change/"
        page = manager.get(url).content.decode()
        assert "Pause sending" in page and "Cancel the rest" in page
        assert "Resume sending" not in page
        control = f"/admin/newsletter/digest/{digest.pk}/control/"
        assert manager.get(control).status_code == 405

        response = manager.post(control, {"action": "pause"})
        assert response.status_code == 302
        digest.refresh_from_db()
        assert digest.status == "paused" and digest.stop_reason.startswith("Paused by nora on ")
        page = manager.get(url).content.decode()
        assert "Resume sending" in page and "Pause sending" not in page
        assert digest.stop_reason in page

        with django_capture_on_commit_callbacks(execute=True):
            manager.post(control, {"action": "resume"})  # queues the senders
        digest.refresh_from_db()
        assert digest.status == "done"
        assert len(mailoutbox) == 70

    def test_nothing_to_do_is_said_plainly(self, manager, digest):
        control = f"/admin/newsletter/digest/{digest.pk}/control/"
        response = manager.post(control, {"action": "resume"}, follow=True)
        assert "Nothing done: the digest is sending." in response.content.decode()
        manager.post(control, {"action": "cancel"})
        response = manager.post(control, {"action": "pause"}, follow=True)
        assert "Nothing done: the digest is cancelled." in response.content.decode()

    def test_only_newsletter_managers_control_digests(self, client, digest):
        client.force_login(member_of("Editors"))
        control = f"/admin/newsletter/digest/{digest.pk}/control/"
        assert client.post(control, {"action": "cancel"}).status_code == 403
        assert Digest.objects.get(pk=digest.pk).status == "sending"

    def test_the_controls_need_csrf(self, digest):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(member_of("Newsletter managers", "nora"))
        control = f"/admin/newsletter/digest/{digest.pk}/control/"
        assert client.post(control, {"action": "cancel"}).status_code == 403
        assert Digest.objects.get(pk=digest.pk).status == "sending"


def test_send_now_leaves_a_paused_digest_paused(
    admin_client, digest, mailoutbox, django_capture_on_commit_callbacks
):
    sending.pause(digest, "Paused.")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/newsletter/digest/",
            {"action": "send_now", "_selected_action": [digest.pk]},
            follow=True,
        )
    assert "paused, not sent" in response.content.decode()
    assert Digest.objects.get(pk=digest.pk).status == "paused"
    assert mailoutbox == []
