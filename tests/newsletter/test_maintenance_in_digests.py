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
