from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def prune_consent_log():
    """Forget consent log entries past the retention period (scheduled daily by beat)."""
    call_command("prune_consent_log")
