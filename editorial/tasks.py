import logging
import smtplib

from celery import current_app, shared_task
from django.db import transaction

from . import audit, notifications, workflow

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=60,
    max_retries=6,
)
def send_review_email(revision_id, kind):
    return notifications.send(revision_id, kind)


@shared_task
def publish_due_revisions():
    return workflow.publish_due()


@shared_task
def prune_audit_log():
    return audit.prune()


def _after_commit(call, what):
    """Queue a task once the transaction commits; a broker that is down costs
    the task, never the editor's page (and is logged)."""

    def enqueue():
        try:
            call()
        except Exception:
            logger.exception("%s was not queued", what)

    transaction.on_commit(enqueue)


def queue_review_email(revision, kind):
    _after_commit(
        lambda: send_review_email.delay(revision.pk, kind),
        f"The {kind} email for revision {revision.pk}",
    )


def queue_scheduled_publication(revision):
    """With a worker, publish an approved change to live content at its time
    even if no request comes then (editorial.scheduling); beat's sweep of due
    revisions stays the fallback. Without one there is nothing to queue: a
    task run in-process now would ignore its time."""
    if current_app.conf.task_always_eager:
        return
    _after_commit(
        lambda: publish_due_revisions.apply_async(eta=revision.publish_at),
        f"The publication of revision {revision.pk} at its time",
    )
