"""Digests tell subscribers about maintenance windows announced since the last one."""

import datetime

import pytest
from django.utils import timezone

from maintenance.models import MaintenanceNotice
from newsletter import schedules, tasks

pytestmark = pytest.mark.django_db


def notice(title, starts_in_days, **fields):
    starts = timezone.now() + datetime.timedelta(days=starts_in_days)
    values = {
        "title": title,
        "starts_at": starts,
        "ends_at": starts + datetime.timedelta(hours=2),
        "status": MaintenanceNotice.Status.PUBLISHED,
    }
    values.update(fields)
    return MaintenanceNotice.objects.create(**values)


def test_a_digest_carries_the_windows_subscribers_have_not_been_told_about(
    client, make_subscriber, make_item, mailoutbox, django_capture_on_commit_callbacks
):
    make_subscriber()
    make_item(title="Insurer Index v233")
    told_before = notice("Told last month", 10)
    MaintenanceNotice.objects.filter(pk=told_before.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=40)
    )
    notice("Portal offline for the certificate", 5)
    notice("Already over", -2)
    notice("Called off", 8, cancelled=True)
    notice("Not yet published", 9, status=MaintenanceNotice.Status.DRAFT)
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.build_and_send(digest.pk)
    (message,) = mailoutbox
    web = client.get(f"/newsletter/archive/{digest.pk}/").content.decode()
    for part in (message.body, message.alternatives[0].content, web):
        assert "Planned maintenance" in part
        assert "Portal offline for the certificate" in part
        assert "will be unavailable from" in part
        for title in ("Told last month", "Already over", "Called off", "Not yet published"):
            assert title not in part, title


def test_a_week_with_only_maintenance_still_tells_every_subscriber(
    client, make_subscriber, categories, mailoutbox, django_capture_on_commit_callbacks
):
    """Downtime matters to everyone: no news in a subscriber's topics is no
    reason to leave them unaware of it."""
    make_subscriber(email="ann@example.com", topics=[categories[0]])
    make_subscriber(email="bob@example.com")
    notice("All Claims Portal services offline", 6)
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(digest.pk) == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ann@example.com", "bob@example.com"
    ]
    message = mailoutbox[0]
    assert message.subject.startswith("Claims Portal news: planned maintenance, ")
    for part in (message.body, message.alternatives[0].content):
        assert "No new items in your topics since our last email." in part
        assert "All Claims Portal services offline" in part
    web = client.get(f"/newsletter/archive/{digest.pk}/").content.decode()
    assert "All Claims Portal services offline" in web
    assert "no longer published" not in web


def test_a_window_subscribers_were_told_about_brings_no_second_email(
    make_subscriber, mailoutbox, django_capture_on_commit_callbacks
):
    make_subscriber()
    notice("Portal offline for the certificate", 6)
    first = schedules.forced_digest("weekly", now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(first.pk) == 1
    later = schedules.forced_digest("weekly", now=timezone.now() + datetime.timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(later.pk) == 0
    assert len(mailoutbox) == 1


def test_a_quiet_week_sends_nothing(
    make_subscriber, mailoutbox, django_capture_on_commit_callbacks
):
    make_subscriber()
    notice("Already over", -2)
    digest = schedules.forced_digest("weekly")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_and_send(digest.pk) == 0
    assert mailoutbox == []
