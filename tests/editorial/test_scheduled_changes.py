"""A change to a live item approved for a later time goes live at that time
without a worker (as `make run` has none), as new scheduled items do: no
cached page outlives the moment, and the first request after it publishes it."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from editorial.models import AuditEntry, Revision
from tests.helpers import at, london

from .conftest import change_data, change_url

pytestmark = pytest.mark.django_db

APPROVED_AT = london(2026, 11, 18, 10, 0)
GOES_LIVE = london(2026, 11, 18, 15, 30)


@pytest.fixture
def approved_for_later(client, editor, publisher, live_item, settings,
                       django_capture_on_commit_callbacks):
    """Retitled by the Editor, approved at 10:00 to go live at 15:30 (no worker:
    the eager_tasks fixture runs tasks in-process, as `make run` does)."""
    live_item.published_at = london(2026, 1, 5, 9, 0)
    live_item.save()
    with at(APPROVED_AT):
        client.force_login(editor)
        client.post(change_url(live_item), {**change_data(live_item, title="Retitled"),
                                            "_submit": "1"})
        client.force_login(publisher)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/admin/news/newsitem/{live_item.pk}/review/", {
                "decision": "publish", "publish_at_0": "2026-11-18", "publish_at_1": "15:30"})
        assert response.status_code == 302
        client.logout()
    assert Revision.objects.get(applied=False).state == Revision.State.SCHEDULED
    return live_item


def max_age(response):
    return int(re.search(r"s-maxage=(\d+)", response["Cache-Control"]).group(1))


def test_the_public_sees_it_from_its_time_without_a_worker(client, approved_for_later,
                                                            django_capture_on_commit_callbacks):
    item = approved_for_later
    with at(GOES_LIVE - datetime.timedelta(minutes=5)):
        response = client.get(item.get_absolute_url())
        assert "Insurer Index v232" in response.text and "Retitled" not in response.text
        # Shared caches and the page cache keep it no later than the change's time.
        assert 5 * 60 - 5 <= max_age(response) <= 5 * 60
    cache.clear()  # five minutes later: what was cached then has expired
    with at(GOES_LIVE + datetime.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(item.get_absolute_url())
        assert "<h1>Retitled</h1>" in response.text
        assert "Retitled" in client.get("/news/feed/").text
    item.refresh_from_db()
    assert item.title == "Retitled"
    revision = Revision.objects.get(number=1)
    assert revision.state == Revision.State.PUBLISHED and revision.applied
    assert AuditEntry.objects.filter(action="approve",
                                     detail="Published at its scheduled time").count() == 1


def test_staff_see_it_published_once_its_time_has_passed(client, publisher, approved_for_later):
    item = approved_for_later
    client.force_login(publisher)
    with at(GOES_LIVE - datetime.timedelta(minutes=1)):
        assert "going live at 18/11/2026 15:30" in client.get(change_url(item)).text
    with at(GOES_LIVE + datetime.timedelta(minutes=1)):
        page = client.get(change_url(item)).text
    assert "going live at" not in page
    item.refresh_from_db()
    assert item.title == "Retitled"


def test_a_task_is_queued_for_its_time_only_for_a_worker(
    client, editor, publisher, live_item, django_capture_on_commit_callbacks
):
    """In-process, a task would run at once and ignore its time (the old bug):
    none is queued. With a broker, one is queued for the approved time."""
    from unittest import mock

    from editorial.tasks import publish_due_revisions
    from portal_site.celery import app

    client.force_login(editor)
    client.post(change_url(live_item), {**change_data(live_item, title="New"), "_submit": "1"})
    client.force_login(publisher)
    later = timezone.localtime() + datetime.timedelta(days=1)
    decision = {"decision": "publish", "publish_at_0": later.strftime("%Y-%m-%d"),
                "publish_at_1": later.strftime("%H:%M")}
    with mock.patch.object(publish_due_revisions, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/admin/news/newsitem/{live_item.pk}/review/", decision)
        assert not queued.called
        revision = Revision.objects.get(state=Revision.State.SCHEDULED)
        app.conf.task_always_eager = False  # a broker and workers (eager_tasks puts it back)
        from editorial.tasks import queue_scheduled_publication

        with django_capture_on_commit_callbacks(execute=True):
            queue_scheduled_publication(revision)
    queued.assert_called_once_with(eta=revision.publish_at)


def test_beat_publishes_it_too_and_only_once(approved_for_later):
    from editorial.tasks import publish_due_revisions

    with at(GOES_LIVE + datetime.timedelta(seconds=30)):
        assert publish_due_revisions.apply().get() == 1
        assert publish_due_revisions.apply().get() == 0
    approved_for_later.refresh_from_db()
    assert approved_for_later.title == "Retitled"
