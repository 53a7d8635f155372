import logging
import smtplib

from celery import shared_task

from . import audit, notifications, revisions

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
    return revisions.publish_due()


@shared_task
def prune_audit_log():
    return audit.prune()


def queue_review_email(revision, kind):
    """After the commit, queue the email; a broker that is down costs the email,
    never the editor's page (and is logged)."""
    from django.db import transaction

    def enqueue():
        try:
            send_review_email.delay(revision.pk, kind)
        except Exception:
            logger.exception("The %s email for revision %s was not sent", kind, revision.pk)

    transaction.on_commit(enqueue)
