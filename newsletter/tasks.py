"""Celery tasks. The beat schedule has one static entry, send_due_digests; the
times of the digests themselves are DigestSchedule rows edited in admin."""

import logging
import smtplib

from celery import shared_task

from . import digests, emails
from .models import Subscriber

log = logging.getLogger(__name__)


@shared_task
def send_due_digests():
    """Every few minutes: return stuck deliveries, then build what is due."""
    digests.sweep()
    built = {}
    for digest in digests.due_digests():
        built[str(digest)] = digests.build(digest.pk)
    return built


@shared_task
def build_digest(digest_id):
    return digests.build(digest_id)


@shared_task
def send_digest_chunk(digest_id):
    """Send one chunk, then hand over to a fresh task while work remains, so that
    no task runs for long and a lost one costs at most one chunk."""
    sent, retry_in, claimed = digests.send_chunk(digest_id)
    if retry_in is not None:
        send_digest_chunk.apply_async((digest_id,), countdown=retry_in)
    if claimed:
        send_digest_chunk.delay(digest_id)
    else:
        digests.finish_if_done(digest_id)
    return sent


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=30,
    max_retries=5,
)
def send_subscription_email(subscriber_id, kind):
    """The confirmation email, or "you are already subscribed"."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    if kind == "confirm":
        if subscriber.status != Subscriber.Status.PENDING:
            return
        message = emails.confirmation_message(subscriber)
    else:
        message = emails.already_subscribed_message(subscriber)
    with emails.mailer() as connection:
        connection.send_messages([message])
