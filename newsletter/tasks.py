"""Celery tasks. The beat schedule has one static entry, send_due_digests; the
times of the digests themselves are DigestSchedule rows edited in admin."""

import logging
import smtplib

import kombu.exceptions
from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import digests, emails, imports, schedules, sending, services, tokens
from .models import Delivery, Subscriber

log = logging.getLogger(__name__)


@shared_task
def send_due_digests():
    """Every few minutes: return stuck deliveries, then build what is due."""
    sweep()
    built = {}
    for digest in schedules.due_digests():
        built[str(digest)] = build_and_send(digest.pk)
    return built


def build_and_send(digest_id):
    """Build the digest and queue its sending; returns digests.build()'s count."""
    count = digests.build(digest_id)
    if count:
        start_sending(digest_id, count)
    return count


def start_sending(digest_id, count=None):
    """Queue enough send tasks to work through the digest in parallel."""
    if count is None:
        count = Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.PENDING).count()
    chunks = -(-count // settings.NEWSLETTER_CHUNK_SIZE)
    for _ in range(min(chunks, settings.NEWSLETTER_PARALLEL_CHUNKS)):
        send_digest_chunk.delay_on_commit(digest_id)
    return count


def sweep():
    """Hand the deliveries of dead workers on; returns the rows returned."""
    returned, idle = sending.sweep()
    for digest_id, count in idle.items():
        start_sending(digest_id, count)
    return returned


@shared_task
def sweep_deliveries():
    """Every NEWSLETTER_SWEEP_SECONDS: give the deliveries and imports of a dead
    worker to another."""
    for job in imports.stalled():
        queue_import_step(job)
    return sweep()


@shared_task
def check_import(job_id):
    imports.check(job_id)


@shared_task
def run_import(job_id):
    imports.run(job_id)


def queue_import_step(job):
    """Queue whatever the job needs next (the dry run or the import). Without a
    broker the job waits, saved, and the sweeper queues it once it is back."""
    task = {job.Status.CHECKING: check_import, job.Status.IMPORTING: run_import}.get(job.status)
    if task is None:
        return

    def send():
        try:
            task.delay(job.pk)
        except kombu.exceptions.OperationalError as error:
            log.warning("Broker unavailable; import %s will be queued by the sweeper: %s",
                        job.pk, error)

    transaction.on_commit(send)


@shared_task
def build_digest(digest_id):
    return build_and_send(digest_id)


@shared_task
def send_digest_chunk(digest_id):
    """Send one chunk, then hand over to a fresh task while work remains, so that
    no task runs for long and a lost one costs at most one chunk."""
    sent, retry_in, claimed = sending.send_chunk(digest_id)
    if retry_in is not None:
        send_digest_chunk.apply_async((digest_id,), countdown=retry_in)
    if claimed:
        send_digest_chunk.delay(digest_id)
    else:
        sending.finish_if_done(digest_id)
    return sent


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=30,
    max_retries=5,
)
def process_signup(email, choices):
    """A sign-up, handled away from the request so that the page answers in the
    same time whatever the address's state; sends the email it calls for."""
    subscriber, kind, link_choices = services.request_subscription(
        email, tokens.Choices.from_list(choices)
    )
    if kind is None:
        return None
    send_subscription_email(subscriber.pk, kind, link_choices and link_choices.as_list())
    return kind


def send_subscription_email(subscriber_id, kind, choices=None):
    """The confirmation email, or "you are already subscribed" (which offers
    to confirm the new choices)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return
    choices = tokens.Choices.from_list(choices) if choices else None
    if kind == "confirm":
        message = emails.confirmation_message(subscriber, choices)
    else:
        message = emails.already_subscribed_message(subscriber, choices)
    with emails.mailer() as connection:
        connection.send_messages([message])


def queue_signup(email, choices):
    """Queue process_signup; if the broker cannot be reached, do the work here
    (slower, but nothing is lost and the visitor gets no error)."""
    try:
        process_signup.delay(email, choices.as_list())
    except kombu.exceptions.OperationalError as error:
        log.warning("Broker unavailable, handling a sign-up in the web process: %s", error)
        try:
            process_signup(email, choices.as_list())
        except (smtplib.SMTPException, OSError) as mail_error:
            log.error("Could not send a sign-up email: %s", mail_error)
