from celery import shared_task

from . import consent_log


@shared_task(ignore_result=True)
def prune_consent_log():
    """Forget consent log entries past the retention period (scheduled daily by beat)."""
    consent_log.prune()
