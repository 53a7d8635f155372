"""Review emails and timed publication through Celery: a real worker and Redis
broker, a real SMTP server on loopback; and a mail server that is down costs no page."""

import datetime
import time

import pytest
from django.db import connection
from django.utils import timezone

from editorial.models import Revision
from portal_site.celery import app as celery_app
from tests.helpers import free_port, require

from .conftest import change_data, change_url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_each_publisher(client, editor, publisher, live_item, smtp_server,
                                             redis_url):
    from celery.contrib.testing.worker import start_worker

    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    celery_app.conf.task_always_eager = False  # eager_tasks puts it back
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        client.force_login(editor)
        response = client.post(change_url(live_item),
                               {**change_data(live_item, title="Retitled"), "_submit": "1"})
        assert response.status_code == 302
        deadline = time.monotonic() + 30
        while not smtp_server.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    [(rcpt, message)] = smtp_server.parsed()
    assert rcpt == [publisher.email]
    assert message["Subject"] == "Waiting for review: Insurer Index v232"
    assert f"/admin/news/newsitem/{live_item.pk}/review/" in message.get_content()


@pytest.mark.django_db
def test_a_mail_server_that_is_down_costs_the_email_not_the_page(
    client, editor, publisher, live_item, settings, django_capture_on_commit_callbacks, caplog
):
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
    }}
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(live_item),
                               {**change_data(live_item, title="Retitled"), "_submit": "1"})
    assert response.status_code == 302
    assert Revision.objects.get(applied=False).state == Revision.State.SUBMITTED
    assert "The review_request email for revision" in caplog.text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_publishes_an_approved_change_at_its_time(
    client, editor, publisher, live_item, redis_url
):
    """Not at beat's next minute: the task is queued for the approved time."""
    from celery.contrib.testing.worker import start_worker

    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    celery_app.conf.task_always_eager = False  # eager_tasks puts it back
    client.force_login(editor)
    client.post(change_url(live_item), {**change_data(live_item, title="Retitled"), "_submit": 1})
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        client.force_login(publisher)
        at = (timezone.localtime() + datetime.timedelta(seconds=4)).replace(microsecond=0)
        response = client.post(f"/admin/news/newsitem/{live_item.pk}/review/", {
            "decision": "publish", "publish_at_0": at.strftime("%Y-%m-%d"),
            "publish_at_1": at.strftime("%H:%M:%S")})
        assert response.status_code == 302
        live_item.refresh_from_db()
        assert live_item.title == "Insurer Index v232"  # not before its time
        deadline = time.monotonic() + 30
        while live_item.title != "Retitled" and time.monotonic() < deadline:
            time.sleep(0.2)
            live_item.refresh_from_db()
        published_at = timezone.now()
    assert live_item.title == "Retitled"
    assert at <= published_at < at + datetime.timedelta(seconds=10)
