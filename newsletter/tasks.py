"""Celery tasks. The beat schedule has one static entry, send_due_digests; the
times of the digests themselves are DigestSchedule rows edited in admin."""

import logging
import smtplib

import kombu.exceptions
from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import digests, emails, imports, schedules, sending, services, tokens
from .models import Delivery, Digest

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
def send_digest_chunk(digest_id):
    """Send one chunk, then hand over to a fresh task while work remains, so that
    no task runs for long and a lost one costs at most one chunk."""
    result = sending.send_chunk(digest_id)
    if result.retry_in is not None:
        send_digest_chunk.apply_async((digest_id,), countdown=result.retry_in)
    if result.more:
        send_digest_chunk.delay(digest_id)
    else:
        sending.finish_if_done(digest_id)
    if result.braked:
        notify_brake.delay(digest_id)
    return result.sent


@shared_task
def notify_brake(digest_id):
    """Tell every Newsletter manager (with an email address) that the brake
    paused a digest, and why."""
    digest = Digest.objects.filter(pk=digest_id).first()
    if digest is None or not digest.braked_at:
        return 0
    message = emails.brake_message(digest)
    if not message.to:
        log.warning("The brake paused %s, and no Newsletter manager has an email address.",
                    digest)
        return 0
    with emails.mailer() as connection:
        connection.send_messages([message])
    return len(message.to)


def queue_brake_notice(digest_id):
    """From a webhook: notify_brake once the pause is committed."""
    transaction.on_commit(lambda: queue_or_run(notify_brake, digest_id))


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=30,
    max_retries=5,
)
def process_signup(email, choices):
    """A sign-up, handled away from the request so that the page answers the
    same, in the same time, whatever the address's state; sends the email it
    calls for, within the address's limits."""
    subscriber, kind, link_choices = services.request_subscription(
        email, tokens.Choices.from_list(choices)
    )
    if kind is None:
        return None
    if kind == "confirm":
        message = emails.confirmation_message(subscriber, link_choices)
    else:
        message = emails.already_subscribed_message(subscriber, link_choices)
    if not services.send_if_allowed(subscriber, lambda: send(message)):
        log.info("Sign-up email to subscriber %s not sent: the address's limit.", subscriber.pk)
        return "limited"
    return kind


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=30,
    max_retries=5,
)
def process_link_request(email):
    """"Lost your link?": a confirmed subscriber gets their links by email
    (within the address's limits); any other address gets nothing."""
    subscriber = services.subscriber_for_links(email)
    if subscriber is None:
        return None
    if not services.send_if_allowed(subscriber, lambda: send(emails.links_message(subscriber))):
        return "limited"
    return "sent"


def send(message):
    with emails.mailer() as connection:
        connection.send_messages([message])


def queue_or_run(task, *args):
    """Queue a task that sends an email (a public form's, the brake's); if the
    broker cannot be reached, run it here (slower, but nothing is lost and
    the visitor gets no error)."""
    try:
        task.delay(*args)
    except kombu.exceptions.OperationalError as error:
        log.warning("Broker unavailable, handling %s in the web process: %s", task.name, error)
        try:
            task(*args)
        except (smtplib.SMTPException, OSError) as mail_error:
            log.error("Could not send the email of %s: %s", task.name, mail_error)


def queue_signup(email, choices):
    queue_or_run(process_signup, email, choices.as_list())


def queue_link_request(email):
    queue_or_run(process_link_request, email)
